"""The notes listed a page at a time, newest first, by keyset cursors both ways."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from vault_mcp.db.cursors import decode_cursor as keyset_position
from vault_mcp.db.cursors import encode_cursor as keyset_cursor
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.db.rows import PREVIEW_COLUMNS, preview_from_row
from vault_mcp.domain import NotePage, NotePreview
from vault_mcp.service import OwnerId

# $3/$4: the updated-at range (either may be NULL); the cursor and tag come after.
_IN_RANGE = """($3::timestamptz IS NULL OR updated_at >= $3)
  AND ($4::timestamptz IS NULL OR updated_at < $4)"""
_LIST_FIRST = f"""
SELECT {PREVIEW_COLUMNS} FROM notes WHERE owner_id = $1 AND {_IN_RANGE}
ORDER BY created_at DESC, id DESC LIMIT $2
"""
_LIST_AFTER = f"""
SELECT {PREVIEW_COLUMNS} FROM notes WHERE owner_id = $1 AND {_IN_RANGE}
  AND (created_at, id) < ($5, $6)
ORDER BY created_at DESC, id DESC LIMIT $2
"""
_LIST_TAG_FIRST = f"""
SELECT {PREVIEW_COLUMNS} FROM notes WHERE owner_id = $1 AND {_IN_RANGE} AND tags @> ARRAY[$5::text]
ORDER BY created_at DESC, id DESC LIMIT $2
"""
_LIST_TAG_AFTER = f"""
SELECT {PREVIEW_COLUMNS} FROM notes WHERE owner_id = $1 AND {_IN_RANGE} AND tags @> ARRAY[$5::text]
  AND (created_at, id) < ($6, $7)
ORDER BY created_at DESC, id DESC LIMIT $2
"""


def _towards_newer(query: str) -> str:
    """The same list walking the other way from its cursor: the notes just newer than it,
    oldest first (so LIMIT keeps the nearest). Derived, not written out, so that it always
    has every filter of the query it comes from."""
    newer = query.replace("(created_at, id) < (", "(created_at, id) > (").replace(
        "ORDER BY created_at DESC, id DESC", "ORDER BY created_at, id"
    )
    if newer.count("(created_at, id) > (") != 1 or "DESC" in newer:
        raise RuntimeError("the list query no longer has the shape _towards_newer expects")
    return newer


_LIST_BEFORE = _towards_newer(_LIST_AFTER)
_LIST_TAG_BEFORE = _towards_newer(_LIST_TAG_AFTER)


def encode_cursor(note: NotePreview) -> str:
    return keyset_cursor(note.created_at, note.id)


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    return keyset_position(cursor, "a previous list_notes result")


async def older_page(
    pool: Pool,
    owner: OwnerId,
    limit: int,
    cursor: str | None,
    tag: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> NotePage:
    """The owner's notes newest first, from the start or just older than `cursor`."""
    args: list[Any] = [owner, limit + 1, since, until]
    if tag is not None:
        args.append(tag)
    if cursor is not None:
        args.extend(decode_cursor(cursor))
    query = {
        (False, False): _LIST_FIRST,
        (False, True): _LIST_AFTER,
        (True, False): _LIST_TAG_FIRST,
        (True, True): _LIST_TAG_AFTER,
    }[(tag is not None, cursor is not None)]
    with storage_errors():
        rows = await pool.fetch(query, *args)
    notes = tuple(preview_from_row(r) for r in rows[:limit])
    more = len(rows) > limit
    return NotePage(
        notes,
        encode_cursor(notes[-1]) if more and notes else None,
        newer_cursor=encode_cursor(notes[0]) if cursor is not None and notes else None,
    )


async def newer_page(
    pool: Pool, owner: OwnerId, limit: int, cursor: str, tag: str | None
) -> NotePage:
    """The notes just newer than `cursor`, newest first, as a list is."""
    args: list[Any] = [owner, limit + 1, None, None]
    if tag is not None:
        args.append(tag)
    args.extend(decode_cursor(cursor))
    with storage_errors():
        rows = await pool.fetch(_LIST_BEFORE if tag is None else _LIST_TAG_BEFORE, *args)
    notes = tuple(preview_from_row(r) for r in reversed(rows[:limit]))  # newest first, as a list is
    more = len(rows) > limit
    return NotePage(
        notes,
        encode_cursor(notes[-1]) if notes else None,
        newer_cursor=encode_cursor(notes[0]) if more and notes else None,
    )
