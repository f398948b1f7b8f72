"""MicroBatcher: gathers concurrent embedding requests into one forward pass, off the event loop."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio.to_thread
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from vault_mcp.service import Vector

EncodeFn = Callable[[list[str]], npt.NDArray[np.float32]]


@dataclass
class _Request:
    texts: list[str]
    future: asyncio.Future[list[Vector]]


class MicroBatcher:
    """Runs `encode` in a worker thread; requests that arrive while it runs share the next batch.

    No timer: while one batch is being encoded the next one fills up by itself, so a lone
    request never waits and a burst of requests costs a few forward passes, not one each.
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

    def _next_batch(self) -> list[_Request]:
        batch = [self._queue.popleft()]
        size = len(batch[0].texts)
        while self._queue and size + len(self._queue[0].texts) <= self._max_batch:
            request = self._queue.popleft()
            batch.append(request)
            size += len(request.texts)
        return [r for r in batch if not r.future.done()]  # drop requests whose caller gave up

    async def _drain(self) -> None:
        while self._queue:
            batch = self._next_batch()
            if not batch:
                continue
            texts = [t for r in batch for t in r.texts]
            try:
                vectors = await anyio.to_thread.run_sync(self._encode, texts)
            except Exception as exc:
                for r in batch:
                    if not r.future.done():
                        r.future.set_exception(exc)
                continue
            start = 0
            for r in batch:
                end = start + len(r.texts)
                if not r.future.done():
                    r.future.set_result(list(vectors[start:end]))
                start = end
