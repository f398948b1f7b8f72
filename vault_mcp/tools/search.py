"""Search tools: search_notes for every client, and the ChatGPT connector pair search / fetch."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from vault_mcp.auth.scopes import READ
from vault_mcp.domain import MAX_LIMIT
from vault_mcp.tools.context import ToolContext, services_of, tool_errors
from vault_mcp.tools.models import Document, DocumentRef, DocumentRefs, SearchResult, SearchResults

Query = Annotated[
    str, Field(description="What to look for, in plain words; matched by meaning, not spelling.")
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
) -> SearchResults:
    """Find the user's notes closest in meaning to the query, best match first.

    Works with paraphrases and related words, not just exact terms. Each result has a
    snippet; use read_note for the full text.
    """
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        hits = await services.notes.search(owner, query, limit=limit, tags=tags or [])
        return SearchResults(
            results=[SearchResult.of(h, services.note_url(h.note.id)) for h in hits]
        )


async def search(ctx: ToolContext, query: Query) -> DocumentRefs:
    """Search the user's notes by meaning and return matching documents (id, title, url).

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
    """Fetch one of the user's notes in full by the id that search returned."""
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        note = await services.notes.get(owner, id)
        return Document(
            id=str(note.id),
            title=note.title,
            text=note.content,
            url=services.note_url(note.id),
            metadata={
                "tags": list(note.tags),
                "created_at": note.created_at.isoformat(),
                "updated_at": note.updated_at.isoformat(),
            },
        )
