"""Domain values (notes, drafts, search hits) and the validation limits they obey."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from vault_mcp.errors import InvalidInput

MAX_TITLE_CHARS = 500
MAX_TAGS = 32
MAX_TAG_CHARS = 64
MAX_QUERY_CHARS = 2000
MAX_LIMIT = 100
DEFAULT_MAX_CONTENT_BYTES = 1_000_000
DEFAULT_MAX_EMBEDDED_CHARS = 200_000  # ~250 passages; see vault_mcp/passages.py
# How much of a note's text a list shows, and how much one read returns: a tool result of a
# page (sent twice, as structured content and as text) stays under ~100k characters, below
# what MCP clients accept (claude.ai drops results over ~150k; Claude Code over 25k tokens).
PREVIEW_CHARS = 280
READ_PAGE_CHARS = 40_000
# Versions of a note kept by its updates (the oldest dropped in the update's transaction).
KEPT_VERSIONS = 10


@dataclass(frozen=True)
class Note:
    id: uuid.UUID
    title: str
    content: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NoteDraft:
    """A validated note about to be written."""

    title: str
    content: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class NotePatch:
    """A validated partial update: None means "leave as it is"."""

    title: str | None = None
    content: str | None = None
    tags: tuple[str, ...] | None = None

    @property
    def changes_text(self) -> bool:
        return self.title is not None or self.content is not None


@dataclass(frozen=True)
class NoteSummary:
    """A note without its text: what a result list needs."""

    id: uuid.UUID
    title: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


# "fused" is what every door serves; "vector" and "words" are its two legs alone, for
# measuring what each contributes (bench/quality.py).
SearchMode = Literal["fused", "vector", "words"]


@dataclass(frozen=True)
class SearchQuery:
    """A validated search: words to find, how many notes, and exact filters."""

    text: str
    limit: int = 10
    tags: tuple[str, ...] = ()
    since: datetime | None = None  # updated at or after
    until: datetime | None = None  # updated before
    mode: SearchMode = "fused"


@dataclass(frozen=True)
class SearchHit:
    note: NoteSummary
    score: float  # relevance, 0..1: 1 is the best a note can rank in both legs at once
    snippet: str  # from the passage that matched best, so the reader sees why it matched
    heading: str = ""  # that passage's section, "" at the top of the note


@dataclass(frozen=True)
class NotePreview:
    """A note in a list: its opening lines and length, not its text (a page of 100 notes of
    a megabyte each must not be a 100 MB answer)."""

    id: uuid.UUID
    title: str
    preview: str  # the first PREVIEW_CHARS characters of the content
    length: int  # characters of content
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NotePage:
    notes: tuple[NotePreview, ...]
    next_cursor: str | None  # to the older notes after these
    newer_cursor: str | None = None  # to the newer notes before these, where there are any


@dataclass(frozen=True)
class Limits:
    max_content_bytes: int = DEFAULT_MAX_CONTENT_BYTES
    # How much of a note is embedded (meaning); all of it is always found by words.
    max_embedded_chars: int = DEFAULT_MAX_EMBEDDED_CHARS


def parse_note_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise InvalidInput(
            f"{shown!r} is not a note id; ids are UUIDs such as "
            "'0b4c6f0e-8a7d-4c39-9a4e-2f1d3c5b7a90' (use list_notes or search_notes to find one)"
        ) from None


def check_text(field: str, value: str) -> str:
    """`value` if PostgreSQL can store it and `.encode()` can send it: no NUL character, and
    no lone surrogate (JSON's `"\\ud800"` escape decodes to one in Python, not in UTF-8)."""
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL character (\\x00); remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(
            f"{field} contains {value[exc.start]!r}, half of a UTF-16 surrogate pair, which is "
            "not text; send whole characters"
        ) from None
    return value


def _short_text(field: str, value: str, max_chars: int, when_empty: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field} is empty; {when_empty}")
    if len(value) > max_chars:
        raise InvalidInput(f"{field} is {len(value)} characters; the limit is {max_chars}")
    return check_text(field, value)


def validate_title(title: str) -> str:
    return _short_text("title", title, MAX_TITLE_CHARS, "give the note a short title")


def _format_bytes(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} bytes"


def validate_content(content: str, limits: Limits) -> str:
    if not content.strip():
        raise InvalidInput("content is empty; a note needs some text")
    check_text("content", content)  # before measuring: the measure encodes it
    size = len(content.encode("utf-8"))
    if size > limits.max_content_bytes:
        shown, limit = _format_bytes(size), _format_bytes(limits.max_content_bytes)
        if shown == limit:  # "1.0 MB; the limit is 1.0 MB" would say nothing
            shown, limit = f"{size:,} bytes", f"{limits.max_content_bytes:,} bytes"
        raise InvalidInput(f"content is {shown}; the limit is {limit} (VAULT_MAX_CONTENT_BYTES)")
    return content


_SPACES = re.compile(r"\s+")


def validate_tags(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Trim and de-duplicate tags, keeping their order."""
    seen: dict[str, None] = {}
    for raw in tags:
        tag = _SPACES.sub(" ", raw).strip()
        if not tag:
            raise InvalidInput("a tag is empty; tags are short non-empty labels such as 'work'")
        if len(tag) > MAX_TAG_CHARS:
            raise InvalidInput(
                f"tag {tag[:20]!r}... is {len(tag)} characters; the limit is {MAX_TAG_CHARS}"
            )
        check_text("a tag", tag)
        seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS:
        raise InvalidInput(f"{len(seen)} tags given; the limit is {MAX_TAGS}")
    return tuple(seen)


def validate_query(query: str) -> str:
    return _short_text("query", query, MAX_QUERY_CHARS, "describe what you are looking for")


def validate_date_range(since: datetime | None, until: datetime | None) -> None:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(
                f"{name} has no time zone; give one, e.g. '2026-12-01T00:00:00Z' or '+01:00'"
            )
    if since is not None and until is not None and since >= until:
        raise InvalidInput(
            f"since ({since.isoformat()}) is not before until ({until.isoformat()}); "
            "the range would hold no notes"
        )


def validate_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is {limit}; it must be between 1 and {MAX_LIMIT}")
    return limit


@dataclass(frozen=True)
class TextPage:
    text: str
    next_offset: int | None  # where the next page starts; None on the last


def text_page(text: str, offset: int, size: int = READ_PAGE_CHARS) -> TextPage:
    """One page of a note's text from `offset` (characters): every answer stays bounded."""
    if offset < 0 or (offset and offset >= len(text)):
        raise InvalidInput(
            f"offset {offset} is outside the note's text ({len(text):,} characters); "
            "use the next_offset a read returned"
        )
    end = offset + size
    return TextPage(text[offset:end], end if end < len(text) else None)
