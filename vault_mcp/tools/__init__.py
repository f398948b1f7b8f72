"""The MCP server: build_mcp_server() registers the vault's tools with their annotations."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from vault_mcp import __version__
from vault_mcp.tools import notes, search, trash
from vault_mcp.tools.context import ServicesProvider
from vault_mcp.tools.server import VaultServer

INSTRUCTIONS = """\
This server is the user's personal knowledge vault: notes they (or you) wrote, stored with \
their meaning so they can be found again. Use search_notes to look things up by meaning \
before answering questions about the user's own knowledge, plans or preferences; use \
create_note to remember something the user wants kept; read_note for a note's full text."""

Lifespan = Callable[[MCPServer[ServicesProvider]], AbstractAsyncContextManager[ServicesProvider]]


def _hints(
    *, read_only: bool, destructive: bool = False, idempotent: bool = False
) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=destructive if not read_only else None,
        idempotent_hint=idempotent if not read_only else None,
        open_world_hint=False,  # the vault is a closed world: no web, no third parties
    )


_READ = _hints(read_only=True)
_TOOLS: list[tuple[Callable[..., Any], str, ToolAnnotations]] = [
    (notes.create_note, "Create note", _hints(read_only=False)),
    (notes.read_note, "Read note", _READ),
    (notes.update_note, "Update note", _hints(read_only=False, destructive=True, idempotent=True)),
    (notes.delete_note, "Delete note", _hints(read_only=False, destructive=True, idempotent=True)),
    (trash.restore_note, "Restore note", _hints(read_only=False, idempotent=True)),
    (trash.list_trash, "List trash", _READ),
    (notes.list_notes, "List notes", _READ),
    (search.search_notes, "Search notes", _READ),
    (search.search, "Search (ChatGPT connector)", _READ),
    (search.fetch, "Fetch (ChatGPT connector)", _READ),
]


def build_mcp_server(lifespan: Lifespan, **auth: Any) -> MCPServer[ServicesProvider]:
    """A new server (one per app: the SDK's session manager runs once per instance)."""
    server: MCPServer[ServicesProvider] = VaultServer(
        "vault-mcp",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
        **auth,
    )
    for fn, title, hints in _TOOLS:
        server.add_tool(fn, title=title, annotations=hints)
    return server
