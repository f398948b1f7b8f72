"""PgNoteRepository: the SQL for notes, always filtered by owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from vault_mcp.db.history import keep_version, lock_current
from vault_mcp.db.note_pages import newer_page, older_page
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.db.rows import NOTE_COLUMNS, note_from_row
from vault_mcp.db.search import search as search_passages
from vault_mcp.db.trash import move_to_trash
from vault_mcp.domain import (
    Note,
    NoteDraft,
    NotePage,
    NotePatch,
    SearchQuery,
)
from vault_mcp.service import Hits, Indexed, OwnerId

if TYPE_CHECKING:
    from vault_mcp.service import Vector


_INSERT = f"""
INSERT INTO notes (owner_id, title, content, tags, indexed_with)
VALUES ($1, $2, $3, $4, $5)
RETURNING {NOTE_COLUMNS}
"""
# The owner has a note with title $2 and content $3, live or in the trash: found through the
# indexed hash of the text (migration 0015), then compared in full, so its cost does not grow
# with the vault and a hash collision is never a duplicate.
SAME_TEXT = """
(EXISTS (SELECT 1 FROM notes WHERE owner_id = $1
         AND note_text_hash(title, content) = note_text_hash($2, $3)
         AND title = $2 AND content = $3)
 OR EXISTS (SELECT 1 FROM trashed_notes WHERE owner_id = $1
            AND note_text_hash(title, content) = note_text_hash($2, $3)
            AND title = $2 AND content = $3))
"""
# A bulk-imported note identical to one the owner already has is skipped (re-running an
# import is safe): the id is NULL then. One in the trash counts: its restore would duplicate it.
_INSERT_NEW = f"""
INSERT INTO notes (owner_id, title, content, tags, indexed_with)
SELECT $1, $2, $3, $4, $5
WHERE NOT {SAME_TEXT}
RETURNING id, updated_at
"""
_INSERT_PASSAGES = """
INSERT INTO note_passages (note_id, ordinal, owner_id, tags, updated_at, title, heading, body,
                           embedding)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
_DELETE_PASSAGES = "DELETE FROM note_passages WHERE note_id = $1"
# A tags-only update: the passages keep their text and vectors, and take the note's new
# tags and time (their filters).
_RETAG_PASSAGES = "UPDATE note_passages SET tags = $2, updated_at = $3 WHERE note_id = $1"
_GET = f"SELECT {NOTE_COLUMNS} FROM notes WHERE owner_id = $1 AND id = $2"
# Reindexing never overwrites a newer write: the note must still be as it was read.
_MARK_REINDEXED = """
UPDATE notes SET indexed_with = $4 WHERE owner_id = $1 AND id = $2 AND updated_at = $3
RETURNING id
"""
_STALE = f"""
SELECT {NOTE_COLUMNS} FROM notes WHERE owner_id = $1 AND indexed_with IS DISTINCT FROM $2
ORDER BY created_at, id LIMIT $3
"""
# Keyset-paged from the last note of the previous page: a reindex reads each note once,
# where starting over every batch re-read all the notes already done (quadratic).
_STALE_AFTER = f"""
SELECT {NOTE_COLUMNS} FROM notes WHERE owner_id = $1 AND indexed_with IS DISTINCT FROM $2
  AND (created_at, id) > ($4, $5)
ORDER BY created_at, id LIMIT $3
"""
_DELETE_PASSAGES_OF = "DELETE FROM note_passages WHERE owner_id = $1 AND note_id = ANY($2::uuid[])"
# The trash too: a note restored after a model change must be reindexed like the others.
_MARK_STALE = """
WITH trashed AS (UPDATE trashed_notes SET indexed_with = NULL WHERE owner_id = $1)
UPDATE notes SET indexed_with = NULL WHERE owner_id = $1
"""
_COUNT_STALE = "SELECT count(*) FROM notes WHERE owner_id = $1 AND indexed_with IS DISTINCT FROM $2"

# $6/$7: the stored title or content the new passages were computed from (NULL: not read,
# the patch replaces it). The write lands only if what was read is still what is stored, so
# the stored vectors always belong to the stored text; two updates that each replace the
# part the other read conflict, two that replace the same part do not.
_UPDATE = f"""
UPDATE notes
SET title = COALESCE($3, title),
    content = COALESCE($4, content),
    tags = COALESCE($5, tags),
    indexed_with = CASE WHEN $8::text IS NULL THEN indexed_with ELSE $8 END,
    updated_at = clock_timestamp()
WHERE owner_id = $1 AND id = $2
  AND ($6::text IS NULL OR title = $6) AND ($7::text IS NULL OR content = $7)
RETURNING {NOTE_COLUMNS}
"""


class PgNoteRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def insert(self, owner: OwnerId, draft: NoteDraft, indexed: Indexed) -> Note:
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(
                    _INSERT, owner, draft.title, draft.content, list(draft.tags), indexed.version
                )
                note = note_from_row(row)
                await write_passages(conn, owner, note, indexed)
        return note

    async def insert_new(
        self, owner: OwnerId, drafts: Sequence[NoteDraft], indexed: Sequence[Indexed]
    ) -> int:
        written = 0
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                # Per owner: two imports at once cannot both pass the NOT EXISTS check.
                await conn.execute("SELECT pg_advisory_xact_lock(7, ($1 % 2147483647)::int)", owner)
                statement = await conn.prepare(_INSERT_NEW)
                passages: list[tuple[Any, ...]] = []
                for draft, index in zip(drafts, indexed, strict=True):
                    row = await statement.fetchrow(
                        owner, draft.title, draft.content, list(draft.tags), index.version
                    )
                    if row is None:
                        continue
                    note = Note(
                        row["id"],
                        draft.title,
                        draft.content,
                        draft.tags,
                        row["updated_at"],
                        row["updated_at"],
                    )
                    passages += passage_rows(owner, note, index)
                    written += 1
                await write_passage_rows(conn, passages)
        return written

    async def get(self, owner: OwnerId, note_id: uuid.UUID) -> Note | None:
        with storage_errors():
            row = await self._pool.fetchrow(_GET, owner, note_id)
        return None if row is None else note_from_row(row)

    async def update(
        self, owner: OwnerId, current: Note, patch: NotePatch, indexed: Indexed | None
    ) -> Note | None:
        # Guard only the part of the stored text the passages were computed from.
        read_title = indexed is not None and patch.title is None
        read_content = indexed is not None and patch.content is None
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                old = await lock_current(conn, owner, current.id)
                if old is None:
                    return None
                row = await conn.fetchrow(
                    _UPDATE,
                    owner,
                    current.id,
                    patch.title,
                    patch.content,
                    None if patch.tags is None else list(patch.tags),
                    current.title if read_title else None,
                    current.content if read_content else None,
                    None if indexed is None else indexed.version,
                )
                if row is None:
                    return None
                note = note_from_row(row)
                await keep_version(conn, owner, old, note)
                if indexed is None:
                    await conn.execute(_RETAG_PASSAGES, note.id, list(note.tags), note.updated_at)
                else:
                    await conn.execute(_DELETE_PASSAGES, note.id)
                    await write_passages(conn, owner, note, indexed)
        return note

    async def reindex(
        self, owner: OwnerId, notes: Sequence[Note], indexed: Sequence[Indexed]
    ) -> int:
        """Replace the passages of the notes still as read, in one transaction; how many
        (a note that changed or went meanwhile is left alone).

        One transaction for the batch rather than one per note: one commit (and its fsync)
        instead of 64. The price: an update of one of these notes waits for the batch's
        passages to be written (well under a second), not for one note's."""
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                mark = await conn.prepare(_MARK_REINDEXED)
                kept = []
                for note, index in zip(notes, indexed, strict=True):
                    row = await mark.fetchrow(owner, note.id, note.updated_at, index.version)
                    if row is not None:
                        kept.append((note, index))
                await conn.execute(_DELETE_PASSAGES_OF, owner, [note.id for note, _ in kept])
                await write_passage_rows(
                    conn, [row for note, index in kept for row in passage_rows(owner, note, index)]
                )
        return len(kept)

    async def stale(
        self, owner: OwnerId, version: str, limit: int, after: Note | None = None
    ) -> list[Note]:
        """Notes whose passages were made otherwise than `version` (oldest first), after
        `after` if given."""
        with storage_errors():
            if after is None:
                rows = await self._pool.fetch(_STALE, owner, version, limit)
            else:
                rows = await self._pool.fetch(
                    _STALE_AFTER, owner, version, limit, after.created_at, after.id
                )
        return [note_from_row(r) for r in rows]

    async def count_stale(self, owner: OwnerId, version: str) -> int:
        with storage_errors():
            return int(await self._pool.fetchval(_COUNT_STALE, owner, version))

    async def mark_stale(self, owner: OwnerId) -> None:
        with storage_errors():
            await self._pool.execute(_MARK_STALE, owner)

    async def delete(self, owner: OwnerId, note_id: uuid.UUID) -> bool:
        """Move the note, with its passages, to the trash."""
        return await move_to_trash(self._pool, owner, note_id)

    async def list(
        self,
        owner: OwnerId,
        limit: int,
        cursor: str | None,
        tag: str | None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> NotePage:
        return await older_page(self._pool, owner, limit, cursor, tag, since, until)

    async def list_newer(
        self, owner: OwnerId, limit: int, cursor: str, tag: str | None
    ) -> NotePage:
        return await newer_page(self._pool, owner, limit, cursor, tag)

    async def search(self, owner: OwnerId, query: SearchQuery, embedding: Vector) -> Hits:
        with storage_errors():
            async with self._pool.acquire() as conn:
                return await search_passages(conn, owner, query, embedding)


async def write_passages(conn: Any, owner: OwnerId, note: Note, indexed: Indexed) -> None:
    await write_passage_rows(conn, passage_rows(owner, note, indexed))


async def write_passage_rows(conn: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Passages of several notes in one pipelined statement (a batch's, at the end of it)."""
    if rows:
        await conn.executemany(_INSERT_PASSAGES, rows)


def passage_rows(owner: OwnerId, note: Note, indexed: Indexed) -> list[tuple[Any, ...]]:
    vectors: list[Vector | None] = [*indexed.embeddings]
    vectors += [None] * (len(indexed.passages) - len(vectors))
    return [
        (
            note.id,
            p.ordinal,
            owner,
            list(note.tags),
            note.updated_at,
            note.title,
            p.heading,
            p.body,
            vector,
        )
        for p, vector in zip(indexed.passages, vectors, strict=True)
    ]
