"""HashingEmbedder: a tiny deterministic bag-of-words embedder for fast tests and offline dev."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vault_mcp.service import Vector

_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """Hashes each word into one of `dimension` signed buckets, then L2-normalises.

    Same text, same vector; texts that share words are close. It knows no synonyms, so it
    stands in for the real model only where meaning is not the point of a test.
    """

    def __init__(self, dimension: int = 384) -> None:
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def state(self) -> str:
        return "ready"

    def embed_sync(self, text: str) -> Vector:
        vector = np.zeros(self._dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self._dimension
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            # Text without words (e.g. "!!!") still needs a valid direction: cosine is
            # undefined for the zero vector.
            vector[0] = 1.0
            return vector
        return vector / norm

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        return [self.embed_sync(t) for t in texts]
