"""The scopes a token can carry, and which one each MCP tool and REST route needs."""

from __future__ import annotations

from collections.abc import Iterable

from vault_mcp.errors import Forbidden

# Personal access tokens start with this: recognisable in a config file or a leaked log,
# and never mistaken for a JWT.
PERSONAL_TOKEN_PREFIX = "vmcp_pat_"

READ = "notes:read"
WRITE = "notes:write"
ALL_SCOPES = (READ, WRITE)

# Every tool, by the scope a token needs to call it: the HTTP gate answers 403 from this
# table before a call runs (a test checks every registered tool is listed).
TOOL_SCOPES = {
    "read_note": READ,
    "list_notes": READ,
    "search_notes": READ,
    "search": READ,
    "fetch": READ,
    "list_trash": READ,
    "create_note": WRITE,
    "update_note": WRITE,
    "delete_note": WRITE,
    "restore_note": WRITE,
}


def parse_scopes(text: str | None) -> tuple[str, ...]:
    """Space-separated scopes (RFC 6749 §3.3), de-duplicated, in a stable order."""
    return tuple(sorted(set((text or "").split())))


def unknown_scopes(scopes: tuple[str, ...]) -> list[str]:
    return [s for s in scopes if s not in ALL_SCOPES]


def is_personal_token(token: str) -> bool:
    return token.startswith(PERSONAL_TOKEN_PREFIX)


def require_scope(granted: Iterable[str], needed: str) -> None:
    """The one scope check every door makes: Forbidden unless `needed` was granted."""
    if needed not in granted:
        raise Forbidden(f"this token does not carry the {needed} scope")
