"""RecoveryService: the trash deleted notes wait in, and the versions updates replaced."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from vault_mcp.domain import Note, NotePreview, parse_note_id, validate_limit
from vault_mcp.errors import Conflict, NotFound
from vault_mcp.service import NoteService, OwnerId

# A version id is a bigint: anything past it names no version (and would overflow the driver).
_MAX_VERSION_ID = 2**63 - 1


@dataclass(frozen=True)
class TrashedNote:
    """A note in the trash: what the list shows, when it went, and when it goes for good."""

    note: NotePreview
    deleted_at: datetime
    purge_at: datetime


@dataclass(frozen=True)
class TrashPage:
    notes: tuple[TrashedNote, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class NoteVersion:
    """What a note was before an update replaced it."""

    id: int
    note_id: uuid.UUID
    title: str
    content: str
    tags: tuple[str, ...]
    updated_at: datetime  # when this version was written
    replaced_at: datetime  # when the update replaced it


class TrashRepository(Protocol):
    """The trash's storage; implemented in `vault_mcp.db.trash`. A note moves to the trash
    with its passages (and their vectors) in `NoteRepository.delete`."""

    async def list(
        self, owner: OwnerId, limit: int, cursor: str | None, retention: timedelta
    ) -> TrashPage: ...

    async def find(
        self, owner: OwnerId, note_id: uuid.UUID, retention: timedelta
    ) -> TrashedNote | None: ...

    async def restore(self, owner: OwnerId, note_id: uuid.UUID) -> Note | None:
        """Move the note and its passages back; None if it is not in the trash."""
        ...

    async def forget(self, owner: OwnerId, note_id: uuid.UUID) -> bool:
        """Delete a trashed note for good, with its history."""
        ...

    async def empty(self, owner: OwnerId) -> int: ...


class HistoryRepository(Protocol):
    """The versions of live notes, newest first; implemented in `vault_mcp.db.history`
    (which `NoteRepository.update` writes to)."""

    async def versions(self, owner: OwnerId, note_id: uuid.UUID) -> list[NoteVersion]: ...

    async def version(
        self, owner: OwnerId, note_id: uuid.UUID, version_id: int
    ) -> NoteVersion | None: ...


class RecoveryService:
    def __init__(
        self,
        notes: NoteService,
        trash: TrashRepository,
        history: HistoryRepository,
        retention: timedelta,
    ) -> None:
        self._notes = notes
        self._trash = trash
        self._history = history
        self.retention = retention

    async def list_trash(
        self, owner: OwnerId, limit: int = 20, cursor: str | None = None
    ) -> TrashPage:
        validate_limit(limit)
        return await self._trash.list(owner, limit, cursor or None, self.retention)

    async def find_trashed(self, owner: OwnerId, note_id: str) -> TrashedNote:
        parsed = parse_note_id(note_id)
        found = await self._trash.find(owner, parsed, self.retention)
        if found is None:
            raise NotFound(f"note {parsed} is not in the trash")
        return found

    async def restore(self, owner: OwnerId, note_id: str) -> Note:
        """Bring a trashed note back as it was (id, text, tags, times, passages); a note
        already back is returned as it is, so a repeated restore does no harm."""
        parsed = parse_note_id(note_id)
        try:
            restored = await self._trash.restore(owner, parsed)
        except Conflict:  # an import wrote a note with this id meanwhile
            raise Conflict(
                f"note {parsed} cannot be restored: another note has its id now"
            ) from None
        if restored is not None:
            return restored
        try:
            return await self._notes.get(owner, note_id)
        except NotFound:
            raise NotFound(f"note {parsed} is not in the trash") from None

    async def forget(self, owner: OwnerId, note_id: str) -> uuid.UUID:
        """Delete a trashed note for good."""
        parsed = parse_note_id(note_id)
        if not await self._trash.forget(owner, parsed):
            raise NotFound(f"note {parsed} is not in the trash")
        return parsed

    async def empty_trash(self, owner: OwnerId) -> int:
        """Delete every trashed note of the owner for good; how many went."""
        return await self._trash.empty(owner)

    async def history(self, owner: OwnerId, note_id: str) -> list[NoteVersion]:
        """The note's earlier versions, newest first (the note itself must be live)."""
        note = await self._notes.get(owner, note_id)
        return await self._history.versions(owner, note.id)

    async def version(self, owner: OwnerId, note_id: str, version_id: int) -> NoteVersion:
        parsed = parse_note_id(note_id)
        found = None
        if 0 < version_id <= _MAX_VERSION_ID:
            found = await self._history.version(owner, parsed, version_id)
        if found is None:
            raise NotFound(f"note {parsed} has no version {version_id}")
        return found

    async def restore_version(self, owner: OwnerId, note_id: str, version_id: int) -> Note:
        """Make an earlier version current again: an update, so the version it replaces
        is kept in turn."""
        old = await self.version(owner, note_id, version_id)
        return await self._notes.update(
            owner, note_id, title=old.title, content=old.content, tags=old.tags
        )
