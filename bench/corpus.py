"""A corpus of real text already on the machine: the docstrings of installed Python modules.

Used by the benchmarks and by the held-out retrieval test. Deterministic for a given
environment: modules are walked in sorted order and documents de-duplicated.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

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
