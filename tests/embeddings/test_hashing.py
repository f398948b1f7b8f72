from __future__ import annotations

import numpy as np

from vault_mcp.embeddings.hashing import HashingEmbedder


async def test_same_text_same_unit_vector() -> None:
    embedder = HashingEmbedder(384)
    a, b = await embedder.embed(["The quick brown fox", "the QUICK brown fox"])
    assert a.shape == (384,) and a.dtype == np.float32
    assert np.allclose(a, b)
    assert np.isclose(np.linalg.norm(a), 1.0)


async def test_texts_sharing_words_are_closer_than_texts_that_do_not() -> None:
    fox, fox2, soup = await HashingEmbedder().embed(
        ["brown fox jumps", "a brown fox", "tomato soup"]
    )
    assert float(fox @ fox2) > float(fox @ soup)


async def test_text_without_words_still_gets_a_valid_direction() -> None:
    [v] = await HashingEmbedder().embed(["!!! ???"])
    assert np.isclose(np.linalg.norm(v), 1.0)
