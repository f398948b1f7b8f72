"""NoteService: the one API that MCP tools and the web share. Every call is scoped to an owner."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from vault_mcp.domain import (
    Limits,
    Note,
    NoteDraft,
    NotePage,
    NotePatch,
    SearchHit,
    embedding_text,
    parse_note_id,
    validate_content,
    validate_limit,
    validate_query,
    validate_tags,
    validate_title,
)
from vault_mcp.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:  # numpy costs ~0.1 s to import; keep it off the MCP handshake path
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float32]

OwnerId = int
Hits = list[SearchHit]


class Embedder(Protocol):
    """Turns texts into unit-length vectors; implemented in `vault_mcp.embeddings`."""

    @property
    def dimension(self) -> int: ...

    @property
    def state(self) -> str:
        """'loading', 'ready' or 'failed'."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[Vector]: ...


class NoteRepository(Protocol):
    """Stores notes with their embeddings; implemented in `vault_mcp.db.notes`."""

    async def insert(self, owner: OwnerId, draft: NoteDraft, embedding: Vector) -> Note: ...

    async def insert_new(
        self, owner: OwnerId, drafts: Sequence[NoteDraft], embeddings: Sequence[Vector]
    ) -> int:
        """Insert in one transaction, skipping drafts identical to a stored note; the count."""
        ...

    async def get(self, owner: OwnerId, note_id: uuid.UUID) -> Note | None: ...

    async def update(
        self, owner: OwnerId, current: Note, patch: NotePatch, embedding: Vector | None
    ) -> Note | None:
        """Apply the patch only if the note is still `current`; None if it changed or vanished."""
        ...

    async def delete(self, owner: OwnerId, note_id: uuid.UUID) -> bool: ...

    async def list(
        self, owner: OwnerId, limit: int, cursor: str | None, tag: str | None
    ) -> NotePage: ...

    async def search(
        self, owner: OwnerId, embedding: Vector, limit: int, tags: tuple[str, ...]
    ) -> Hits: ...


# An update retries when another process changed the note between our read and our write.
_UPDATE_ATTEMPTS = 3


class NoteService:
    def __init__(self, repository: NoteRepository, embedder: Embedder, limits: Limits) -> None:
        self._repository = repository
        self._embedder = embedder
        self._limits = limits
        # Updates of one note in this process take turns, so they never lose the race
        # check against each other; the check still guards against other processes.
        self._update_locks: weakref.WeakValueDictionary[tuple[OwnerId, uuid.UUID], asyncio.Lock]
        self._update_locks = weakref.WeakValueDictionary()

    def _draft(self, title: str, content: str, tags: Sequence[str]) -> NoteDraft:
        return NoteDraft(
            title=validate_title(title),
            content=validate_content(content, self._limits),
            tags=validate_tags(tuple(tags)),
        )

    async def create(
        self, owner: OwnerId, title: str, content: str, tags: Sequence[str] = ()
    ) -> Note:
        draft = self._draft(title, content, tags)
        [embedding] = await self._embedder.embed([draft.embedding_text])
        return await self._repository.insert(owner, draft, embedding)

    async def create_many(
        self, owner: OwnerId, notes: Sequence[tuple[str, str, Sequence[str]]]
    ) -> int:
        """Bulk create (title, content, tags) triples with batched embedding and inserts.

        All are validated before anything is written; a note identical (same title and
        content) to one the owner already has is skipped, so re-running an import is safe.
        Returns how many were written.
        """
        drafts = [self._draft(title, content, tags) for title, content, tags in notes]
        if not drafts:
            return 0
        embeddings = await self._embedder.embed([d.embedding_text for d in drafts])
        return await self._repository.insert_new(owner, drafts, embeddings)

    async def get(self, owner: OwnerId, note_id: str) -> Note:
        parsed = parse_note_id(note_id)
        note = await self._repository.get(owner, parsed)
        if note is None:
            raise NotFound(f"note {parsed} not found")
        return note

    async def update(
        self,
        owner: OwnerId,
        note_id: str,
        *,
        title: str | None = None,
        content: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> Note:
        patch = NotePatch(
            title=None if title is None else validate_title(title),
            content=None if content is None else validate_content(content, self._limits),
            tags=None if tags is None else validate_tags(tuple(tags)),
        )
        if patch == NotePatch():
            raise InvalidInput("nothing to update; give at least one of title, content or tags")
        parsed = parse_note_id(note_id)
        lock = self._update_locks.setdefault((owner, parsed), asyncio.Lock())
        async with lock:
            for _ in range(_UPDATE_ATTEMPTS):
                current = await self.get(owner, note_id)
                embedding = None
                if patch.changes_text:
                    text = embedding_text(
                        patch.title or current.title, patch.content or current.content
                    )
                    [embedding] = await self._embedder.embed([text])
                updated = await self._repository.update(owner, current, patch, embedding)
                if updated is not None:
                    return updated
        raise Conflict(f"note {parsed} kept changing while it was being updated; try again")

    async def delete(self, owner: OwnerId, note_id: str) -> uuid.UUID:
        parsed = parse_note_id(note_id)
        if not await self._repository.delete(owner, parsed):
            raise NotFound(f"note {parsed} not found")
        return parsed

    async def list(
        self, owner: OwnerId, limit: int = 20, cursor: str | None = None, tag: str | None = None
    ) -> NotePage:
        validate_limit(limit)
        if tag is not None:
            [tag] = validate_tags([tag])
        return await self._repository.list(owner, limit, cursor or None, tag)

    async def search(
        self, owner: OwnerId, query: str, limit: int = 10, tags: Sequence[str] = ()
    ) -> Hits:
        query = validate_query(query)
        validate_limit(limit)
        wanted_tags = validate_tags(tuple(tags))
        [embedding] = await self._embedder.embed([query])
        return await self._repository.search(owner, embedding, limit, wanted_tags)
