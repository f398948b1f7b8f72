"""Labelled search sets built from real text on this machine, for bench.quality and tests.

Each builder returns a LabelledSet: plain notes (a key, title, content, tags, owner) and queries
naming the key of their right note (None for queries that have none). Builders are seeded and
deterministic for a given machine; bench.quality caches what they return under bench/.cache.

- short_paraphrase_set: man pages. The note is the start of a page's DESCRIPTION; the query is
  the page's NAME line (`ls - list directory contents` → "list directory contents"): the
  author's own one-line summary of the same thing, written separately from the description,
  so it restates the note in other words. Pairs whose query occurs in the note are dropped.
- long_pages_set: Python docstrings, one `## name` section per function or class, packed per
  module into pages of several thousand words. The query is a section's summary sentence
  (removed from the page), asked only for sections that start past the page's first 300 words.
- identifier_set (bench.identifiers): man-page sections and Debian changelogs; the query is an
  identifier found in exactly one note.
- multi_owner_set: paraphrase pairs (as in the short set, disjoint from it) spread over three
  owners, one of them small, with tags to filter on, among distractor man-page sections.
- offtopic_queries: queries with no right note, for calibrating a relevance floor.
"""

from __future__ import annotations

import contextlib
import functools
import io
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import documents, first_sentence
from bench.manpages import ManPage, pages

_SPACES = re.compile(r"\s+")
# Paraphrase pairs the multi-owner set takes from the end of the pool; the short set never
# reaches into them.
MULTI_PAIRS = 600


@dataclass(frozen=True)
class Note:
    key: str
    title: str
    content: str
    tags: tuple[str, ...] = ()
    owner: str = "main"


@dataclass(frozen=True)
class Query:
    text: str
    expected: str | None  # the key of the right note; None: no note is right
    owner: str = "main"
    tags: tuple[str, ...] = ()
    kind: str = ""


@dataclass(frozen=True)
class LabelledSet:
    name: str
    about: str
    notes: tuple[Note, ...]
    queries: tuple[Query, ...]
    owners: tuple[str, ...] = field(default=("main",))


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


def words(text: str) -> list[str]:
    return text.split()


@functools.cache
def man_pages() -> tuple[ManPage, ...]:
    return tuple(pages())


def _opening(body: str, least: int = 40, most: int = 200) -> str:
    """The first paragraphs of a section, at least `least` words where it has them, at most
    `most` (cut at a paragraph where possible)."""
    kept: list[str] = []
    count = 0
    for paragraph in body.split("\n\n"):
        if paragraph.startswith("#"):
            continue
        n = len(paragraph.split())
        if count and count + n > most:
            break
        kept.append(paragraph if n <= most else " ".join(paragraph.split()[:most]))
        count += min(n, most)
        if count >= least:
            break
    return "\n\n".join(kept)


