"""The export formats: a note as Markdown with YAML front matter, or as a JSON object."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml

from vault_mcp.domain import Note
from vault_mcp.errors import InvalidInput
from vault_mcp.transfer.records import NoteRecord, parse_id, parse_tags, parse_time

FORMAT = "vault-mcp"
VERSION = 1
# Front matter is a handful of fields; a bigger block is not one (or is hostile: YAML
# aliases can expand a small text into a huge document).
MAX_FRONT_MATTER = 64 * 1024
_FENCE = "---"


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": str(note.id),
        "title": note.title,
        "content": note.content,
        "tags": list(note.tags),
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


def json_head(exported_at: datetime) -> str:
    """The JSON document is written in pieces (never all notes in memory): this head, then
    `json_entry` for each note, then JSON_TAIL."""
    head = {"format": FORMAT, "version": VERSION, "exported_at": exported_at.isoformat()}
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "notes": ['


def json_entry(note: Note, first: bool) -> str:
    return ("" if first else ",") + "\n" + json.dumps(note_json(note), ensure_ascii=False)


JSON_TAIL = "\n]}\n"


def note_markdown(note: Note) -> str:
    """Front matter (id, title, tags, created, updated), then the content exactly as stored."""
    meta = {
        "id": str(note.id),
        "title": note.title,
        "tags": list(note.tags),
        "created": note.created_at.isoformat(),
        "updated": note.updated_at.isoformat(),
    }
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"{_FENCE}\n{head}{_FENCE}\n{note.content}"


class _NoAliases(yaml.SafeLoader):
    """safe_load's loader, refusing anchors and aliases: front matter never needs them, and
    a few hundred bytes of nested aliases expand into gigabytes (a "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not accepted in front matter")
        return super().compose_node(parent, index)


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(the front matter, the rest), or (None, text) when the text opens with none.

    Only a block that opens the file on a line of its own and parses as a YAML mapping is
    front matter; anything else (a horizontal rule, prose between two `---`) is content.
    """
    first, newline, rest = text.partition("\n")
    if first.rstrip("\r") != _FENCE or not newline:
        return None, text
    close = re.search(r"^---\r?$", rest[: MAX_FRONT_MATTER + 8], re.MULTILINE)
    if close is None:
        return None, text
    block = rest[: close.start()]
    body = rest[close.end() :]
    body = body[2:] if body.startswith("\r\n") else body[1:] if body.startswith("\n") else body
    try:
        meta = yaml.load(block, Loader=_NoAliases)  # a SafeLoader without aliases
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        # Not YAML, or values PyYAML cannot build (a 5,000-digit number, 2020-02-30):
        # the block stays part of the text, which is imported whole.
        return None, text
    if not isinstance(meta, dict):
        return None, text
    return meta, body


def markdown_record(text: str, title_of: Callable[[str], str]) -> NoteRecord:
    """A note from a Markdown file: our export's fields when its front matter has them, an
    Obsidian note's `title:` and `tags:`; else `title_of(the text after any front matter)`."""
    meta, body = split_front_matter(text)
    if meta is None:
        return NoteRecord(title=title_of(text), content=text)
    title = meta.get("title")
    if title is not None and not isinstance(title, str | int | float):
        raise InvalidInput("title in the front matter is not text")
    return NoteRecord(
        title=str(title) if title is not None else title_of(body),
        content=body,
        tags=parse_tags(meta.get("tags")),
        id=parse_id(meta.get("id")),
        created_at=parse_time("created", meta.get("created", meta.get("created_at"))),
        updated_at=parse_time("updated", meta.get("updated", meta.get("updated_at"))),
    )


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
# File systems cap a name at 255 bytes (ext4, APFS) whatever its characters: a title of 80
# emoji is 320. Room is left for " (NN)" and the suffix.
_MAX_NAME_BYTES = 200
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))}
_RESERVED |= {f"lpt{i}" for i in range(10)}


class FileNames:
    """File names from titles: safe on every common file system, and unique (case-blind)."""

    def __init__(self, suffix: str = ".md", max_chars: int = 80) -> None:
        self._suffix, self._max, self._taken = suffix, max_chars, set[str]()

    def __call__(self, title: str) -> str:
        stem = unicodedata.normalize("NFC", title)
        stem = _UNSAFE.sub(" ", stem)
        # Format characters (U+202E and kin) would show a name other than the one it has.
        stem = "".join(c for c in stem if unicodedata.category(c) != "Cf")
        stem = re.sub(r"\s+", " ", stem).strip(" .")[: self._max]
        while len(stem.encode()) > _MAX_NAME_BYTES:
            stem = stem[:-1]
        stem = stem.strip(" .")
        if not stem or stem.lower().split(".")[0] in _RESERVED:
            stem = f"note {stem}".strip()
        name, n = stem, 1
        while (name + self._suffix).lower() in self._taken:
            n += 1
            name = f"{stem} ({n})"
        self._taken.add((name + self._suffix).lower())
        return name + self._suffix
