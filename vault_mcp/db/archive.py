"""PgNoteArchive: all of an owner's notes in keyset pages, and notes written with given ids."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from vault_mcp.db.notes import SAME_TEXT, passage_rows, write_passage_rows
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.db.rows import NOTE_COLUMNS, note_from_row
from vault_mcp.domain import Note
from vault_mcp.service import Indexed, OwnerId
from vault_mcp.transfer.archive import Restorable, RestoreReport

_PAGE_FIRST = f"""
SELECT {NOTE_COLUMNS} FROM notes WHERE owner_id = $1 ORDER BY created_at, id LIMIT $2
"""
_PAGE_AFTER = f"""
SELECT {NOTE_COLUMNS} FROM notes WHERE owner_id = $1 AND (created_at, id) > ($3, $4)
ORDER BY created_at, id LIMIT $2
"""
# A missing time is the import's; a missing created time is the updated one (a file that
# says only when it last changed).
_TIMES = """COALESCE($6::timestamptz, $7::timestamptz, clock_timestamp()),
       COALESCE($7::timestamptz, $6::timestamptz, clock_timestamp())"""
# An id already taken (by this owner or any other), live or in the trash, is left alone: a
# note in the trash keeps its id for its restore (re-importing a backup after deleting a
# note must not put a second note with that id beside it).
_INSERT_WITH_ID = f"""
INSERT INTO notes (owner_id, title, content, tags, indexed_with, created_at, updated_at, id)
SELECT $1, $2, $3, $4, $5, {_TIMES}, $8
WHERE NOT EXISTS (SELECT 1 FROM trashed_notes WHERE id = $8)
ON CONFLICT (id) DO NOTHING
RETURNING {NOTE_COLUMNS}
"""
# A note without an id is new unless the owner has the same one, live or in the trash
# (restoring it would make two).
_INSERT_NEW = f"""
INSERT INTO notes (owner_id, title, content, tags, indexed_with, created_at, updated_at)
SELECT $1, $2, $3, $4, $5, {_TIMES}
WHERE NOT {SAME_TEXT}
RETURNING {NOTE_COLUMNS}
"""
_COUNT = "SELECT count(*) FROM notes WHERE owner_id = $1"
# The id is taken by this very note (a re-run import), live or in the trash: a duplicate.
_SAME = """
SELECT EXISTS (SELECT 1 FROM notes WHERE owner_id = $1 AND id = $2 AND title = $3 AND content = $4)
    OR EXISTS (SELECT 1 FROM trashed_notes
               WHERE owner_id = $1 AND id = $2 AND title = $3 AND content = $4)
"""


class PgNoteArchive:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def page(
        self, owner: OwnerId, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[Note]:
        with storage_errors():
            if after is None:
                rows = await self._pool.fetch(_PAGE_FIRST, owner, limit)
            else:
                rows = await self._pool.fetch(_PAGE_AFTER, owner, limit, *after)
        return [note_from_row(r) for r in rows]

    async def count(self, owner: OwnerId) -> int:
        with storage_errors():
            return int(await self._pool.fetchval(_COUNT, owner))

    async def restore(
        self, owner: OwnerId, notes: Sequence[Restorable], indexed: Sequence[Indexed]
    ) -> RestoreReport:
        report = RestoreReport()
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                # As for imports (db/notes.py): two at once cannot both pass the checks.
                await conn.execute("SELECT pg_advisory_xact_lock(7, ($1 % 2147483647)::int)", owner)
                passages: list[tuple[Any, ...]] = []
                for note, index in zip(notes, indexed, strict=True):
                    d = note.draft
                    args = [owner, d.title, d.content, list(d.tags), index.version]
                    args += [note.created_at, note.updated_at]
                    if note.id is None:
                        row = await conn.fetchrow(_INSERT_NEW, *args)
                    else:
                        row = await conn.fetchrow(_INSERT_WITH_ID, *args, note.id)
                    if row is not None:
                        passages += passage_rows(owner, note_from_row(row), index)
                        report.written += 1
                    elif note.id is None or await conn.fetchval(
                        _SAME, owner, note.id, d.title, d.content
                    ):
                        report.duplicates += 1
                    else:
                        report.conflicts.append(note.id)
                await write_passage_rows(conn, passages)
        return report
