"""PgTrashRepository: moving notes with their passages into the trash and back, by owner."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vault_mcp.db.cursors import decode_cursor, encode_cursor
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.db.rows import NOTE_COLUMNS, PREVIEW_COLUMNS, note_from_row, preview_from_row
from vault_mcp.domain import Note
from vault_mcp.recovery import TrashedNote, TrashPage
from vault_mcp.service import OwnerId

_PASSAGE = "note_id, ordinal, owner_id, tags, updated_at, title, heading, body, embedding"

# The row lock (FOR UPDATE) holds off an update or reindex of the note until it has moved:
# they then find it gone, as after a delete.
_TRASH_NOTE = f"""
INSERT INTO trashed_notes ({NOTE_COLUMNS}, owner_id, indexed_with)
SELECT {NOTE_COLUMNS}, owner_id, indexed_with FROM notes WHERE owner_id = $1 AND id = $2 FOR UPDATE
"""
_TRASH_PASSAGES = f"""
INSERT INTO trashed_passages ({_PASSAGE})
SELECT {_PASSAGE} FROM note_passages WHERE owner_id = $1 AND note_id = $2
"""
_DROP_NOTE = "DELETE FROM notes WHERE owner_id = $1 AND id = $2"  # its passages by cascade

_RESTORE_NOTE = f"""
INSERT INTO notes ({NOTE_COLUMNS}, owner_id, indexed_with)
SELECT {NOTE_COLUMNS}, owner_id, indexed_with FROM trashed_notes
WHERE owner_id = $1 AND id = $2 FOR UPDATE
RETURNING {NOTE_COLUMNS}
"""
_RESTORE_PASSAGES = f"""
INSERT INTO note_passages ({_PASSAGE})
SELECT {_PASSAGE} FROM trashed_passages WHERE owner_id = $1 AND note_id = $2
"""
# Deleting a trashed note for good takes its history along (note_versions has no foreign
# key to either table).
_FORGET = """
WITH gone AS (DELETE FROM trashed_notes WHERE owner_id = $1 AND id = $2 RETURNING id),
     history AS (DELETE FROM note_versions
                 WHERE owner_id = $1 AND note_id IN (SELECT id FROM gone))
SELECT count(*) FROM gone
"""
_RESTORED = "DELETE FROM trashed_notes WHERE owner_id = $1 AND id = $2"
# In batches, as the hourly purge: an owner's trash of 100k notes empties in short
# transactions, each far inside the statement timeout.
_EMPTY_BATCH = """
WITH doomed AS (SELECT id FROM trashed_notes WHERE owner_id = $1 LIMIT $2 FOR UPDATE SKIP LOCKED),
     history AS (DELETE FROM note_versions
                 WHERE owner_id = $1 AND note_id IN (SELECT id FROM doomed))
DELETE FROM trashed_notes WHERE owner_id = $1 AND id IN (SELECT id FROM doomed)
"""
EMPTY_BATCH = 1_000

_COLUMNS = f"{PREVIEW_COLUMNS}, deleted_at, deleted_at + $3::interval AS purge_at"
_LIST_FIRST = f"""
SELECT {_COLUMNS} FROM trashed_notes WHERE owner_id = $1
ORDER BY deleted_at DESC, id DESC LIMIT $2
"""
_FIND = f"SELECT {_COLUMNS} FROM trashed_notes WHERE owner_id = $1 AND id = $2"
_LIST_AFTER = f"""
SELECT {_COLUMNS} FROM trashed_notes WHERE owner_id = $1 AND (deleted_at, id) < ($4, $5)
ORDER BY deleted_at DESC, id DESC LIMIT $2
"""


def _trashed(row: Mapping[str, Any]) -> TrashedNote:
    return TrashedNote(preview_from_row(row), row["deleted_at"], row["purge_at"])


async def move_to_trash(pool: Pool, owner: OwnerId, note_id: uuid.UUID) -> bool:
    """Move a live note and its passages into the trash; False if there is no such note."""
    with storage_errors():
        async with pool.acquire() as conn, conn.transaction():
            if await conn.execute(_TRASH_NOTE, owner, note_id) != "INSERT 0 1":
                return False
            await conn.execute(_TRASH_PASSAGES, owner, note_id)
            await conn.execute(_DROP_NOTE, owner, note_id)
    return True


class PgTrashRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def list(
        self, owner: OwnerId, limit: int, cursor: str | None, retention: timedelta
    ) -> TrashPage:
        args: list[Any] = [owner, limit + 1, retention]
        if cursor is not None:
            args.extend(decode_cursor(cursor, "a previous trash listing"))
        with storage_errors():
            rows = await self._pool.fetch(_LIST_FIRST if cursor is None else _LIST_AFTER, *args)
        items = tuple(_trashed(r) for r in rows[:limit])
        more = len(rows) > limit and items
        return TrashPage(
            items, encode_cursor(items[-1].deleted_at, items[-1].note.id) if more else None
        )

    async def find(
        self, owner: OwnerId, note_id: uuid.UUID, retention: timedelta
    ) -> TrashedNote | None:
        with storage_errors():
            row = await self._pool.fetchrow(_FIND, owner, note_id, retention)
        return None if row is None else _trashed(row)

    async def restore(self, owner: OwnerId, note_id: uuid.UUID) -> Note | None:
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(_RESTORE_NOTE, owner, note_id)
                if row is None:
                    return None
                await conn.execute(_RESTORE_PASSAGES, owner, note_id)
                await conn.execute(_RESTORED, owner, note_id)
        return note_from_row(row)

    async def forget(self, owner: OwnerId, note_id: uuid.UUID) -> bool:
        with storage_errors():
            return bool(await self._pool.fetchval(_FORGET, owner, note_id))

    async def empty(self, owner: OwnerId) -> int:
        deleted = 0
        while True:
            with storage_errors():
                status = await self._pool.execute(_EMPTY_BATCH, owner, EMPTY_BATCH)
            batch = int(status.rsplit(" ", 1)[-1])
            deleted += batch
            if batch < EMPTY_BATCH:
                return deleted
