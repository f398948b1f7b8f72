"""The exact-identifier set: notes from man-page sections and Debian changelogs, each query an
identifier that occurs in exactly one of them.

Kinds: option flags (`--dry-run`), codes (errno names, C constants such as `O_CLOEXEC`, CVE
ids), function names (`pthread_mutex_lock`), version strings (`2.36-9+deb12u4`) and package
names with digits (`libpython3.11`). An identifier is asked only when exactly one note holds
it anywhere in its title or text, compared case-insensitively as plain substrings (stricter
than any tokeniser: `2.36` inside `2.36.1` counts as holding it), so the label is the only
right answer.
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Iterator
from pathlib import Path

from bench.labelled import LabelledSet, Note, Query, man_pages, words

DOC_ROOT = Path("/usr/share/doc")
BOILERPLATE = {"SEE ALSO", "AUTHOR", "AUTHORS", "COPYRIGHT", "REPORTING BUGS", "COLOPHON"}
KINDS: dict[str, re.Pattern[str]] = {
    "flag": re.compile(r"(?<![\w-])--[a-z][a-z0-9]+(?:-[a-z0-9]+)+(?![\w-])"),
    "code": re.compile(
        r"\b(?:E[A-Z]{3,}|[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+|CVE-\d{4}-\d{4,})\b(?![\w-])"
    ),
    "function": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?=\()"),
    "version": re.compile(r"(?<![\w.+~:-])\d+\.\d+(?:\.\d+)*-[\w.+~]*\w(?![\w+~-])"),
    "package": re.compile(r"(?<![\w.+-])lib[a-z][a-z0-9+-]*\d[a-z0-9.+-]*[a-z0-9](?![\w+-])"),
}
_HEADER = re.compile(r"^(?P<package>[a-z0-9][a-z0-9+.-]+) \((?P<version>[^)]+)\) ")


def _cut(text: str, most: int) -> str:
    """Whole paragraphs up to `most` words (the first one cut if it alone is longer)."""
    kept: list[str] = []
    count = 0
    for paragraph in text.split("\n\n"):
        n = len(paragraph.split())
        if count + n > most:
            if not kept:
                kept.append(" ".join(paragraph.split()[:most]))
            break
        kept.append(paragraph)
        count += n
    return "\n\n".join(kept)


def _man_notes() -> Iterator[tuple[str, str]]:
    for page in man_pages():
        if page.name.startswith("gcloud"):
            continue
        for heading, body in page.sections:
            if heading not in BOILERPLATE:
                text = _cut(body, 300)
                if len(words(text)) >= 30:
                    yield f"{page.name} {heading.title()}".strip(), text


def _changelog_notes() -> Iterator[tuple[str, str]]:
    """The latest entries of each package's Debian changelog, maintainer lines left out."""
    for path in sorted(DOC_ROOT.glob("*/changelog.Debian.gz")):
        if path.parent.is_symlink():
            continue
        try:
            with gzip.open(path, "rt", errors="replace") as f:
                lines = f.read().splitlines()
        except (OSError, EOFError):
            continue
        kept, count = [], 0
        for line in lines:
            if line.startswith(" -- "):
                if count >= 120:
                    break
                continue
            kept.append(line.rstrip())
            count += len(line.split())
            if count >= 250:
                break
        match = _HEADER.match(lines[0]) if lines else None
        if match:
            yield f"{match['package']} changelog", "\n".join(kept).strip()


def identifier_set(
    notes: int = 2000, queries_per_kind: int = 250, seed: int = 0, *, changelogs: int = 400
) -> LabelledSet:
    rng = random.Random(seed + 3)
    man = list(_man_notes())
    logs = list(_changelog_notes())
    rng.shuffle(man)
    rng.shuffle(logs)
    chosen = logs[:changelogs] + man[: notes - min(changelogs, len(logs))]
    built = tuple(Note(f"ident-{n}", title, text) for n, (title, text) in enumerate(chosen))
    lowered = [f"{n.title}\n{n.content}".lower() for n in built]
    holders: dict[tuple[str, str], set[int]] = {}
    for n, note in enumerate(built):
        for kind, pattern in KINDS.items():
            for found in pattern.findall(f"{note.title}\n{note.content}"):
                if len(found) >= 4:
                    holders.setdefault((kind, found), set()).add(n)
    queries: list[Query] = []
    for kind in KINDS:
        candidates = sorted(
            ident for (k, ident), at in holders.items() if k == kind and len(at) == 1
        )
        rng.shuffle(candidates)
        taken = 0
        for ident in candidates:
            if taken >= queries_per_kind:
                break
            needle = ident.lower()
            at = [n for n, text in enumerate(lowered) if needle in text]
            if len(at) == 1:
                queries.append(Query(ident, built[at[0]].key, kind=kind))
                taken += 1
    return LabelledSet(
        "ident",
        f"{len(built)} man-page sections and changelog entries; each query an identifier held "
        "by exactly one note",
        built,
        tuple(queries),
    )
