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
    A load that fails is tried again, after `retry_first` seconds and then twice as long each
    time up to `retry_max`: a model folder that was being copied, a full disk that was freed,
    a corrupt export (rebuilt by the next attempt) need no restart. Meanwhile `state` is
    "failed" and `embed` fails at once with EmbedderUnavailable.
    """

    def __init__(
        self,
        load: Callable[[], EncodeFn],
        dimension: int,
        max_batch: int = 64,
        *,
        retry_first: float = 5.0,
        retry_max: float = 300.0,
    ) -> None:
        self._load_model = load
        self._dimension = dimension
        self._retry_first, self._retry_max = retry_first, retry_max
        self._loaded: concurrent.futures.Future[EncodeFn] = concurrent.futures.Future()
        self._batcher = MicroBatcher(self._encode, max_batch=max_batch)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()  # no more load attempts
        self._failures = 0
        self._preparing = False  # the load is making a one-time artefact (the ONNX export)

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def state(self) -> str:
        """'loading', 'preparing' (a one-time step of the first load, e.g. the ONNX export),
        'ready' or 'failed' (also while a retry loads: /health must not flap between healthy
        and not with every attempt of a model that keeps failing)."""
        loaded = self._loaded
        if not loaded.done():
            if self._failures:
                return "failed"
            return "preparing" if self._preparing else "loading"
        return "failed" if loaded.exception() is not None else "ready"

    def mark_preparing(self) -> None:
        """Called by `load`, in its thread, when it starts a step that happens only once."""
        self._preparing = True

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
        delay = self._retry_first
        while True:
            try:
                encode = self._load_model()
            except BaseException as exc:
                # The details (a folder, a file) are for the operator's log, not for clients.
                log.error(
                    "the embedding model could not be loaded: %s; trying again in %.0f s",
                    exc,
                    delay,
                )
                self._failures += 1
                self._loaded.set_exception(
                    EmbedderUnavailable(
                        "the embedding model could not be loaded (the server's log says why); "
                        "retrying"
                    )
                )
            else:
                self._failures = 0
                self._preparing = False
                self._loaded.set_result(encode)
                return
            if self._closed.wait(delay):
                return
            delay = min(delay * 2, self._retry_max)
            retry: concurrent.futures.Future[EncodeFn] = concurrent.futures.Future()
            retry.set_running_or_notify_cancel()
            self._loaded = retry

    def close(self) -> None:
        """Stop trying to load (a model that loaded stays usable)."""
        self._closed.set()

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return self._loaded.result()(texts)

    async def wait_ready(self) -> None:
        self.start_loading()
        await asyncio.wrap_future(self._loaded)

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        await self.wait_ready()
        return await self._batcher.embed(texts)
