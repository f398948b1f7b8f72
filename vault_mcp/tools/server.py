"""VaultServer: the SDK's MCPServer with readable argument errors, notes as resources, and
no prompts capability (we have no prompts, so we do not advertise any)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.resources import ResourceSecurity
from mcp.types import (
    CallToolResult,
    InputRequiredResult,
    ListResourcesResult,
    PaginatedRequestParams,
    Tool,
)
from pydantic import ValidationError

from vault_mcp.tools.arguments import describe_errors, unknown_arguments
from vault_mcp.tools.context import ServicesProvider
from vault_mcp.tools.resources import (
    MARKDOWN,
    NOTE_URI,
    list_note_resources,
    note_links,
    read_note_resource,
)

# search_notes only: the ChatGPT pair (search/fetch) must keep its one-text-item shape.
LINKED_TOOLS = frozenset({"search_notes"})


class VaultServer(MCPServer[ServicesProvider]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The SDK registers prompt handlers whether or not a prompt exists, and so advertises
        # the capability; without the handlers, prompts/* is "method not found" (-32601)
        # instead of an internal error with a traceback logged for every unknown name.
        for method in ("prompts/list", "prompts/get"):
            self._lowlevel_server._request_handlers.pop(method)
        self.resource(
            NOTE_URI,
            name="note",
            title="Note",
            mime_type=MARKDOWN,
            # The id is parsed as a UUID by the service; the SDK's path checks answer a
            # non-UUID such as ".." with an internal error instead of "not found".
            security=ResourceSecurity(exempt_params=frozenset({"id"})),
        )(read_note_resource)
        self._schemas: dict[str, Mapping[str, Any]] = {}

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        schema = await self._input_schema(name)
        if schema is not None and (unknown := unknown_arguments(schema, arguments)):
            raise ToolError(unknown)
        try:
            result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            # The SDK's text is pydantic's dump, with a docs URL a model cannot act on.
            raise ToolError(describe_errors(schema or {}, cause)) from cause
        if isinstance(result, CallToolResult) and name in LINKED_TOOLS and not result.is_error:
            found = (result.structured_content or {}).get("results", [])
            result.content = [*result.content, *note_links(found)]
        return result

    async def list_tools(self) -> list[Tool]:
        tools = await super().list_tools()
        for tool in tools:
            # What call_tool enforces, said in the schema clients read.
            tool.input_schema = {**tool.input_schema, "additionalProperties": False}
            # A docstring's indentation is noise in the text a model reads.
            tool.description = inspect.cleandoc(tool.description or "")
        return tools

    async def _input_schema(self, name: str) -> Mapping[str, Any] | None:
        if not self._schemas:  # tools are all added before the first call
            self._schemas = {t.name: t.input_schema for t in await self.list_tools()}
        return self._schemas.get(name)

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[ServicesProvider], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        # The SDK's own list is of static resources, without the caller or a cursor.
        return await list_note_resources(ctx.lifespan_context, params.cursor if params else None)
