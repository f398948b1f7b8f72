"""Bulk import and reindex rate as the vault grows, beside the raw encode rate of the same texts.

    .venv/bin/python -m bench.import_rate [--new 2000] [--existing 1000,10000,100000]

For each size, a throw-away embedded database is filled with that many notes (COPY, vectors
from bench/.cache, the HNSW index built once, as bench.core does), then `--new` real notes
(man-page and docstring passages, none of them already stored) are imported with `vault-mcp
import`'s code path, then marked stale and reindexed with `vault-mcp reindex`'s. Each is timed
from its first batch to its last, and split into the time spent in the database (the write
transactions) and the rest (mostly the encode). The raw rate is onnxruntime encoding the very
texts the import embeds, in the same batches, in the same run.

The stored notes' vectors are the cached real ones once `python -m bench.passages` has made
them; until then they are stand-ins (unit vectors around 2,000 random centres) and the output
says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from bench.core import CACHE, load_notes, machine
from bench.corpus import Document
from vault_mcp.db.archive import PgNoteArchive
from vault_mcp.db.notes import PgNoteRepository
from vault_mcp.embeddings.onnx import load_onnx
from vault_mcp.importer import BATCH, Progress, import_notes
from vault_mcp.passages import embedded_count, embedded_text, split_passages
from vault_mcp.reindex import reindex_notes
from vault_mcp.runtime import open_services
from vault_mcp.service import INDEX_VERSION
from vault_mcp.settings import Settings

POOL = 101_200  # bench.passages' corpus


class Timed(Progress):
    """Records when the first batch started and the last one ended."""

    first_at: float | None = None
    last_at: float | None = None

    def __init__(self, total: int) -> None:
        super().__init__(total, sys.stderr)
        Timed.first_at = time.perf_counter()  # the bar is made just before the first batch
        Timed.last_at = None

    def update(self, done: int) -> None:
        Timed.last_at = time.perf_counter()
        super().update(done)

    @classmethod
    def seconds(cls) -> float:
        assert cls.first_at is not None and cls.last_at is not None
        return cls.last_at - cls.first_at


class DatabaseClock:
    """Adds up the time spent inside the given coroutine methods (the write transactions)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def around(self, *methods: tuple[type, str]) -> Iterator[None]:
        saved = [(owner, name, getattr(owner, name)) for owner, name in methods]
        for owner, name, original in saved:
            setattr(owner, name, self._timed(original))
        try:
            yield
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)

    def _timed(self, original: Callable[..., Any]) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def corpus() -> tuple[list[Document], np.ndarray | None]:
    """The passages, and their cached vectors if bench.passages has finished making them."""
    from bench.passages import passages_with_vectors

    docs_file = CACHE / f"passages-{POOL}.json"
    if not docs_file.exists():
        raise SystemExit(f"{docs_file} is missing: run `python -m bench.passages` first")
    docs = [Document(**d) for d in json.loads(docs_file.read_text())]
    if any(CACHE.glob("passage-vectors-*.npy")):
        docs, vectors = passages_with_vectors(POOL)
        return docs, vectors
    return docs, None


def stand_in_vectors(count: int) -> np.ndarray:
    rng = np.random.default_rng(14)
    centres = rng.standard_normal((2_000, 384)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), count)]
    vectors += 0.6 * rng.standard_normal(vectors.shape).astype(np.float32) / np.sqrt(384)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def embedded_inputs(docs: list[Document], limit: int) -> list[str]:
    """What the import embeds for these notes: every embedded passage, title first."""
    out = []
    for doc in docs:
        passages = split_passages(doc.text)
        out += [embedded_text(doc.title, p) for p in passages[: embedded_count(passages, limit)]]
    return out


