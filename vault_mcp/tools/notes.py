"""The note tools: create, read, update, delete and list."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from vault_mcp.auth.scopes import READ, WRITE
from vault_mcp.domain import MAX_LIMIT, MAX_TAGS
from vault_mcp.tools.context import ToolContext, services_of, tool_errors
from vault_mcp.tools.models import DeletedNote, NoteList, NoteListItem, NoteOut

NoteId = Annotated[str, Field(description="The note's id (a UUID), as returned by other tools.")]
Tags = Annotated[
    list[str],
    Field(description=f"Short labels such as 'work' or 'recipes'; at most {MAX_TAGS}."),
]

# A page of a keyset listing (list_notes, list_trash).
PageLimit = Annotated[
    int, Field(ge=1, le=MAX_LIMIT, description=f"Notes per page, 1 to {MAX_LIMIT}.")
]
PageCursor = Annotated[
    str | None, Field(description="The next_cursor of the previous page; omit for the first.")
]

# "What did I note last week": both date filters are on the updated time.
Since = Annotated[
    AwareDatetime | None,
    Field(description="Only notes updated at or after this time (ISO 8601 with a time zone)."),
]
Until = Annotated[
    AwareDatetime | None,
    Field(description="Only notes updated before this time (ISO 8601 with a time zone)."),
]


async def create_note(
    ctx: ToolContext,
    title: Annotated[str, Field(description="A short title, at most 500 characters.")],
    content: Annotated[str, Field(description="The note's text (Markdown is fine).")],
    tags: Tags | None = None,
) -> NoteOut:
    """Save a new note in the user's vault so it can be found again later by meaning.

    Use it to remember facts, decisions, preferences or anything the user wants kept.
    Returns the stored note with its id.
    """
    with tool_errors():
        services, owner = await services_of(ctx, WRITE)
        note = await services.notes.create(owner, title, content, tags or [])
        return NoteOut.of(note, services.note_url(note.id))


async def read_note(
    ctx: ToolContext,
    id: NoteId,
    offset: Annotated[
        int,
        Field(ge=0, description="Where to start in the text (a next_offset from a read); 0."),
    ] = 0,
) -> NoteOut:
    """Read one note by its id: all of it, or a long note a page at a time.

    A note longer than a page says where the next page starts in `next_offset`.
    """
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        note = await services.notes.get(owner, id)
        return NoteOut.of(note, services.note_url(note.id), offset)


async def update_note(
    ctx: ToolContext,
    id: NoteId,
    title: Annotated[str | None, Field(description="New title; omit to keep it.")] = None,
    content: Annotated[
        str | None, Field(description="New text, replacing the old; omit to keep it.")
    ] = None,
    tags: Annotated[
        list[str] | None, Field(description="New tags, replacing the old; omit to keep them.")
    ] = None,
) -> NoteOut:
    """Change a note's title, content or tags; fields left out stay as they are.

    New content replaces the old text entirely (read the note first to edit part of it).
    """
    with tool_errors():
        services, owner = await services_of(ctx, WRITE)
        note = await services.notes.update(owner, id, title=title, content=content, tags=tags)
        return NoteOut.of(note, services.note_url(note.id))


async def delete_note(ctx: ToolContext, id: NoteId) -> DeletedNote:
    """Delete a note: it moves to the trash; restore_note brings it back within the
    trash's retention (30 days unless the vault sets otherwise). Only do this when the user
    asks for it."""
    with tool_errors():
        services, owner = await services_of(ctx, WRITE)
        deleted = await services.notes.delete(owner, id)
        return DeletedNote(id=str(deleted))


async def list_notes(
    ctx: ToolContext,
    limit: PageLimit = 20,
    cursor: PageCursor = None,
    tag: Annotated[str | None, Field(description="Only notes with this tag.")] = None,
    since: Since = None,
    until: Until = None,
) -> NoteList:
    """List the user's notes, newest first, a page at a time: each with the start of its
    text (read_note has the rest).

    To find notes about something, use search_notes instead.
    """
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        page = await services.notes.list(
            owner, limit=limit, cursor=cursor, tag=tag, since=since, until=until
        )
        return NoteList(
            notes=[NoteListItem.of(n, services.note_url(n.id)) for n in page.notes],
            next_cursor=page.next_cursor,
        )
