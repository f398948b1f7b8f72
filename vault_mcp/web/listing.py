"""The notes list as pages: newest first, optionally one tag, walked both ways by cursor."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from vault_mcp.domain import NotePreview
from vault_mcp.runtime import Services


@dataclass(frozen=True)
class ListPage:
    notes: tuple[NotePreview, ...]
    tag: str | None
    newer_href: str | None  # None on the page with the newest notes
    older_href: str | None  # None on the page with the oldest


def list_href(tag: str | None, **cursor: str) -> str:
    """/notes with the filter and a cursor (`cursor=` to older notes, `before=` to newer)."""
    query = urlencode({**({"tag": tag} if tag else {}), **cursor})
    return f"/notes?{query}" if query else "/notes"


async def list_page(services: Services, owner: int, params: QueryParams, size: int) -> ListPage:
    """The page `params` asks for (`tag`, and `cursor` or `before`)."""
    tag = params.get("tag", "").strip() or None
    before = params.get("before") or None
    after = params.get("cursor") or None
    newer: str | None = None
    if before is not None:
        page = await services.notes.list_newer(owner, before, size, tag)
        if page.newer_cursor is None:
            # Back at the newest: the first page itself, full, whatever was written since.
            page = await services.notes.list(owner, size, tag=tag)
    else:
        page = await services.notes.list(owner, size, after, tag=tag)
        if after is not None and page.newer_cursor is None:
            newer = list_href(tag)  # past the end (its notes went): back to the start
    if page.newer_cursor is not None:
        newer = list_href(tag, before=page.newer_cursor)
    older = list_href(tag, cursor=page.next_cursor) if page.next_cursor else None
    return ListPage(page.notes, tag, newer, older)