async def one_size(
    existing: list[Document], vectors: np.ndarray, new: list[Document], tmp: Path
) -> dict[str, float]:
    data_dir = tmp / f"data-{len(existing)}"
    settings = Settings(_env_file=None, data_dir=data_dir, model_cache=CACHE / "models")  # type: ignore[call-arg]
    async with open_services(settings):  # migrates, and makes the account `local`
        pass
    if existing:
        print(f"  loading {len(existing)} notes…", file=sys.stderr)
        await load_notes(data_dir, "local", existing, vectors)
    folder = tmp / "new"
    if not folder.exists():
        folder.mkdir()
        for i, doc in enumerate(new):
            title = json.dumps(doc.title[:500])  # JSON strings are YAML strings
            (folder / f"{i:05d}.md").write_text(f"---\ntitle: {title}\n---\n{doc.text}")
    import asyncpg

    from vault_mcp.db.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(data_dir)
    conn = await asyncpg.connect(server.start())
    try:  # the loaded notes count as indexed, so that the reindex takes only the new ones
        await conn.execute("UPDATE notes SET indexed_with = $1", INDEX_VERSION)
        await conn.execute("VACUUM ANALYZE notes")
        loaded_until = await conn.fetchval("SELECT clock_timestamp()")
    finally:
        await conn.close()
        server.stop()

    clock = DatabaseClock()
    with clock.around((PgNoteArchive, "restore")):
        report = await import_notes(settings, folder, None, [], progress=Timed)
    assert report.written == len(new), report
    import_s, import_db = Timed.seconds(), clock.seconds

    conn = await asyncpg.connect(server.start())
    try:
        await conn.execute(
            "UPDATE notes SET indexed_with = NULL WHERE created_at > $1", loaded_until
        )
    finally:
        await conn.close()
        server.stop()
    clock = DatabaseClock()
    with clock.around((PgNoteRepository, "reindex"), (PgNoteRepository, "stale")):
        done = await reindex_notes(settings, None, progress=Timed)
    assert done.reindexed == len(new), done
    reindex_s, reindex_db = Timed.seconds(), clock.seconds
    write_only = await database_only(settings, new)
    return {
        "write_only": write_only,
        "import": len(new) / import_s,
        "import_db_share": import_db / import_s,
        "reindex": len(new) / reindex_s,
        "reindex_db_share": reindex_db / reindex_s,
    }


async def database_only(settings: Settings, new: list[Document]) -> float:
    """Notes/s of the import's write transactions alone, nothing else running: the same
    notes under other titles, their vectors made up (the hashing embedder) beforehand."""
    from vault_mcp.embeddings.hashing import HashingEmbedder
    from vault_mcp.transfer.records import NoteRecord

    records = [NoteRecord(title=f"{d.title[:480]} (write only)", content=d.text) for d in new]
    clock = DatabaseClock()
    async with open_services(settings, HashingEmbedder(384)) as services:
        assert services.owner is not None
        with clock.around((PgNoteArchive, "restore")):
            for start in range(0, len(records), BATCH):
                done = await services.archive.restore(
                    services.owner, records[start : start + BATCH]
                )
                assert done.written == len(records[start : start + BATCH]), done
    return len(records) / clock.seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new", type=int, default=2000, help="notes imported at each size")
    parser.add_argument("--existing", default="1000,10000,100000", help="sizes, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.existing.split(",")]
    docs, cached = corpus()
    new, docs = docs[-args.new :], docs[: -args.new]
    stand_ins = cached is None
    vectors = stand_in_vectors(len(docs)) if cached is None else cached[: len(docs)]

    limit = Settings(_env_file=None).max_embedded_chars  # type: ignore[call-arg]
    texts = embedded_inputs(new, limit)
    encode = load_onnx(None, CACHE / "models", 384)
    encode(texts[:BATCH])  # warm

    def raw_rate() -> float:
        started = time.perf_counter()
        for start in range(0, len(texts), BATCH):
            encode(texts[start : start + BATCH])
        return len(new) / (time.perf_counter() - started)

    rows = []
    with tempfile.TemporaryDirectory(prefix="vault-import-") as tmp:
        for size in sizes:
            print(f"{size} notes stored, {len(new)} new…", file=sys.stderr)
            # Past the corpus, its passages again under other titles (not duplicates).
            stored = [
                Document(
                    f"{d.title} (again {i // len(docs)})" if i >= len(docs) else d.title, d.text
                )
                for i, d in ((i, docs[i % len(docs)]) for i in range(size))
            ]
            order = np.arange(size) % len(docs)
            rates = await one_size(stored, vectors[order], new, Path(tmp))
            rates["raw"] = raw_rate()
            rows.append((size, rates))

    info = machine()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])  # noqa: ASYNC240
    print(f"\nbulk import and reindex — {info['cpu']}, {info['cores']} cores, load {load}")
    print(f"  {len(new)} new real notes ({len(texts)} embedded passages), batches of {BATCH}")
    if stand_ins:
        print("  stored notes' vectors: stand-ins (bench.passages has not cached the real ones)")
    print("  raw: onnxruntime encoding the same texts in the same batches, after each size")
    print("  in db: share of the time in the write transactions; db/s: notes/s they alone take")
    print("  write/s: the import's transactions alone, nothing else running (vectors made up)")
    print(
        "  stored   raw/s  import/s  x raw  in db   db/s  reindex/s  x raw  in db   db/s  write/s"
    )
    for size, r in rows:
        raw = r["raw"]
        print(
            f"  {size:>6}  {raw:6.1f}  {r['import']:8.1f}  {r['import'] / raw:5.2f}"
            f"  {r['import_db_share']:5.0%}  {r['import'] / r['import_db_share']:5.0f}"
            f"  {r['reindex']:9.1f}  {r['reindex'] / raw:5.2f}"
            f"  {r['reindex_db_share']:5.0%}  {r['reindex'] / r['reindex_db_share']:5.0f}"
            f"  {r['write_only']:7.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
