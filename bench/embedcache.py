"""CachingEmbedder: the real embedder, with every vector it makes kept in bench/.cache.

The quality benchmark loads the same texts run after run (and whatever passages the server
splits them into), so each distinct text is embedded once per machine; a changed splitter only
pays for the new passages. Queries can bypass the cache (`cache_queries=False`) so search
latency includes embedding the query, as a user waits for it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vault_mcp.service import Embedder


class CachingEmbedder:
    def __init__(self, inner: Embedder, path: Path, model_key: str) -> None:
        self._inner = inner
        self._model_key = model_key
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB)")
        self.enabled = True
        self.embedded = 0  # texts the model actually embedded (cache misses)

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def state(self) -> str:
        return self._inner.state

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._model_key}\0{text}".encode()).hexdigest()

    async def embed(self, texts: Sequence[str]) -> list[Any]:
        if not self.enabled:
            return await self._inner.embed(texts)
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(
                f"SELECT key, v FROM vectors WHERE key IN ({marks})", chunk
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if missing:
            vectors = await self._inner.embed([t for _, t in missing])
            self.embedded += len(missing)
            rows = []
            for (key, _), vector in zip(missing, vectors, strict=True):
                array = np.asarray(vector, dtype=np.float32)
                found[key] = array
                rows.append((key, array.tobytes()))
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
        return [found[k] for k in keys]

    def close(self) -> None:
        self._db.close()
