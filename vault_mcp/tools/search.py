"""Search tools: search_notes for every client, and the ChatGPT connector pair search / fetch."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from vault_mcp.auth.scopes import READ
from vault_mcp.domain import MAX_LIMIT, text_page
from vault_mcp.tools.context import ToolContext, services_of, tool_errors
from vault_mcp.tools.models import Document, DocumentRef, DocumentRefs, SearchResult, SearchResults
from vault_mcp.tools.notes import Since, Until

Query = Annotated[
    str,
    Field(
        description="What to look for: a question or a few words. Matched by meaning and by "
        'exact words alike, so names, codes and versions work too; "quoted phrase" and OR '
        "are understood."
    ),
]

# ChatGPT's search returns a handful of documents to fetch; it does not page.
CHATGPT_RESULTS = 10


async def search_notes(
    ctx: ToolContext,
    query: Query,
    limit: Annotated[
        int, Field(ge=1, le=MAX_LIMIT, description=f"How many results, 1 to {MAX_LIMIT}.")
    ] = 10,
    tags: Annotated[
        list[str] | None, Field(description="Only notes that have all of these tags.")
    ] = None,
    since: Since = None,
    until: Until = None,
) -> SearchResults:
    """Find the user's notes that match the query, best match first, searching every passage
    of every note by meaning and by words.

    Works with paraphrases and with exact names or codes. Each result carries the passage
    that matched as its snippet, and its dates; use read_note for the full text. Few or no
    results mean nothing in the vault matches well.
    """
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        hits = await services.notes.search(
            owner, query, limit=limit, tags=tags or [], since=since, until=until
        )
        return SearchResults(
            results=[SearchResult.of(h, services.note_url(h.note.id)) for h in hits]
        )


async def search(ctx: ToolContext, query: Query) -> DocumentRefs:
    """Search the user's notes by meaning and words; return matching documents (id, title, url).

    Use fetch with a result's id to read the whole note.
    """
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        hits = await services.notes.search(owner, query, limit=CHATGPT_RESULTS)
        return DocumentRefs(
            results=[
                DocumentRef(id=str(h.note.id), title=h.note.title, url=services.note_url(h.note.id))
                for h in hits
            ]
        )


async def fetch(
    ctx: ToolContext,
    id: Annotated[str, Field(description="A document id returned by search.")],
) -> Document:
    """Fetch one of the user's notes by the id that search returned (a very long note's
    first page; metadata.next_offset then says where read_note continues)."""
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        note = await services.notes.get(owner, id)
        page = text_page(note.content, 0)
        metadata: dict[str, Any] = {
            "tags": list(note.tags),
            "created_at": note.created_at.isoformat(),
            "updated_at": note.updated_at.isoformat(),
        }
        if page.next_offset is not None:
            metadata |= {"content_length": len(note.content), "next_offset": page.next_offset}
        return Document(
            id=str(note.id),
            title=note.title,
            text=page.text,
            url=services.note_url(note.id),
            metadata=metadata,
        )
