"""Split a note into passages that fit the embedding model's window: structure first, then size.

A note is one vector of its first ~190 words no longer: every passage gets its own vector, so an
answer in the last section of a long page is found as well as one in its first lines. Measured on
long Markdown pages (issue 10): one vector per *section* finds the right page nearly as often as
if each section were its own note, while fixed windows blind to the headings lose about half of
that. So the splitter cuts at Markdown headings first, packs the blocks of a section (paragraphs,
lists, code fences, tables) into passages up to a size limit, and only cuts inside a block — at a
sentence, else at a space — when the block alone is too long, carrying a short overlap across
that cut so a sentence split in two is still whole in one passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# all-MiniLM-L6-v2 reads 256 word pieces; English prose runs about four characters a piece, and
# the note's title and the section's heading travel with every passage. 800 characters keeps a
# passage (with its title) inside the window for most text, so nothing it says is cut off.
MAX_PASSAGE_CHARS = 800
# How much of a cut block is repeated at the start of the next passage.
OVERLAP_CHARS = 120
# A heading travels with every passage of its section (stored, embedded, shown); a "heading"
# longer than this is a paragraph that starts with "#", and is split like one.
MAX_HEADING_CHARS = 200
# What a note's stored passages were made with. Notes indexed otherwise (the one vector that
# migration 0006 carried over, or an older splitter) are what `vault-mcp reindex` redoes.
INDEX_VERSION = "passages-1"

_MAX_HEADING_LINE = MAX_HEADING_CHARS + 16  # room for "###### " and closing marks
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Passage:
    ordinal: int
    heading: str  # the section's heading path, e.g. "Install > Linux"; "" before any heading
    body: str  # the passage's text as it stands in the note


@dataclass
class _Section:
    heading: str
    blocks: list[str]


def _sections(content: str) -> Iterator[_Section]:
    """The note's sections in order, each a heading path and its blocks (blank-line separated,
    a fenced code block kept whole)."""
    path: list[tuple[int, str]] = []
    section = _Section("", [])
    block: list[str] = []
    lines = content.splitlines()

    def end_block() -> None:
        text = "\n".join(block).strip("\n")
        if text.strip():
            section.blocks.append(text)
        block.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        opening = _FENCE.match(line)
        if opening:  # a code block is one block, whatever it holds
            end_block()
            fence = opening.group(1)[:3]
            block.append(line)
            i += 1
            while i < len(lines):
                block.append(lines[i])
                i += 1
                if lines[i - 1].strip().startswith(fence):
                    break
            end_block()
            continue
        # The length test first: it also keeps the heading pattern off megabyte-long lines.
        atx = _ATX_HEADING.match(line) if len(line) <= _MAX_HEADING_LINE else None
        setext = (
            not block
            and line.strip()
            and len(line.strip()) <= MAX_HEADING_CHARS
            and i + 1 < len(lines)
            and _SETEXT_UNDERLINE.match(lines[i + 1])
        )
        if atx or setext:
            end_block()
            if section.blocks:
                yield section
            if atx:
                level, title = len(atx.group(1)), atx.group(2).strip()
            else:
                level, title = (1 if lines[i + 1].strip()[0] == "=" else 2), line.strip()
                i += 1  # the underline
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
            # Six levels of long headings still make a bounded path: the nearest ones kept.
            section = _Section(" > ".join(t for _, t in path if t)[-3 * MAX_HEADING_CHARS :], [])
        elif line.strip():
            block.append(line)
        else:
            end_block()
        i += 1
    end_block()
    if section.blocks:
        yield section


def _cut(text: str, limit: int) -> list[str]:
    """Cut one over-long block into pieces of at most `limit` characters: at sentence ends,
    else at spaces, else anywhere; each piece after the first starts with a short overlap."""
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    units: list[str] = []
    for sentence in sentences:
        while len(sentence) > limit:
            cut = sentence.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            units.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        units.append(sentence)
    pieces: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + 1 + len(unit) > limit:
            pieces.append(current)
            tail = current[-OVERLAP_CHARS:]
            space = tail.find(" ")
            tail = tail[space + 1 :] if 0 <= space < len(tail) - 1 else ""
            current = tail if len(tail) + 1 + len(unit) <= limit else ""
        current = f"{current} {unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def split_passages(content: str, max_chars: int = MAX_PASSAGE_CHARS) -> list[Passage]:
    """The note's passages in reading order; every character of text lands in at least one."""
    bodies: list[tuple[str, str]] = []
    for section in _sections(content):
        current: list[str] = []
        size = 0
        for block in section.blocks:
            if len(block) > max_chars:
                if current:
                    bodies.append((section.heading, "\n\n".join(current)))
                    current, size = [], 0
                bodies.extend((section.heading, piece) for piece in _cut(block, max_chars))
                continue
            if current and size + 2 + len(block) > max_chars:
                bodies.append((section.heading, "\n\n".join(current)))
                current, size = [], 0
            current.append(block)
            size += len(block) + (2 if size else 0)
        if current:
            bodies.append((section.heading, "\n\n".join(current)))
    if not bodies and content.strip():  # e.g. only headings
        bodies = [("", content.strip()[:max_chars])]
    return [Passage(i, heading, body) for i, (heading, body) in enumerate(bodies)]


def embedded_text(title: str, passage: Passage) -> str:
    """What the model reads for a passage: the note's title and the section's heading give
    a passage the context its own words may lack ("Install" under a note titled "nginx")."""
    if passage.heading and passage.heading != title:
        return f"{title}\n{passage.heading}\n\n{passage.body}"
    return f"{title}\n\n{passage.body}"


def embedded_count(passages: list[Passage], max_embedded_chars: int) -> int:
    """How many leading passages are embedded; the ones after are found by words only."""
    total = 0
    for i, passage in enumerate(passages):
        total += len(passage.body)
        if total > max_embedded_chars:
            return max(i, 1)
    return len(passages)


def snippet_of(body: str, query: str, max_chars: int = 280) -> str:
    """A passage shortened for a result list, around the first query word it contains."""
    text = _SPACES.sub(" ", body).strip()
    if len(text) <= max_chars:
        return text
    lowered = text.lower()
    starts = [
        lowered.find(word)
        for word in re.findall(r"\w{3,}", query.lower())
        if lowered.find(word) >= 0
    ]
    start = max(0, min(starts) - max_chars // 4) if starts else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = start + max_chars
    cut = text.rfind(" ", start + max_chars // 2, end)
    piece = text[start : cut if cut > 0 and end < len(text) else end].strip()
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")
