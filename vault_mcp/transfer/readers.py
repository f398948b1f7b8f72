"""JSON exports as records: our own document, and mcp-memory-service's `memories` export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from vault_mcp.errors import InvalidInput
from vault_mcp.transfer.formats import FORMAT, VERSION
from vault_mcp.transfer.records import NoteRecord, parse_id, parse_tags, parse_time

# Where a memory has no title (mcp-memory-service stores content only), its first line is one.
_TITLE_CHARS = 80


def json_records(raw: bytes, name: str) -> Iterator[tuple[str, NoteRecord | str]]:
    """Where, and each note of the document or the reason that entry is skipped."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"{name} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{name} is JSON but not an export (an object at the top)")
    if document.get("format") == FORMAT:
        if document.get("version") != VERSION:
            raise InvalidInput(
                f"{name} is a vault-mcp export of version {document.get('version')!r}; "
                f"this vault-mcp reads version {VERSION}"
            )
        entries, read = document.get("notes"), _ours
    elif isinstance(document.get("memories"), list):
        entries, read = document["memories"], _memory
    else:
        raise InvalidInput(
            f"{name} is JSON of an unknown kind: expected a vault-mcp export "
            '({"format": "vault-mcp", ...}) or an mcp-memory-service export ({"memories": [...]})'
        )
    if not isinstance(entries, list):
        raise InvalidInput(f"{name}: `notes` is not a list")
    for i, entry in enumerate(entries, 1):
        where = f"{name} note {i}"
        try:
            if not isinstance(entry, dict):
                raise InvalidInput("not an object")
            yield where, read(entry)
        except InvalidInput as exc:
            yield where, exc.message


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        raise InvalidInput(f"{key} is missing or not text")
    return value


def _ours(entry: dict[str, Any]) -> NoteRecord:
    return NoteRecord(
        title=_text(entry, "title"),
        content=_text(entry, "content"),
        tags=parse_tags(entry.get("tags")),
        id=parse_id(entry.get("id")),
        created_at=parse_time("created_at", entry.get("created_at")),
        updated_at=parse_time("updated_at", entry.get("updated_at")),
    )


def _memory(entry: dict[str, Any]) -> NoteRecord:
    """An mcp-memory-service memory: content, tags, and its times (an ISO copy when the
    export has one, else Unix seconds); its content hash is not a note id."""
    content = _text(entry, "content")
    first = next((line for line in content.splitlines() if line.strip()), "memory")
    title = first.strip().lstrip("#").strip()
    if len(title) > _TITLE_CHARS:
        title = title[: _TITLE_CHARS - 1].rstrip() + "…"
    created = entry.get("created_at_iso") or entry.get("created_at")
    updated = entry.get("updated_at_iso") or entry.get("updated_at")
    return NoteRecord(
        title=title or "memory",
        content=content,
        tags=parse_tags(entry.get("tags")),
        created_at=parse_time("created_at", created),
        updated_at=parse_time("updated_at", updated),
    )
