"""A corpus of real text already on the machine: the docstrings of installed Python modules.

Used by the benchmarks and by the held-out retrieval test. Deterministic for a given
environment: modules are walked in sorted order and documents de-duplicated.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import pkgutil
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CACHE = Path(__file__).parent / ".cache"

# Standard-library packages first (the same on every machine with this Python), then large
# installed libraries for bigger corpora.
STDLIB = [
    "argparse",
    "asyncio",
    "collections",
    "concurrent",
    "configparser",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "email",
    "enum",
    "fractions",
    "ftplib",
    "functools",
    "gettext",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "html",
    "http",
    "imaplib",
    "importlib",
    "inspect",
    "ipaddress",
    "itertools",
    "json",
    "logging",
    "lzma",
    "mailbox",
    "multiprocessing",
    "operator",
    "optparse",
    "os",
    "pathlib",
    "pickle",
    "pprint",
    "queue",
    "random",
    "re",
    "shutil",
    "smtplib",
    "socket",
    "sqlite3",
    "ssl",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "tkinter",
    "tomllib",
    "traceback",
    "typing",
    "unittest",
    "urllib",
    "uuid",
    "warnings",
    "wave",
    "xml",
    "zipfile",
    "zoneinfo",
]
LIBRARIES = [
    "numpy",
    "scipy",
    "sklearn",
    "torch",
    "transformers",
    "sympy",
    "networkx",
    "pydantic",
    "starlette",
    "asyncpg",
    "jinja2",
    "huggingface_hub",
    "rich",
    "click",
    "cryptography",
]

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Document:
    title: str
    text: str


def _modules(root: str) -> Iterator[object]:
    try:
        package = importlib.import_module(root)
    except Exception:
        return
    yield package
    path = getattr(package, "__path__", None)
    if path is None:
        return
    for info in sorted(pkgutil.walk_packages(path, root + "."), key=lambda i: i.name):
        if any(part.startswith("_") or part in {"tests", "test"} for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except BaseException:  # some submodules need optional dependencies, or exit on import
            continue
        yield module


def _documented(module: object) -> Iterator[tuple[str, str]]:
    name = getattr(module, "__name__", "?")
    doc = inspect.getdoc(module)
    if doc:
        yield name, doc
    for attr, value in sorted(vars(module).items()):
        if attr.startswith("_") or getattr(value, "__module__", None) != name:
            continue
        if inspect.isclass(value) or inspect.isfunction(value):
            doc = inspect.getdoc(value)
            if doc:
                yield f"{name}.{attr}", doc
            if inspect.isclass(value):
                for method, member in sorted(vars(value).items()):
                    if not method.startswith("_") and inspect.isfunction(member):
                        doc = inspect.getdoc(member)
                        if doc:
                            yield f"{name}.{attr}.{method}", doc


def documents(limit: int, *, min_chars: int = 120, libraries: bool = True) -> list[Document]:
    """Up to `limit` distinct docstrings of at least `min_chars`, stdlib first."""
    seen: set[str] = set()
    found: list[Document] = []
    roots = STDLIB + (LIBRARIES if libraries else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for root in roots:
            for module in _modules(root):
                for title, doc in _documented(module):
                    text = doc.strip()
                    key = _SPACES.sub(" ", text)
                    if len(text) < min_chars or key in seen:
                        continue
                    seen.add(key)
                    found.append(Document(title, text))
                    if len(found) >= limit:
                        return found
    return found


def first_sentence(text: str) -> str:
    """A document's opening sentence: a natural short query for it."""
    line = _SPACES.sub(" ", text.split("\n\n")[0]).strip()
    end = line.find(". ")
    return line if end == -1 else line[: end + 1]


def cached_corpus(
    name: str,
    size: int,
    collect: Callable[[int], list[Document]],
    encode: Callable[[list[Document]], np.ndarray],
    vectors_name: str,
) -> tuple[list[Document], np.ndarray]:
    """`size` documents and their vectors, collected and encoded once, then read from
    bench/.cache (the vectors are keyed by the documents' text, so a changed corpus re-encodes)."""
    CACHE.mkdir(exist_ok=True)
    docs_file = CACHE / f"{name}-{size}.json"
    if docs_file.exists():
        docs = [Document(**d) for d in json.loads(docs_file.read_text())]
    else:
        print(f"collecting {size} {name} documents (once)…", file=sys.stderr)
        docs = collect(size)
        if len(docs) < size:
            raise SystemExit(f"only {len(docs)} {name} documents on this machine; asked for {size}")
        docs_file.write_text(json.dumps([d.__dict__ for d in docs]))
    key = hashlib.sha256("\n".join(d.title + d.text for d in docs).encode()).hexdigest()[:16]
    vectors_file = CACHE / f"{vectors_name}-{key}.npy"
    if vectors_file.exists():
        return docs, np.load(vectors_file)
    print(f"embedding {len(docs)} documents (once; cached afterwards)…", file=sys.stderr)
    vectors = np.asarray(encode(docs), dtype=np.float32)
    np.save(vectors_file, vectors)
    return docs, vectors
