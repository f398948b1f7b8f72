"""Core benchmark: cold start, sequential create_note, and search_notes at scale, over real stdio.

    .venv/bin/python -m bench.core [--notes 10000] [--runs 5] [--creates 200] [--searches 200]

Everything runs against the embedded PostgreSQL in a throw-away data dir and the real model.
The corpus (docstrings of installed packages) and its embeddings are cached in bench/.cache,
so only the first run pays for embedding it. Prints a table and writes bench/results/core.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench.corpus import CACHE, Document, cached_corpus, documents, first_sentence

HERE = Path(__file__).parent
RESULTS = HERE / "results"
VAULT_MCP = str(Path(sys.executable).parent / "vault-mcp")


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def corpus_with_vectors(size: int) -> tuple[list[Document], np.ndarray]:
    """`size` docstrings and their embeddings, from the cache when possible."""

    def encode(docs: list[Document]) -> np.ndarray:
        from vault_mcp.embeddings.sentence_transformer import load_model

        return np.asarray(
            load_model(None, 384).encode(
                [f"{d.title}\n\n{d.text}" for d in docs],
                batch_size=32,
                normalize_embeddings=True,
                show_progress_bar=True,
                convert_to_numpy=True,
            )
        )

    return cached_corpus("corpus", size, documents, encode, vectors_name="vectors")


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "DATABASE_URL"))}
    env.update(
        VAULT_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        VAULT_LOG_LEVEL="WARNING",
        # The ONNX export is made once and reused by every run (as a data dir would keep it).
        VAULT_MODEL_CACHE=str(CACHE / "models"),
    )
    return env


def server_rss_mib() -> float:
    children = psutil.Process().children(recursive=True)
    servers = [c for c in children if "vault-mcp" in " ".join(c.cmdline())]
    return round(sum(c.memory_info().rss for c in servers) / 2**20, 1)


async def wait_until_idle(data_dir: Path, wait_seconds: float = 30) -> None:
    """Let the previous server exit and its PostgreSQL stop, so runs do not overlap."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        busy = any("vault-mcp" in " ".join(c.cmdline()) for c in psutil.Process().children(True))
        if not busy and not (data_dir / "pgdata" / "postmaster.pid").exists():
            return
        await asyncio.sleep(0.1)


async def cold_start(data_dir: Path) -> dict[str, float]:
    """One spawn: seconds to the initialize result and to the first search result."""
    await wait_until_idle(data_dir)
    params = StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=server_env(data_dir))
    started = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        initialized = time.perf_counter() - started
        result = await session.call_tool("search_notes", {"query": "cold start probe"})
        assert not result.is_error, result.content
        first_search = time.perf_counter() - started
        rss = server_rss_mib()
    return {"initialize_s": initialized, "first_search_s": first_search, "rss_mib": rss}


def passage_vectors(vectors: np.ndarray, per_note: int) -> np.ndarray:
    """(notes, per_note, dim): each note's own vector, then its perturbed siblings."""
    rng = np.random.default_rng(5)
    noise = rng.standard_normal((len(vectors), per_note - 1, vectors.shape[1]))
    siblings = vectors[:, None, :] + 0.022 * noise.astype(np.float32)
    siblings /= np.linalg.norm(siblings, axis=2, keepdims=True)
    return np.concatenate([vectors[:, None, :], siblings], axis=1)


async def load_notes(
    data_dir: Path,
    username: str,
    docs: list[Document],
    vectors: np.ndarray,
    passages_per_note: int = 1,
) -> dict[str, int]:
    """COPY the notes in for `username`, with the HNSW index built once afterwards (as a
    restore would), not row by row. Returns each note's id → its position in `docs`.

    Each note is one passage carrying the document's cached vector, as the server stores a
    note of that text (a short document is one passage; a longer one is kept whole, as a vault
    carried over from before passages is). `passages_per_note` > 1 adds sibling passages whose
    vectors are the note's own perturbed (cosine ≈ 0.9): the index then holds that many times
    the vectors, as a vault of longer notes does, without embedding that many more texts.
    Latency and the index's recall are measured over all of them; retrieval quality is
    bench/quality.py's job.
    """
    import uuid

    import asyncpg
    from pgvector.asyncpg import register_vector

    from vault_mcp.db.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(data_dir)
    conn = await asyncpg.connect(server.start())
    try:
        await register_vector(conn)
        owner = await conn.fetchval("SELECT id FROM users WHERE username = $1", username)
        index = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'note_passages_embedding_hnsw_idx'"
        )
        await conn.execute("DROP INDEX note_passages_embedding_hnsw_idx")
        ids = [uuid.uuid4() for _ in docs]
        rows = await conn.fetch(
            "SELECT clock_timestamp() AS t FROM generate_series(1, $1)", len(docs)
        )
        stamps = [r["t"] for r in rows]
        await conn.copy_records_to_table(
            "notes",
            records=[
                (i, owner, d.title[:500], d.text, [], t, t)
                for i, d, t in zip(ids, docs, stamps, strict=True)
            ],
            columns=["id", "owner_id", "title", "content", "tags", "created_at", "updated_at"],
        )
        every = passage_vectors(vectors, passages_per_note)

        def passage_rows() -> Any:
            for i, d, note_vectors, t in zip(ids, docs, every, stamps, strict=True):
                for ordinal, v in enumerate(note_vectors):
                    yield (i, ordinal, owner, [], t, d.title[:500], d.text, v)

        await conn.copy_records_to_table(
            "note_passages",
            records=passage_rows(),
            columns=[
                "note_id",
                "ordinal",
                "owner_id",
                "tags",
                "updated_at",
                "title",
                "body",
                "embedding",
            ],
        )
        started = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '2GB'")
        await conn.execute(index)
        print(
            f"  HNSW index over {len(docs) * passages_per_note} passages built in "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        await conn.execute("ANALYZE notes")
        await conn.execute("ANALYZE note_passages")
        return {str(i): n for n, i in enumerate(ids)}
    finally:
        await conn.close()
        server.stop()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


async def session_benchmarks(
    data_dir: Path, creates: list[Document], queries: list[str]
) -> dict[str, Any]:
    params = StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=server_env(data_dir))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        await session.call_tool("search_notes", {"query": "warm up"})  # model loaded
        started = time.perf_counter()
        for doc in creates:
            result = await session.call_tool(
                "create_note", {"title": doc.title[:500], "content": doc.text}
            )
            assert not result.is_error, result.content
        create_rate = len(creates) / (time.perf_counter() - started)

        latencies, served = [], []
        for query in queries:
            t0 = time.perf_counter()
            result = await session.call_tool("search_notes", {"query": query, "limit": 10})
            latencies.append((time.perf_counter() - t0) * 1000)
            assert not result.is_error, result.content
            served.append([r["title"] for r in result.structured_content["results"]])
        rss = server_rss_mib()
    return {
        "create_notes_per_s": create_rate,
        "search_ms": latencies,
        "served_titles": served,
        "rss_mib": rss,
    }


