"""ArchiveService: every note of an owner, page by page, and notes written back with their ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from vault_mcp.domain import Note, NoteDraft
from vault_mcp.service import Indexed, NoteService, OwnerId
from vault_mcp.transfer.records import NoteRecord

PAGE = 200


@dataclass(frozen=True)
class Restorable:
    """A validated record about to be written: its draft, and its id and times if it has any."""

    draft: NoteDraft
    id: uuid.UUID | None
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class Prepared:
    """A batch of records validated and embedded, ready to be written."""

    notes: tuple[Restorable, ...]
    indexed: tuple[Indexed, ...]


@dataclass
class RestoreReport:
    written: int = 0
    duplicates: int = 0
    # Ids the vault already has with another text: never overwritten, named to the user.
    conflicts: list[uuid.UUID] = field(default_factory=list)


class NoteArchive(Protocol):
    """Reads all of an owner's notes and writes given ones; implemented in vault_mcp.db.archive."""

    async def page(
        self, owner: OwnerId, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[Note]:
        """The owner's notes in (created_at, id) order, after `after`, full text."""
        ...

    async def count(self, owner: OwnerId) -> int: ...

    async def restore(
        self, owner: OwnerId, notes: Sequence[Restorable], indexed: Sequence[Indexed]
    ) -> RestoreReport:
        """Write in one transaction: a record with an id keeps it, and is skipped if the
        owner has that note with the same title and content, a conflict otherwise; one
        without is skipped if identical (title and content) to a stored note."""
        ...


class ArchiveService:
    def __init__(self, archive: NoteArchive, notes: NoteService) -> None:
        self._archive, self._notes = archive, notes

    async def count(self, owner: OwnerId) -> int:
        return await self._archive.count(owner)

    async def notes(self, owner: OwnerId, page: int = PAGE) -> AsyncIterator[Note]:
        """Every note of the owner, oldest first, read `page` at a time (keyset paging:
        constant memory, and a note written meanwhile never shifts the pages)."""
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            batch = await self._archive.page(owner, after, page)
            for note in batch:
                yield note
            if len(batch) < page:
                return
            after = (batch[-1].created_at, batch[-1].id)

    async def restore(self, owner: OwnerId, records: Sequence[NoteRecord]) -> RestoreReport:
        """Validate all, embed them in one batch, write them in one transaction."""
        return await self.write(owner, await self.prepare(records))

    async def prepare(self, records: Sequence[NoteRecord]) -> Prepared:
        """Validate all and embed them in one batch (no database work: an import prepares
        the next batch while the last one is written)."""
        notes = [
            Restorable(
                self._notes.draft(r.title, r.content, r.tags), r.id, r.created_at, r.updated_at
            )
            for r in records
        ]
        if not notes:
            return Prepared((), ())
        indexed = await self._notes.index([(n.draft.title, n.draft.content) for n in notes])
        return Prepared(tuple(notes), tuple(indexed))

    async def write(self, owner: OwnerId, prepared: Prepared) -> RestoreReport:
        """Write prepared notes in one transaction."""
        if not prepared.notes:
            return RestoreReport()
        return await self._archive.restore(owner, prepared.notes, prepared.indexed)