@functools.cache
def paraphrase_pool(seed: int) -> tuple[tuple[str, str, str], ...]:
    """(title, description, summary) of every usable man page, shuffled by `seed`, with
    gcloud pages (near-identical generated pages, most of the machine's man pages) capped."""
    by_summary: dict[str, list[tuple[str, str, str]]] = {}
    seen_text: set[str] = set()
    for page in man_pages():
        description = dict(page.sections).get("DESCRIPTION")
        if not description:
            continue
        text = _opening(description)
        summary = _SPACES.sub(" ", page.summary).strip().rstrip(".")
        if len(words(text)) < 25 or len(words(summary)) < 3:
            continue
        if normalise(summary) in normalise(f"{page.name} {text}") or normalise(text) in seen_text:
            continue
        seen_text.add(normalise(text))
        by_summary.setdefault(normalise(summary), []).append((page.name, text, summary))
    # A summary shared by several pages (aliases, alpha/beta variants) has no single answer.
    usable = [pairs[0] for pairs in by_summary.values() if len(pairs) == 1]
    rng = random.Random(seed)
    others = [p for p in usable if not p[0].startswith("gcloud")]
    gcloud = [p for p in usable if p[0].startswith("gcloud")]
    rng.shuffle(others)
    rng.shuffle(gcloud)
    # gcloud's 16k look-alike generated pages would swamp the rest: a third of the pool at most.
    gcloud = gcloud[: len(others) // 2]
    pool = others + gcloud
    rng.shuffle(pool)
    return tuple(pool)


def short_paraphrase_set(notes: int = 1900, queries: int = 1500, seed: int = 0) -> LabelledSet:
    """Short notes (one or two paragraphs of a man page's DESCRIPTION) asked by the page's
    own summary line; `queries` of the `notes` are asked, the rest are there to be missed."""
    pool = paraphrase_pool(seed)
    pool = pool[: min(notes, len(pool) - MULTI_PAIRS)]
    built = tuple(Note(f"short-{n}", title, text) for n, (title, text, _) in enumerate(pool))
    asked = random.Random(seed + 1).sample(range(len(pool)), min(queries, len(pool)))
    return LabelledSet(
        "short",
        "man-page DESCRIPTION openings asked by the page's NAME summary (not a substring)",
        built,
        tuple(Query(pool[n][2], f"short-{n}", kind="paraphrase") for n in sorted(asked)),
    )


@functools.cache
def _docstrings() -> tuple[tuple[str, str], ...]:
    with contextlib.redirect_stdout(io.StringIO()):  # some modules print when imported
        return tuple((d.title, d.text) for d in documents(10**6))


def sections_of(content: str) -> list[tuple[str, str]]:
    """The (heading, body) sections of a page built by long_pages_set."""
    found = []
    for chunk in ("\n" + content).split("\n## ")[1:]:
        heading, _, body = chunk.partition("\n")
        found.append((heading.strip(), body.strip()))
    return found


def long_pages_set(
    pages: int = 120, queries: int = 1200, seed: int = 0, *, page_words: int = 3000
) -> LabelledSet:
    """Long Markdown pages (a package's docstrings in module order, `## name` per function or
    class, `page_words` words or more) asked by one section's summary sentence; the answer is
    the page, and every asked section starts after the page's first 300 words. Pages are
    drawn from the packages in turn, so no one library (transformers' docstrings alone would
    fill most pages) dominates."""
    packages: dict[str, list[tuple[str, str, str]]] = {}
    for title, text in _docstrings():
        first, *rest = text.split("\n\n")
        summary = first_sentence(text)  # a prefix of the first paragraph, spaces normalised
        remainder = _SPACES.sub(" ", first).strip()[len(summary) :].strip()
        body = "\n\n".join(p for p in [remainder, *rest] if p.strip())
        packages.setdefault(title.split(".")[0], []).append((title, summary, body))
    rng = random.Random(seed)
    by_package: list[list[tuple[str, list[tuple[str, str, str]]]]] = []
    for package, docs in sorted(packages.items()):
        cut: list[tuple[str, list[tuple[str, str, str]]]] = []
        current: list[tuple[str, str, str]] = []
        count = 0
        for doc in docs:
            current.append(doc)
            count += len(words(doc[2])) + 2
            if count >= page_words:
                cut.append((f"{package} reference, part {len(cut) + 1}", current))
                current, count = [], 0
        rng.shuffle(cut)
        if cut:
            by_package.append(cut)
    chosen: list[tuple[str, list[tuple[str, str, str]]]] = []
    while len(chosen) < pages and any(by_package):
        for cut in by_package:
            if cut and len(chosen) < pages:
                chosen.append(cut.pop())
    notes: list[Note] = []
    candidates: list[Query] = []
    for n, (title, docs) in enumerate(chosen):
        key = f"long-{n}"
        parts, offset = [], 0
        starts = []
        for name, _summary, body in docs:
            starts.append(offset)
            section = f"## {name}\n\n{body}"
            parts.append(section)
            offset += len(words(section))
        content = "\n\n".join(parts)
        notes.append(Note(key, title, content))
        page_text = normalise(content)
        for (_name, summary, body), start in zip(docs, starts, strict=True):
            if start < 300 or not 4 <= len(words(summary)) <= 40 or len(words(body)) < 20:
                continue
            if normalise(summary) in page_text:
                continue
            candidates.append(Query(summary, key, kind="section"))
    # A summary that several sections share (overloads, re-exports) has no single answer.
    counts: dict[str, int] = {}
    for q in candidates:
        counts[normalise(q.text)] = counts.get(normalise(q.text), 0) + 1
    unique = [q for q in candidates if counts[normalise(q.text)] == 1]
    asked = sorted(rng.sample(range(len(unique)), min(queries, len(unique))))
    return LabelledSet(
        "long",
        f"{len(notes)} pages of docstrings of {len(by_package)} packages (`## name` sections, "
        f"≥{page_words} words), asked by one section's removed summary sentence, sections past "
        "word 300 only",
        tuple(notes),
        tuple(unique[n] for n in asked),
    )


def multi_owner_set(
    seed: int = 0, *, small: int = 75, alice_pairs: int = 330, bob_pairs: int = 150
) -> LabelledSet:
    assert small + alice_pairs + bob_pairs <= MULTI_PAIRS
    """Three owners among distractors: `small` (1% of bench.quality's ~7k-note database, all
    its notes asked), alice (asked under the tags `rare`, ~1% of her notes, and `common`, ~30%)
    and bob (asked unfiltered). Pairs come from the end of the paraphrase pool, so the short set
    (which takes its start) never shares one."""
    pool = paraphrase_pool(seed)
    pairs = pool[len(pool) - (small + alice_pairs + bob_pairs) :]
    rng = random.Random(seed + 4)
    used_pages = {p[0] for p in pairs}
    distractors: list[tuple[str, str]] = []
    for page in man_pages():
        if page.name in used_pages or page.name.startswith("gcloud"):
            continue
        for heading, body in page.sections:
            text = _opening(body, least=30, most=120)
            if len(words(text)) >= 15:
                distractors.append((f"{page.name} {heading.title()}".strip(), text))
    rng.shuffle(distractors)
    distractors = distractors[:2500]
    notes: list[Note] = []
    queries: list[Query] = []

    def tags_for(planted_rare: bool) -> tuple[str, ...]:
        tags = [f"topic-{rng.randrange(20)}"]
        if planted_rare or rng.random() < 0.01:
            tags.append("rare")
        if rng.random() < 0.3:
            tags.append("common")
        return tuple(tags)

    for n, (title, text, summary) in enumerate(pairs):
        key = f"multi-{n}"
        if n < small:
            owner, tags = "small", tags_for(False)
            queries.append(Query(summary, key, "small", (), "small owner"))
        elif n < small + alice_pairs:
            owner = "alice"
            rare = n < small + 100
            tags = tags_for(rare)
            if rare:
                queries.append(Query(summary, key, "alice", ("rare",), "tag rare"))
            elif "common" in tags:
                queries.append(Query(summary, key, "alice", ("common",), "tag common"))
        else:
            owner, tags = "bob", tags_for(False)
            queries.append(Query(summary, key, "bob", (), "large owner"))
        notes.append(Note(key, title, text, tags, owner))
    for n, (title, text) in enumerate(distractors):
        owner = "alice" if n % 10 < 6 else "bob"
        notes.append(Note(f"multi-d{n}", title, text, tags_for(False), owner))
    return LabelledSet(
        "multi",
        "paraphrase pairs spread over owners small/alice/bob with tags rare/common, "
        f"among {len(distractors)} man-page sections",
        tuple(notes),
        tuple(queries),
        owners=("small", "alice", "bob"),
    )


_SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "ou")]