def exact_titles(
    docs: list[Document], vectors: np.ndarray, query_vectors: np.ndarray
) -> list[list[str]]:
    scores = query_vectors @ vectors.T
    return [[docs[i].title[:500] for i in np.argsort(-row)[:10]] for row in scores]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000, help="notes in the search benchmark")
    parser.add_argument("--runs", type=int, default=9, help="cold-start spawns")
    parser.add_argument("--creates", type=int, default=200, help="sequential create_note calls")
    parser.add_argument("--searches", type=int, default=200, help="search_notes calls")
    args = parser.parse_args()

    extra = args.creates + args.searches
    docs, vectors = corpus_with_vectors(args.notes + extra)
    stored_docs, stored_vectors = docs[: args.notes], vectors[: args.notes]
    creates = docs[args.notes : args.notes + args.creates]
    held_out = docs[args.notes + args.creates :]
    queries = [first_sentence(d.text)[:2000] for d in held_out]

    with tempfile.TemporaryDirectory(prefix="vault-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        print("initialising the embedded database…", file=sys.stderr)
        proc = await asyncio.create_subprocess_exec(VAULT_MCP, "migrate", env=server_env(data_dir))
        assert await proc.wait() == 0

        print(f"cold start x {args.runs}…", file=sys.stderr)
        colds = [await cold_start(data_dir) for _ in range(args.runs)]

        print(f"loading {len(stored_docs)} notes…", file=sys.stderr)
        await load_notes(data_dir, "local", stored_docs, stored_vectors)

        print(
            f"{args.creates} sequential create_note, {args.searches} search_notes…", file=sys.stderr
        )
        session = await session_benchmarks(data_dir, creates, queries)

    # Exact neighbours among what the server held during the searches: the corpus plus the
    # notes created just before.
    all_docs = stored_docs + creates
    all_vectors = np.concatenate([stored_vectors, vectors[args.notes : args.notes + args.creates]])
    from vault_mcp.embeddings.sentence_transformer import load_model

    query_vectors = load_model(None, 384).encode(queries, normalize_embeddings=True)
    exact = exact_titles(all_docs, all_vectors, np.asarray(query_vectors, dtype=np.float32))
    recall = statistics.mean(
        len(set(s) & set(e)) / len(e) for s, e in zip(session["served_titles"], exact, strict=True)
    )

    lat = session["search_ms"]
    results = {
        "machine": machine(),
        "notes": len(all_docs),
        "cold_start": {
            "runs": args.runs,
            "spawn_to_initialize_s_median": statistics.median(c["initialize_s"] for c in colds),
            "spawn_to_initialize_s_all": [round(c["initialize_s"], 3) for c in colds],
            "spawn_to_first_search_s_median": statistics.median(c["first_search_s"] for c in colds),
            "rss_after_load_mib": colds[-1]["rss_mib"],
        },
        "create_note_sequential_per_s": session["create_notes_per_s"],
        "search_notes": {
            "calls": len(lat),
            "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99),
            "mean_ms": statistics.mean(lat),
            "recall_at_10_vs_exact": recall,
        },
        "server_rss_mib": session["rss_mib"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "core.json").write_text(json.dumps(results, indent=2))

    c, s = results["cold_start"], results["search_notes"]
    machine_info = results["machine"]
    print(f"\nvault-mcp core benchmark — {machine_info['cpu']}, {machine_info['cores']} cores")
    rows = [
        ("stdio spawn → initialize (median)", f"{c['spawn_to_initialize_s_median']:.2f} s"),
        (
            "stdio spawn → first search result (median)",
            f"{c['spawn_to_first_search_s_median']:.2f} s",
        ),
        ("server RSS after model load", f"{c['rss_after_load_mib']:.0f} MiB"),
        (
            "create_note, sequential, over stdio",
            f"{results['create_note_sequential_per_s']:.1f} notes/s",
        ),
        (f"search_notes at {results['notes']} notes, p50", f"{s['p50_ms']:.1f} ms"),
        ("search_notes p95 / p99", f"{s['p95_ms']:.1f} / {s['p99_ms']:.1f} ms"),
        ("search_notes recall@10 vs exact", f"{s['recall_at_10_vs_exact']:.3f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(f"\nwritten to {RESULTS / 'core.json'}")


if __name__ == "__main__":
    asyncio.run(main())
