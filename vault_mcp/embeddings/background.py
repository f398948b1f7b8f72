"""BackgroundEmbedder: loads a model in a daemon thread; embeds through a MicroBatcher."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from vault_mcp.embeddings.batching import EncodeFn, MicroBatcher
from vault_mcp.errors import EmbedderUnavailable

if TYPE_CHECKING:
    from vault_mcp.service import Vector

log = logging.getLogger(__name__)


class BackgroundEmbedder:
    """`start_loading()` returns at once; `embed` waits for the model, then batches requests.

    `load` runs in the thread and returns the blocking encode function (texts → unit vectors).
    """

    def __init__(self, load: Callable[[], EncodeFn], dimension: int, max_batch: int = 64) -> None:
        self._load_model = load
        self._dimension = dimension
        self._loaded: concurrent.futures.Future[EncodeFn] = concurrent.futures.Future()
        self._batcher = MicroBatcher(self._encode, max_batch=max_batch)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def state(self) -> str:
        if not self._loaded.done():
            return "loading"
        return "failed" if self._loaded.exception() is not None else "ready"

    def start_loading(self) -> None:
        """Begin loading in a daemon thread (a stuck load must never keep the process alive)."""
        with self._lock:
            if self._thread is None:
                # RUNNING from now on: a waiter that is cancelled cannot cancel the load.
                self._loaded.set_running_or_notify_cancel()
                self._thread = threading.Thread(
                    target=self._load, name="vault-embedder-load", daemon=True
                )
                self._thread.start()

    def _load(self) -> None:
        try:
            encode = self._load_model()
        except BaseException as exc:
            log.error("%s", exc)
            self._loaded.set_exception(
                exc if isinstance(exc, EmbedderUnavailable) else EmbedderUnavailable(str(exc))
            )
        else:
            self._loaded.set_result(encode)

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return self._loaded.result()(texts)

    async def wait_ready(self) -> None:
        self.start_loading()
        await asyncio.wrap_future(self._loaded)

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        await self.wait_ready()
        return await self._batcher.embed(texts)
