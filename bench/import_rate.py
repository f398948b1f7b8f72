"""Bulk import rate beside the raw encode rate of the same embedder on the same texts.

    .venv/bin/python -m bench.import_rate [--notes 1000]

Writes the corpus (docstrings, cached by bench.core) as Markdown files, imports them with
`vault-mcp import`'s code path into an embedded database, and times the import's batches
(embedding + inserts) against encoding the same texts alone.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.core import CACHE, corpus_with_vectors, machine
from vault_mcp.embeddings.onnx import load_onnx
from vault_mcp.importer import BATCH, Progress, import_notes
from vault_mcp.settings import Settings


class Timed(Progress):
    """Records when the first batch started and the last one ended."""

    first_at: float | None = None
    last_at: float | None = None

    def __init__(self, total: int) -> None:
        super().__init__(total, sys.stderr)
        Timed.first_at = time.perf_counter()  # the bar is made just before the first batch

    def update(self, done: int) -> None:
        Timed.last_at = time.perf_counter()
        super().update(done)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    args = parser.parse_args()
    docs, _ = corpus_with_vectors(10_400)
    docs = docs[: args.notes]
    models = CACHE / "models"
    with tempfile.TemporaryDirectory(prefix="vault-import-") as tmp:
        folder = Path(tmp) / "notes"
        folder.mkdir()
        for i, doc in enumerate(docs):
            (folder / f"{i:05d}.md").write_text(f"# {doc.title[:400]}\n\n{doc.text}\n")
        texts = [p.read_text() for p in sorted(folder.glob("*.md"))]

        encode = load_onnx(None, models, 384)
        started = time.perf_counter()
        for start in range(0, len(texts), BATCH):
            encode(texts[start : start + BATCH])
        raw_rate = len(texts) / (time.perf_counter() - started)

        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data", model_cache=models)  # type: ignore[call-arg]
        report = await import_notes(settings, folder, "bench", [], progress=Timed)
        assert report.written == len(docs), report
        assert Timed.first_at is not None and Timed.last_at is not None
        import_rate = len(docs) / (Timed.last_at - Timed.first_at)

    info = machine()
    print(f"\nbulk import — {info['cpu']}, {info['cores']} cores, {len(docs)} docstring notes")
    print(f"  raw encode (onnxruntime, batches of {BATCH})   {raw_rate:.1f} notes/s")
    print(f"  vault-mcp import (embed + insert)       {import_rate:.1f} notes/s")
    print(f"  ratio                                   {import_rate / raw_rate:.0%}")


if __name__ == "__main__":
    asyncio.run(main())
