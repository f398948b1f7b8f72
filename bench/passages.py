"""Many short notes (passages of 15 to 40 words) of real text, embedded once and cached.

The search-at-scale benchmark needs 100k+ notes. Whole docstrings run out near 21k on this
machine, so notes here are paragraphs: of the man pages under /usr/share/man (roff with its macros
stripped), then of the docstrings in bench.corpus. The vectors come from the embedder the
server uses by default (onnxruntime), so served and exact results compare like with like.

    .venv/bin/python -m bench.passages --notes 100000     # builds the cache, prints the rate
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.corpus import CACHE, Document, cached_corpus, documents

MAN_ROOT = Path("/usr/share/man")
MIN_WORDS, MAX_WORDS = 15, 40

_SPACES = re.compile(r"\s+")
_ROFF_ESCAPE = re.compile(r"\\%|\\f[BIRP]|\\f\(..|\\\(..|\\[&|^e-]|\\s[+-]?\d")


def _paragraphs(text: str) -> Iterator[str]:
    """Blank-line paragraphs, long ones cut at MAX_WORDS, short ones dropped."""
    for raw in text.split("\n\n"):
        words = raw.split()
        for start in range(0, len(words), MAX_WORDS):
            chunk = words[start : start + MAX_WORDS]
            if len(chunk) >= MIN_WORDS:
                yield " ".join(chunk)


def _man_text(path: Path) -> tuple[str, str]:
    """(name, plain text) of one gzipped man page: macros dropped, paragraphs kept."""
    lines = []
    with gzip.open(path, "rt", errors="replace") as page:
        raw = page.read().splitlines(keepends=True)
    for line in raw:
        if line.startswith((".PP", ".P\n", ".LP", ".IP", ".TP", ".SH", ".SS", ".sp", ".br")):
            lines.append("")  # a paragraph break
        elif line.startswith((".", "'")):
            continue
        else:
            lines.append(_ROFF_ESCAPE.sub("", line.rstrip()))
    name = path.name.removesuffix(".gz")
    return name, "\n".join(lines)


def _man_passages() -> Iterator[Document]:
    for section in sorted(MAN_ROOT.glob("man[1-8]")):
        for page in sorted(section.glob("*.gz")):
            try:
                name, text = _man_text(page)
            except (OSError, EOFError):
                continue
            for n, passage in enumerate(_paragraphs(text), 1):
                yield Document(f"man {name} ({n})", passage)


def passages(limit: int) -> list[Document]:
    """Up to `limit` distinct passages: man-page paragraphs (prose, the closest to notes
    people write) first, then docstring paragraphs."""
    seen: set[str] = set()
    found: list[Document] = []

    def source() -> Iterator[Document]:
        yield from _man_passages()
        for doc in documents(10**6):
            for n, passage in enumerate(_paragraphs(doc.text), 1):
                yield Document(f"{doc.title} ({n})", passage)

    for doc in source():
        key = _SPACES.sub(" ", doc.text).lower()
        if key in seen:
            continue
        seen.add(key)
        found.append(doc)
        if len(found) >= limit:
            break
    return found


def passages_with_vectors(size: int) -> tuple[list[Document], np.ndarray]:
    """`size` passages and their unit vectors, from bench/.cache when possible."""
    return cached_corpus(
        "passages",
        size,
        passages,
        lambda docs: encode_with_progress([note_text(d) for d in docs]),
        vectors_name="passage-vectors",
    )


def note_text(doc: Document) -> str:
    """What the server embeds for a note with this title and content."""
    return f"{doc.title}\n\n{doc.text}"


def encode_with_progress(texts: list[str], batch: int = 256) -> np.ndarray:
    from vault_mcp.embeddings.onnx import load_onnx

    encode = load_onnx(None, CACHE / "models", 384)
    out = []
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        out.append(np.asarray(encode(texts[start : start + batch]), dtype=np.float32))
        done = min(start + batch, len(texts))
        rate = done / (time.perf_counter() - started)
        left = (len(texts) - done) / rate
        print(
            f"\rembedding {done}/{len(texts)} ({rate:.0f}/s, {left:.0f} s left)",
            end="",
            file=sys.stderr,
        )
    print(file=sys.stderr)
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=101_200)
    args = parser.parse_args()
    docs, vectors = passages_with_vectors(args.notes)
    words = [len(d.text.split()) for d in docs]
    print(f"{len(docs)} passages, {np.mean(words):.0f} words on average, vectors {vectors.shape}")


if __name__ == "__main__":
    main()
