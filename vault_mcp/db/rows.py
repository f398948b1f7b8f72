"""A note's columns and the one mapping of a row to a Note or a NotePreview, for every
table that holds notes (notes, trashed_notes) and every module that reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vault_mcp.domain import PREVIEW_CHARS, Note, NotePreview

NOTE_COLUMNS = "id, title, content, tags, created_at, updated_at"
# A list reads the start of each note, never all of it (PostgreSQL decompresses only the
# slice `left` needs).
PREVIEW_COLUMNS = (
    f"id, title, left(content, {PREVIEW_CHARS}) AS preview, char_length(content) AS length, "
    "tags, created_at, updated_at"
)


def note_from_row(row: Mapping[str, Any]) -> Note:
    return Note(
        id=row["id"],
        title=row["title"],
        content=row["content"],
        tags=tuple(row["tags"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def preview_from_row(row: Mapping[str, Any]) -> NotePreview:
    return NotePreview(
        id=row["id"],
        title=row["title"],
        preview=row["preview"],
        length=row["length"],
        tags=tuple(row["tags"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
