"""Keyset cursors: a page's last (time, id) as an opaque URL-safe string, and back."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

from vault_mcp.errors import InvalidInput


def encode_cursor(at: datetime, note_id: uuid.UUID) -> str:
    raw = f"{at.isoformat()}|{note_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, source: str) -> tuple[datetime, uuid.UUID]:
    """The (time, id) of `cursor`; InvalidInput naming `source` (where a good one comes
    from) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, note_id = raw.split("|")
        # In UTC here, where an overflow is ours to catch: year 1 at +05:00 or 9999 at -05:00
        # parses, then overflows inside the driver.
        return datetime.fromisoformat(at).astimezone(UTC), uuid.UUID(note_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(f"cursor is not valid; pass the next_cursor of {source}") from None
