"""Held-out retrieval: on real documents, the served search (HNSW over passages) finds what
exact search over the same passages finds."""

from __future__ import annotations

import numpy as np
import pytest

from bench.corpus import documents, first_sentence
from vault_mcp.db import search as search_sql
from vault_mcp.db.search import FUSION
from vault_mcp.runtime import Services

# It embeds ~1,900 docstrings with the real model: a minute alone on 2 cores, several beside
# other work, past the suite's 300 s default.
pytestmark = [pytest.mark.model, pytest.mark.timeout(900)]

QUERIES = 100


async def test_search_notes_recall_at_10_is_within_5_percent_of_exact_search(
    model_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Through the HNSW index, as an account larger than this corpus is served.
    monkeypatch.setattr(search_sql, "EXACT_BELOW", 500)
    docs = documents(2000, libraries=False)
    corpus, held_out = docs[:-QUERIES], docs[-QUERIES:]
    assert len(corpus) > 1000, "too few docstrings found for a meaningful corpus"
    owner = model_services.owner
    for start in range(0, len(corpus), 64):
        batch = corpus[start : start + 64]
        await model_services.notes.create_many(owner, [(d.title, d.text, []) for d in batch])
    async with model_services.pool.acquire() as conn:
        await conn.execute("ANALYZE note_passages")
        rows = await conn.fetch("SELECT note_id, embedding FROM note_passages")
    # The served path must be the approximate one, or this test would prove nothing.
    assert len(rows) >= search_sql.EXACT_BELOW, len(rows)
    note_ids = [r["note_id"] for r in rows]
    vectors = np.stack([r["embedding"].to_numpy() for r in rows])

    queries = [first_sentence(d.text) for d in held_out]
    query_vectors = np.stack(await model_services.embedder.embed(queries))
    recalls = []
    for query, qv in zip(queries, query_vectors, strict=True):
        best: dict[object, float] = {}
        for note_id, score in zip(note_ids, vectors @ qv, strict=True):
            best[note_id] = max(best.get(note_id, -2.0), float(score))
        # What exact search would show: the top 10 notes that clear the relevance floor.
        top = sorted(best, key=lambda i: -best[i])[:10]
        exact = [i for i in top if best[i] >= FUSION.min_similarity]
        if not exact:
            continue
        served = await model_services.notes.search(owner, query, limit=10, mode="vector")
        recalls.append(len(set(exact) & {h.note.id for h in served}) / len(exact))
    recall = float(np.mean(recalls))
    print(
        f"recall@10 vs exact over {len(rows)} passages of {len(corpus)} docs, "
        f"{len(recalls)} held-out queries: {recall:.3f}"
    )
    assert len(recalls) >= QUERIES * 0.8
    assert recall >= 0.95
