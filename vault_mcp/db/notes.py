"""PgNoteRepository: the SQL for notes, always filtered by owner."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.domain import Note, NoteDraft, NotePage, NotePatch, SearchHit
from vault_mcp.errors import InvalidInput
from vault_mcp.service import Hits, OwnerId

if TYPE_CHECKING:
    from vault_mcp.service import Vector

_COLUMNS = "id, title, content, tags, created_at, updated_at"

_INSERT = f"""
INSERT INTO notes (owner_id, title, content, tags, embedding)
VALUES ($1, $2, $3, $4, $5)
RETURNING {_COLUMNS}
"""
_INSERT_NEW = """
INSERT INTO notes (owner_id, title, content, tags, embedding)
SELECT $1, $2, $3, $4, $5
WHERE NOT EXISTS (SELECT 1 FROM notes WHERE owner_id = $1 AND title = $2 AND content = $3)
RETURNING true
"""
_GET = f"SELECT {_COLUMNS} FROM notes WHERE owner_id = $1 AND id = $2"

# $6/$7: the title and content the new embedding was computed from. When the patch does not
# set both, the write only lands if the stored text still matches, so the stored embedding
# always belongs to the stored text.
_UPDATE = f"""
UPDATE notes
SET title = COALESCE($3, title),
    content = COALESCE($4, content),
    tags = COALESCE($5, tags),
    embedding = COALESCE($8, embedding),
    updated_at = clock_timestamp()
WHERE owner_id = $1 AND id = $2
  AND ($6::text IS NULL OR (title = $6 AND content = $7))
RETURNING {_COLUMNS}
"""
_DELETE = "DELETE FROM notes WHERE owner_id = $1 AND id = $2"

_LIST_FIRST = f"""
SELECT {_COLUMNS} FROM notes WHERE owner_id = $1
ORDER BY created_at DESC, id DESC LIMIT $2
"""
_LIST_AFTER = f"""
SELECT {_COLUMNS} FROM notes WHERE owner_id = $1 AND (created_at, id) < ($3, $4)
ORDER BY created_at DESC, id DESC LIMIT $2
"""
_LIST_TAG_FIRST = f"""
SELECT {_COLUMNS} FROM notes WHERE owner_id = $1 AND tags @> ARRAY[$3::text]
ORDER BY created_at DESC, id DESC LIMIT $2
"""
_LIST_TAG_AFTER = f"""
SELECT {_COLUMNS} FROM notes WHERE owner_id = $1 AND tags @> ARRAY[$3::text]
  AND (created_at, id) < ($4, $5)
ORDER BY created_at DESC, id DESC LIMIT $2
"""

# The same query serves both search paths; only the planner settings around it differ.
_SEARCH = f"""
SELECT {_COLUMNS}, embedding <=> $2 AS distance
FROM notes WHERE owner_id = $1 AND tags @> $4::text[]
ORDER BY embedding <=> $2 LIMIT $3
"""
_SET_EF_SEARCH = "SELECT set_config('hnsw.ef_search', $1, true)"
# An exact scan: no index may order the rows, so every row that passes the filter is ranked.
# Bitmap scans stay on, so the owner and tag indexes still narrow the candidates.
_FORCE_EXACT = "SELECT set_config('enable_indexscan', 'off', true)"


def ef_search_for(limit: int) -> int:
    # Candidates the HNSW scan keeps. bench/hnsw.py at 100k real-text notes and short queries
    # (m 24, ef_construction 200): 200 → recall@10 0.982 in 6.6 ms; 160 → 0.978. Larger pages
    # keep the same ratio of candidates to results.
    return min(1000, max(200, 20 * limit))


def _note(row: Mapping[str, Any]) -> Note:
    return Note(
        id=row["id"],
        title=row["title"],
        content=row["content"],
        tags=tuple(row["tags"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def encode_cursor(note: Note) -> str:
    raw = f"{note.created_at.isoformat()}|{note.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, note_id = raw.split("|")
        # In UTC here, where an overflow is ours to catch: year 1 at +05:00 or 9999 at -05:00
        # parses, then overflows inside the driver.
        return datetime.fromisoformat(created).astimezone(UTC), uuid.UUID(note_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not valid; pass the next_cursor of a previous list_notes result"
        ) from None


class PgNoteRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def insert(self, owner: OwnerId, draft: NoteDraft, embedding: Vector) -> Note:
        with storage_errors():
            row = await self._pool.fetchrow(
                _INSERT, owner, draft.title, draft.content, list(draft.tags), embedding
            )
        return _note(row)

    async def insert_new(
        self, owner: OwnerId, drafts: Sequence[NoteDraft], embeddings: Sequence[Vector]
    ) -> int:
        rows = [
            (owner, d.title, d.content, list(d.tags), e)
            for d, e in zip(drafts, embeddings, strict=True)
        ]
        written = 0
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                # Per owner: two imports at once cannot both pass the NOT EXISTS check.
                await conn.execute("SELECT pg_advisory_xact_lock(7, ($1 % 2147483647)::int)", owner)
                statement = await conn.prepare(_INSERT_NEW)
                for row in rows:
                    written += bool(await statement.fetchval(*row))
        return written

    async def get(self, owner: OwnerId, note_id: uuid.UUID) -> Note | None:
        with storage_errors():
            row = await self._pool.fetchrow(_GET, owner, note_id)
        return None if row is None else _note(row)

    async def update(
        self, owner: OwnerId, current: Note, patch: NotePatch, embedding: Vector | None
    ) -> Note | None:
        # Guard only when the embedding was computed partly from the stored text.
        guarded = embedding is not None and (patch.title is None or patch.content is None)
        with storage_errors():
            row = await self._pool.fetchrow(
                _UPDATE,
                owner,
                current.id,
                patch.title,
                patch.content,
                None if patch.tags is None else list(patch.tags),
                current.title if guarded else None,
                current.content if guarded else None,
                embedding,
            )
        return None if row is None else _note(row)

    async def delete(self, owner: OwnerId, note_id: uuid.UUID) -> bool:
        with storage_errors():
            status = await self._pool.execute(_DELETE, owner, note_id)
        return bool(status == "DELETE 1")

    async def list(
        self, owner: OwnerId, limit: int, cursor: str | None, tag: str | None
    ) -> NotePage:
        args: list[Any] = [owner, limit + 1]
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
            rows = await self._pool.fetch(query, *args)
        notes = tuple(_note(r) for r in rows[:limit])
        more = len(rows) > limit
        return NotePage(notes, encode_cursor(notes[-1]) if more and notes else None)

    async def search(
        self, owner: OwnerId, embedding: Vector, limit: int, tags: tuple[str, ...]
    ) -> Hits:
        args = (owner, embedding, limit, list(tags))
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_SET_EF_SEARCH, str(ef_search_for(limit)))
                rows = await conn.fetch(_SEARCH, *args)
                if len(rows) < limit:
                    # pgvector 0.6 filters HNSW candidates after the scan, so a selective owner
                    # or tag filter can leave too few. Too few also means the filtered set is
                    # small or sparse in the graph: rank all of it exactly instead.
                    await conn.execute(_FORCE_EXACT)
                    rows = await conn.fetch(_SEARCH, *args)
        return [SearchHit(_note(r), 1.0 - float(r["distance"])) for r in rows]
