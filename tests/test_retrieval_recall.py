"""Held-out retrieval: on real documents, search_notes (HNSW) finds what exact search finds."""

from __future__ import annotations

import numpy as np
import pytest

from bench.corpus import documents, first_sentence
from vault_mcp.db.notes import PgNoteRepository
from vault_mcp.domain import NoteDraft
from vault_mcp.runtime import Services

pytestmark = pytest.mark.model

QUERIES = 100


async def test_search_notes_recall_at_10_is_within_5_percent_of_exact_search(
    model_services: Services, real_embedder: object
) -> None:
    docs = documents(2000, libraries=False)
    corpus, held_out = docs[:-QUERIES], docs[-QUERIES:]
    assert len(corpus) > 1000, "too few docstrings found for a meaningful corpus"
    texts = [f"{d.title}\n\n{d.text}" for d in corpus]
    vectors = np.stack(await model_services.embedder.embed(texts))
    repo = PgNoteRepository(model_services.pool)
    ids = []
    for doc, vector in zip(corpus, vectors, strict=True):
        note = await repo.insert(model_services.owner, NoteDraft(doc.title, doc.text, ()), vector)
        ids.append(note.id)
    async with model_services.pool.acquire() as conn:
        await conn.execute("ANALYZE notes")

    queries = [first_sentence(d.text) for d in held_out]
    query_vectors = np.stack(await model_services.embedder.embed(queries))

    # The served path must be the approximate one, or this test would prove nothing.
    async with model_services.pool.acquire() as conn:
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "EXPLAIN SELECT id FROM notes WHERE owner_id = $1 AND tags @> $4::text[] "
                "ORDER BY embedding <=> $2 LIMIT $3",
                model_services.owner,
                query_vectors[0],
                10,
                [],
            )
        )
    assert "notes_embedding_hnsw_idx" in plan, plan

    recalls = []
    for query, qv in zip(queries, query_vectors, strict=True):
        exact = {ids[i] for i in np.argsort(-(vectors @ qv))[:10]}
        served = await model_services.notes.search(model_services.owner, query, limit=10)
        recalls.append(len(exact & {h.note.id for h in served}) / 10)
    recall = float(np.mean(recalls))
    print(f"recall@10 vs exact over {len(corpus)} docs, {QUERIES} held-out queries: {recall:.3f}")
    assert recall >= 0.95
