"""Each note as an MCP resource: `note://{id}` reads its Markdown; resources/list pages them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, ListResourcesResult, Resource, ResourceLink

from vault_mcp.auth.scopes import READ
from vault_mcp.errors import InvalidInput, NotFound, VaultError
from vault_mcp.tools.context import ServicesProvider, ToolContext, services_for, services_of

NOTE_URI = "note://{id}"
MARKDOWN = "text/markdown"
# One page of resources/list: enough for a client's picker, bounded for a large vault.
PAGE = 50


def note_uri(note_id: uuid.UUID | str) -> str:
    return f"note://{note_id}"


@contextmanager
def resource_errors() -> Iterator[None]:
    """A note that is not there (or an id that cannot be one) is the client's mistake: the
    SDK answers it with invalid params (-32602); any other of our errors keeps its message."""
    try:
        yield
    except (NotFound, InvalidInput) as exc:
        raise ResourceNotFoundError(exc.message) from exc
    except VaultError as exc:
        raise ResourceError(exc.message) from exc


async def read_note_resource(id: str, ctx: ToolContext) -> str:
    """A note of the user's vault: its text, in Markdown."""
    with resource_errors():
        services, owner = await services_of(ctx, READ)
        note = await services.notes.get(owner, id)
        return note.content


async def list_note_resources(
    provider: ServicesProvider, cursor: str | None
) -> ListResourcesResult:
    """The user's notes, newest first, a page at a time (the list's cursor is the SDK's)."""
    try:
        services, owner = await services_for(provider, READ)
        page = await services.notes.list(owner, limit=PAGE, cursor=cursor)
    except VaultError as exc:
        # A list handler's exception would be an internal error with a traceback logged.
        code = INVALID_PARAMS if isinstance(exc, InvalidInput) else INTERNAL_ERROR
        raise MCPError(code=code, message=exc.message) from exc
    return ListResourcesResult(
        resources=[
            Resource(
                uri=note_uri(n.id),
                name=n.title,
                title=n.title,
                description=n.preview,
                mime_type=MARKDOWN,
            )
            for n in page.notes
        ],
        next_cursor=page.next_cursor,
        # One person's notes, changing with every write: never shared, never fresh.
        ttl_ms=0,
        cache_scope="private",
    )


def note_links(results: list[dict[str, Any]]) -> list[ResourceLink]:
    """A resource link per search result, so a client can open or attach the note itself."""
    return [
        ResourceLink(
            type="resource_link",
            uri=note_uri(r["id"]),
            name=r["title"],
            title=r["title"],
            mime_type=MARKDOWN,
        )
        for r in results
    ]
