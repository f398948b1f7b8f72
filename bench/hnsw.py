"""HNSW parameters by measurement: recall@10 and SQL latency for m, ef_construction, ef_search.

    .venv/bin/python -m bench.hnsw [--notes 100000] [--queries 400]

Loads the passage corpus (bench.passages) into a scratch table of an embedded PostgreSQL,
builds the index once per (m, ef_construction), and runs the server's own search statement
(owner filter, ORDER BY cosine distance, LIMIT 10) for short held-out queries (the first
words of passages not stored, as bench.serving asks them) at several
`hnsw.ef_search` values. Recall is against exact search over the same vectors (numpy).
Writes bench/results/hnsw.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.core import CACHE, RESULTS, machine, percentile
from bench.passages import passages_with_vectors
from bench.serving import CORPUS, QUERY_WORDS

BUILDS = [(16, 64), (16, 128), (24, 128)]
EF_SEARCH = [40, 64, 100, 160]


async def sweep(
    notes: int, query_count: int, builds: list[tuple[int, int]], ef_values: list[int]
) -> list[dict[str, Any]]:
    import asyncpg
    from pgvector.asyncpg import register_vector

    from vault_mcp.db.embedded import EmbeddedPostgres
    from vault_mcp.embeddings.onnx import load_onnx

    docs, vectors = passages_with_vectors(CORPUS)
    stored = vectors[:notes]
    queries = [" ".join(d.text.split()[:QUERY_WORDS]) for d in docs[CORPUS - query_count :]]
    query_vectors = np.asarray(load_onnx(None, CACHE / "models", 384)(queries))
    exact = np.argsort(-(query_vectors @ stored.T), axis=1)[:, :10]

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vault-hnsw-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "data")
        conn = await asyncpg.connect(server.start())
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            await register_vector(conn)
            await conn.execute(
                "CREATE TABLE notes (n int PRIMARY KEY, owner_id bigint, embedding vector(384))"
            )
            await conn.copy_records_to_table(
                "notes", records=[(n, 1, v) for n, v in enumerate(stored)]
            )
            await conn.execute("SET maintenance_work_mem = '1GB'")
            for m, ef_construction in builds:
                await conn.execute("DROP INDEX IF EXISTS notes_hnsw")
                started = time.perf_counter()
                await conn.execute(
                    "CREATE INDEX notes_hnsw ON notes USING hnsw (embedding vector_cosine_ops) "
                    f"WITH (m = {m}, ef_construction = {ef_construction})"
                )
                build_s = time.perf_counter() - started
                size = await conn.fetchval("SELECT pg_relation_size('notes_hnsw')")
                await conn.execute("ANALYZE notes")
                for ef in ef_values:
                    await conn.execute(f"SET hnsw.ef_search = {ef}")
                    latencies, recalls = [], []
                    for vector, truth in zip(query_vectors, exact, strict=True):
                        t0 = time.perf_counter()
                        found = await conn.fetch(
                            "SELECT n FROM notes WHERE owner_id = 1 "
                            "ORDER BY embedding <=> $1 LIMIT 10",
                            vector,
                        )
                        latencies.append((time.perf_counter() - t0) * 1000)
                        recalls.append(len({r["n"] for r in found} & set(truth.tolist())) / 10)
                    row = {
                        "m": m,
                        "ef_construction": ef_construction,
                        "build_s": round(build_s, 1),
                        "index_mib": round(size / 2**20, 1),
                        "ef_search": ef,
                        "recall_at_10": statistics.mean(recalls),
                        "p50_ms": percentile(latencies, 50),
                        "p99_ms": percentile(latencies, 99),
                    }
                    rows.append(row)
                    print(
                        f"m={m:<3} ef_construction={ef_construction:<4} ef_search={ef:<4} "
                        f"recall@10 {row['recall_at_10']:.3f}  p50 {row['p50_ms']:.2f} ms  "
                        f"p99 {row['p99_ms']:.2f} ms  (build {build_s:.0f} s, "
                        f"{row['index_mib']} MiB)",
                        file=sys.stderr,
                    )
        finally:
            await conn.close()
            server.stop()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument(
        "--build", action="append", metavar="M,EF_CONSTRUCTION", help="index builds to try"
    )
    parser.add_argument("--ef-search", type=int, action="append", help="ef_search values")
    args = parser.parse_args()
    builds = [tuple(map(int, b.split(","))) for b in args.build] if args.build else BUILDS
    rows = await sweep(args.notes, args.queries, builds, args.ef_search or EF_SEARCH)  # type: ignore[arg-type]
    info = machine()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hnsw.json").write_text(
        json.dumps({"machine": info, "notes": args.notes, "rows": rows}, indent=2)
    )
    print(f"\nHNSW at {args.notes:,} notes, {args.queries} queries — {info['cpu']}")
    print("  m   ef_c  ef_search  recall@10  p50 ms  p99 ms  build s  MiB")
    for r in rows:
        print(
            f"  {r['m']:<3} {r['ef_construction']:<5} {r['ef_search']:<10} "
            f"{r['recall_at_10']:<10.3f} {r['p50_ms']:<7.2f} {r['p99_ms']:<7.2f} "
            f"{r['build_s']:<8} {r['index_mib']}"
        )


if __name__ == "__main__":
    asyncio.run(main())
