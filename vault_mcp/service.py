"""NoteService: the one API that MCP tools and the web share. Every call is scoped to an owner."""

from __future__ import annotations

import asyncio
import random
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from vault_mcp.domain import (
    Limits,
    Note,
    NoteDraft,
    NotePage,
    NotePatch,
    SearchHit,
    SearchMode,
    SearchQuery,
    parse_note_id,
    validate_content,
    validate_date_range,
    validate_limit,
    validate_query,
    validate_tags,
    validate_title,
)
from vault_mcp.errors import Conflict, InvalidInput, NotFound
from vault_mcp.passages import (
    INDEX_VERSION,
    Passage,
    embedded_count,
    embedded_text,
    split_passages,
)

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
        """'loading', 'preparing' (a one-time step of the first load), 'ready' or 'failed'."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[Vector]: ...


# What the first load on a new data dir costs, said the same way in the log, /health and the
# web view, wherever someone waits for it. The packaged model's graph is written from its
# weights (measured: 0.5 s on a quiet two-core machine, ~1 s busy); a model that only torch
# can export takes 8-15 s.
PREPARING = (
    "preparing the embedding model for this data dir (once: about a second, or 10 s and more "
    "for a model torch must export); "
    "writes and searches wait for it"
)


@dataclass(frozen=True)
class Indexed:
    """A note's text as search sees it: its passages, the vectors of the first
    len(embeddings) of them (the rest are found by words only), and how they were made."""

    passages: Sequence[Passage]
    embeddings: Sequence[Vector]
    version: str = INDEX_VERSION


class NoteRepository(Protocol):
    """Stores notes with their passages; implemented in `vault_mcp.db.notes`.

    Every write of text writes the note and its passages in one transaction."""

    async def insert(self, owner: OwnerId, draft: NoteDraft, indexed: Indexed) -> Note: ...

    async def insert_new(
        self, owner: OwnerId, drafts: Sequence[NoteDraft], indexed: Sequence[Indexed]
    ) -> int:
        """Insert in one transaction, skipping drafts identical to a stored note; the count."""
        ...

    async def get(self, owner: OwnerId, note_id: uuid.UUID) -> Note | None: ...

    async def update(
        self, owner: OwnerId, current: Note, patch: NotePatch, indexed: Indexed | None
    ) -> Note | None:
        """Apply the patch only if the note is still `current`; None if it changed or vanished."""
        ...

    async def reindex(
        self, owner: OwnerId, notes: Sequence[Note], indexed: Sequence[Indexed]
    ) -> int:
        """Replace the passages of those still as read, in one transaction; how many."""
        ...

    async def stale(
        self, owner: OwnerId, version: str, limit: int, after: Note | None = None
    ) -> list[Note]: ...

    async def count_stale(self, owner: OwnerId, version: str) -> int: ...

    async def mark_stale(self, owner: OwnerId) -> None: ...

    async def delete(self, owner: OwnerId, note_id: uuid.UUID) -> bool: ...

    async def list(
        self,
        owner: OwnerId,
        limit: int,
        cursor: str | None,
        tag: str | None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> NotePage: ...

    async def list_newer(
        self, owner: OwnerId, limit: int, cursor: str, tag: str | None
    ) -> NotePage: ...

    async def search(self, owner: OwnerId, query: SearchQuery, embedding: Vector) -> Hits: ...


# An update retries when another process changed the note between our read and our write,
# after a random pause (up to 0.1 s, then 0.2 s) so that two retrying writers drift apart.
_UPDATE_ATTEMPTS = 3
_RETRY_PAUSE = 0.05


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

    async def _index(self, texts: Sequence[tuple[str, str]]) -> list[Indexed]:
        """Split each (title, content) into passages and embed them, in one batch for all."""
        split = [split_passages(content) for _, content in texts]
        counts = [embedded_count(p, self._limits.max_embedded_chars) for p in split]
        inputs = [
            embedded_text(title, passage)
            for (title, _), passages, n in zip(texts, split, counts, strict=True)
            for passage in passages[:n]
        ]
        vectors = await self._embedder.embed(inputs) if inputs else []
        indexed, start = [], 0
        for passages, n in zip(split, counts, strict=True):
            indexed.append(Indexed(passages, vectors[start : start + n]))
            start += n
        return indexed

    def draft(self, title: str, content: str, tags: Sequence[str]) -> NoteDraft:
        """The validated note (for the archive service, which writes given ids and times)."""
        return self._draft(title, content, tags)

    async def index(self, texts: Sequence[tuple[str, str]]) -> list[Indexed]:
        """Passages and vectors of (title, content) pairs, in one batch (for the archive)."""
        return await self._index(texts)

    async def create(
        self, owner: OwnerId, title: str, content: str, tags: Sequence[str] = ()
    ) -> Note:
        draft = self._draft(title, content, tags)
        [indexed] = await self._index([(draft.title, draft.content)])
        return await self._repository.insert(owner, draft, indexed)

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
        indexed = await self._index([(d.title, d.content) for d in drafts])
        return await self._repository.insert_new(owner, drafts, indexed)

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
            for attempt in range(_UPDATE_ATTEMPTS):
                if attempt:  # another process wrote the note meanwhile: let it finish
                    await asyncio.sleep(random.uniform(0, _RETRY_PAUSE * 2**attempt))
                current = await self.get(owner, note_id)
                indexed = None
                if patch.changes_text:
                    text = (patch.title or current.title, patch.content or current.content)
                    [indexed] = await self._index([text])
                updated = await self._repository.update(owner, current, patch, indexed)
                if updated is not None:
                    return updated
        raise Conflict(f"note {parsed} kept changing while it was being updated; try again")

    async def delete(self, owner: OwnerId, note_id: str) -> uuid.UUID:
        parsed = parse_note_id(note_id)
        if not await self._repository.delete(owner, parsed):
            raise NotFound(f"note {parsed} not found")
        return parsed

    async def list(
        self,
        owner: OwnerId,
        limit: int = 20,
        cursor: str | None = None,
        tag: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> NotePage:
        validate_limit(limit)
        validate_date_range(since, until)
        if tag is not None:
            [tag] = validate_tags([tag])
        return await self._repository.list(owner, limit, cursor or None, tag, since, until)

    async def list_newer(
        self, owner: OwnerId, cursor: str, limit: int = 20, tag: str | None = None
    ) -> NotePage:
        """The page of notes just newer than `cursor` (a page's `newer_cursor`), newest
        first; its `newer_cursor` is None when it reaches the newest note."""
        validate_limit(limit)
        if tag is not None:
            [tag] = validate_tags([tag])
        return await self._repository.list_newer(owner, limit, cursor, tag)

    async def search(
        self,
        owner: OwnerId,
        query: str,
        limit: int = 10,
        tags: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        mode: SearchMode = "fused",
    ) -> Hits:
        """The owner's notes that best match `query` by meaning and by words, best first;
        few or none when nothing matches."""
        validate_limit(limit)
        validate_date_range(since, until)
        request = SearchQuery(
            text=validate_query(query),
            limit=limit,
            tags=validate_tags(tuple(tags)),
            since=since,
            until=until,
            mode=mode,
        )
        [embedding] = await self._embedder.embed([request.text])
        return await self._repository.search(owner, request, embedding)

    async def reindex(self, owner: OwnerId, batch: int = 32) -> tuple[int, int]:
        """Re-split and re-embed one batch of the owner's notes whose passages are not the
        current kind; returns (reindexed, still stale). Each batch commits on its own, so an
        interrupted reindex resumes where it stopped."""
        notes = await self._repository.stale(owner, INDEX_VERSION, batch)
        done = await self.write_reindexed(owner, notes, await self.index_notes(notes))
        return done, await self._repository.count_stale(owner, INDEX_VERSION)

    async def stale(self, owner: OwnerId, after: Note | None, batch: int) -> Sequence[Note]:
        """The next `batch` notes to reindex, oldest first, after `after` if given."""
        return await self._repository.stale(owner, INDEX_VERSION, batch, after)

    async def index_notes(self, notes: Sequence[Note]) -> Sequence[Indexed]:
        """Passages and vectors of stored notes, in one batch (a reindex's encode step)."""
        return await self._index([(n.title, n.content) for n in notes])

    async def write_reindexed(
        self, owner: OwnerId, notes: Sequence[Note], indexed: Sequence[Indexed]
    ) -> int:
        """Store the new passages, in one transaction; how many notes took them (a note
        that changed meanwhile was reindexed by that write)."""
        return await self._repository.reindex(owner, notes, indexed) if notes else 0

    async def count_stale(self, owner: OwnerId) -> int:
        return await self._repository.count_stale(owner, INDEX_VERSION)

    async def mark_stale(self, owner: OwnerId) -> None:
        """Have every note of the owner reindexed (e.g. after a model change)."""
        await self._repository.mark_stale(owner)
