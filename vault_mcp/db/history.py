"""PgHistoryRepository: the versions of a note that updates replaced, a few per note, by owner."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.db.rows import NOTE_COLUMNS, note_from_row
from vault_mcp.domain import KEPT_VERSIONS, Note
from vault_mcp.recovery import NoteVersion
from vault_mcp.service import OwnerId

# Read under the row lock the update then takes anyway: what it replaces is exactly this.
_CURRENT = f"""
SELECT {NOTE_COLUMNS} FROM notes WHERE owner_id = $1 AND id = $2 FOR UPDATE
"""
_KEEP = """
INSERT INTO note_versions (note_id, owner_id, title, content, tags, updated_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
_DROP_OLDEST = """
DELETE FROM note_versions WHERE id IN (
    SELECT id FROM note_versions WHERE owner_id = $1 AND note_id = $2
    ORDER BY id DESC OFFSET $3)
"""
# Only a live note's history is shown: a trashed note's waits for its restore.
_VERSIONS = """
SELECT v.id, v.note_id, v.title, v.content, v.tags, v.updated_at, v.replaced_at
FROM note_versions AS v JOIN notes AS n ON n.id = v.note_id AND n.owner_id = v.owner_id
WHERE v.owner_id = $1 AND v.note_id = $2
ORDER BY v.id DESC
"""
_VERSION = """
SELECT v.id, v.note_id, v.title, v.content, v.tags, v.updated_at, v.replaced_at
FROM note_versions AS v JOIN notes AS n ON n.id = v.note_id AND n.owner_id = v.owner_id
WHERE v.owner_id = $1 AND v.note_id = $2 AND v.id = $3
"""


async def lock_current(conn: Any, owner: OwnerId, note_id: uuid.UUID) -> Note | None:
    """The note as stored, locked until the transaction ends (None if it is gone)."""
    row = await conn.fetchrow(_CURRENT, owner, note_id)
    return None if row is None else note_from_row(row)


async def keep_version(conn: Any, owner: OwnerId, old: Note, new: Note) -> None:
    """Keep `old` as a version of the note, unless the update changed nothing (a repeated
    update must not push real versions out); then drop all but the newest KEPT_VERSIONS."""
    if (old.title, old.content, old.tags) == (new.title, new.content, new.tags):
        return
    await conn.execute(_KEEP, old.id, owner, old.title, old.content, list(old.tags), old.updated_at)
    await conn.execute(_DROP_OLDEST, owner, old.id, KEPT_VERSIONS)


def _version(row: Mapping[str, Any]) -> NoteVersion:
    return NoteVersion(
        id=row["id"],
        note_id=row["note_id"],
        title=row["title"],
        content=row["content"],
        tags=tuple(row["tags"]),
        updated_at=row["updated_at"],
        replaced_at=row["replaced_at"],
    )


class PgHistoryRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def versions(self, owner: OwnerId, note_id: uuid.UUID) -> list[NoteVersion]:
        with storage_errors():
            rows = await self._pool.fetch(_VERSIONS, owner, note_id)
        return [_version(r) for r in rows]

    async def version(
        self, owner: OwnerId, note_id: uuid.UUID, version_id: int
    ) -> NoteVersion | None:
        with storage_errors():
            row = await self._pool.fetchrow(_VERSION, owner, note_id, version_id)
        return None if row is None else _version(row)
