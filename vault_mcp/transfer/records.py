"""NoteRecord: a note as an export or another tool's file carries it, before validation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from vault_mcp.errors import InvalidInput


@dataclass(frozen=True)
class NoteRecord:
    """A note read from a file. `id` and the times are None when the file has none (a plain
    Markdown file): the vault then gives a new id and the time of the import."""

    title: str
    content: str
    tags: tuple[str, ...] = ()
    id: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def parse_id(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"id {str(value)[:40]!r} is not a note id (a UUID)") from None


def parse_time(field: str, value: object) -> datetime | None:
    """An ISO 8601 time, a YAML date/time, or Unix seconds; naive times are UTC."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime.combine(value, time())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        else:
            raise TypeError
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed.astimezone(UTC)  # out of range at UTC raises here, not in the driver
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidInput(f"{field} {str(value)[:40]!r} is not a date and time") from None
    return parsed


def parse_tags(value: object) -> tuple[str, ...]:
    """A list of tags, or one comma-separated string (as Obsidian also accepts)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list | tuple) and all(isinstance(t, str | int | float) for t in value):
        return tuple(str(t) for t in value)
    raise InvalidInput("tags must be a list of strings or one comma-separated string")
