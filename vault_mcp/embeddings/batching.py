"""MicroBatcher: gathers concurrent embedding requests into one forward pass, off the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio.to_thread
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from vault_mcp.service import Vector

EncodeFn = Callable[[list[str]], npt.NDArray[np.float32]]

log = logging.getLogger(__name__)


@dataclass
class _Request:
    texts: list[str]
    future: asyncio.Future[list[Vector]]
    vectors: list[Vector] = field(default_factory=list)  # of texts[: len(vectors)]

    @property
    def remaining(self) -> int:
        return len(self.texts) - len(self.vectors)


@dataclass
class _Slice:
    request: _Request
    texts: list[str]


class MicroBatcher:
    """Runs `encode` in a worker thread; requests that arrive while it runs share the next batch.

    No timer: while one batch is being encoded the next one fills up by itself, so a lone
    request never waits and a burst of requests costs a few forward passes, not one each.

    Requests never hold each other up or down: a request larger than a batch (a long note's
    passages) is taken a batch at a time and goes to the back of the queue in between, so a
    search that arrives meanwhile waits for one batch, not for the whole note; and when a
    batch fails, each request in it is encoded again alone, so only the one whose text the
    model cannot take fails.
    """

    def __init__(self, encode: EncodeFn, max_batch: int = 64) -> None:
        self._encode = encode
        self._max_batch = max_batch
        self._queue: deque[_Request] = deque()
        self._worker: asyncio.Task[None] | None = None

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        future: asyncio.Future[list[Vector]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Request(list(texts), future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    def _next_batch(self) -> tuple[list[_Slice], _Request | None]:
        """Up to max_batch texts from the requests at the head of the queue in turn, and the
        request whose rest did not fit (queued again once this batch is delivered, so that
        requests arriving meanwhile go before it)."""
        batch: list[_Slice] = []
        room = self._max_batch
        while self._queue and room:
            request = self._queue.popleft()
            if request.future.done():  # its caller gave up
                continue
            start = len(request.vectors)
            taken = request.texts[start : start + room]
            batch.append(_Slice(request, taken))
            room -= len(taken)
            if request.remaining > len(taken):
                return batch, request
        return batch, None

    async def _drain(self) -> None:
        while self._queue:
            batch, rest = self._next_batch()
            if batch:
                await self._run(batch)
            if rest is not None and not rest.future.done():
                self._queue.append(rest)

    async def _run(self, batch: list[_Slice]) -> None:
        texts = [t for s in batch for t in s.texts]
        try:
            vectors = await anyio.to_thread.run_sync(self._encode, texts)
            if len(vectors) != len(texts):  # a broken encoder must fail, never leave a waiter
                raise RuntimeError(f"the encoder returned {len(vectors)} rows for {len(texts)}")
        except Exception as exc:
            if len(batch) == 1:
                self._fail(batch[0].request, exc)
                return
            log.warning("an embedding batch failed (%s); encoding its requests one by one", exc)
            for piece in batch:
                await self._run([piece])
            return
        start = 0
        for piece in batch:
            end = start + len(piece.texts)
            self._deliver(piece.request, list(vectors[start:end]))
            start = end

    def _deliver(self, request: _Request, vectors: list[Vector]) -> None:
        request.vectors.extend(vectors)
        if request.remaining == 0 and not request.future.done():
            request.future.set_result(request.vectors)

    def _fail(self, request: _Request, exc: Exception) -> None:
        if not request.future.done():
            request.future.set_exception(exc)
        # Whatever of it is still queued is dropped by _next_batch (its future is done).