def offtopic_queries(per_kind: int = 200, seed: int = 0) -> list[Query]:
    """Queries that no note answers: pseudo-word gibberish, salads of the short notes' own
    common words, and sentences of the licence texts in /usr/share/common-licenses."""
    rng = random.Random(seed + 5)
    gibberish = [
        " ".join(
            "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            for _ in range(rng.randint(2, 5))
        )
        for _ in range(per_kind)
    ]
    counts: dict[str, int] = {}
    for _title, text, _summary in paraphrase_pool(seed)[:3000]:
        for word in set(re.findall(r"\b[a-z]{5,}\b", text)):
            counts[word] = counts.get(word, 0) + 1
    vocabulary = sorted(w for w, c in counts.items() if c >= 5)
    salad = [" ".join(rng.sample(vocabulary, rng.randint(3, 6))) for _ in range(per_kind)]
    sentences: list[str] = []
    for path in sorted(Path("/usr/share/common-licenses").glob("*")):
        if path.is_file():
            text = _SPACES.sub(" ", path.read_text(errors="replace"))
            sentences += [s for s in re.split(r"(?<=[.;])\s+", text) if 8 <= len(s.split()) <= 25]
    sentences = sorted(set(sentences))
    licence = rng.sample(sentences, min(per_kind, len(sentences)))
    return [
        *(Query(q, None, kind="gibberish") for q in gibberish),
        *(Query(q, None, kind="word salad") for q in salad),
        *(Query(q, None, kind="licence text") for q in licence),
    ]
