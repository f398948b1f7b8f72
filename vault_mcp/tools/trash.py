"""The trash tools: see what was deleted, and bring a note back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vault_mcp.auth.scopes import READ, WRITE
from vault_mcp.recovery import TrashedNote, TrashPage
from vault_mcp.tools.context import ToolContext, services_of, tool_errors
from vault_mcp.tools.models import NoteOut
from vault_mcp.tools.notes import NoteId, PageCursor, PageLimit


class TrashedNoteOut(BaseModel):
    id: str = Field(description="The note's id (a UUID): restore_note takes it.")
    title: str
    preview: str = Field(description="The start of the note's text.")
    content_length: int = Field(description="Characters in the note's whole text.")
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime
    purge_at: datetime = Field(description="When the note leaves the trash for good.")

    @classmethod
    def of(cls, item: TrashedNote) -> TrashedNoteOut:
        note = item.note
        return cls(
            id=str(note.id),
            title=note.title,
            preview=note.preview,
            content_length=note.length,
            tags=list(note.tags),
            created_at=note.created_at,
            updated_at=note.updated_at,
            deleted_at=item.deleted_at,
            purge_at=item.purge_at,
        )


class TrashList(BaseModel):
    notes: list[TrashedNoteOut] = Field(description="Most recently deleted first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )

    @classmethod
    def of(cls, page: TrashPage) -> TrashList:
        return cls(notes=[TrashedNoteOut.of(n) for n in page.notes], next_cursor=page.next_cursor)


async def list_trash(
    ctx: ToolContext,
    limit: PageLimit = 20,
    cursor: PageCursor = None,
) -> TrashList:
    """List the notes in the trash (deleted, not yet gone for good), most recently deleted
    first, each with when it will be purged. Trashed notes are in no list or search."""
    with tool_errors():
        services, owner = await services_of(ctx, READ)
        return TrashList.of(await services.recovery.list_trash(owner, limit, cursor))


async def restore_note(ctx: ToolContext, id: NoteId) -> NoteOut:
    """Bring a deleted note back from the trash, as it was (same id, text and tags), and
    findable by search again. Restoring a note that is already back does nothing."""
    with tool_errors():
        services, owner = await services_of(ctx, WRITE)
        note = await services.recovery.restore(owner, id)
        return NoteOut.of(note, services.note_url(note.id))
