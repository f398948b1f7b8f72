"""The auth world's values: accounts, grants, clients, personal tokens, and the Principal.

Frozen dataclasses with no I/O: the stores in vault_mcp.db return them, the services and
the doors pass them around (the notes' `domain` module, for accounts and tokens).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from vault_mcp.auth.scopes import ALL_SCOPES
from vault_mcp.errors import InvalidInput

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def canonical_username(username: str) -> str:
    """The name as every account lookup reads it; the sign-in throttle counts this form, so
    no spelling of one account (`" erin"`, `"erin\\t"`) gets a bucket of its own."""
    return username.strip()


def validate_username(username: str) -> str:
    username = canonical_username(username)
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"{username[:70]!r} is not a valid user name: use 1 to 64 letters, digits, "
            "'.', '_', '-' or '@', starting with a letter or digit"
        )
    return username


def digest(token: str) -> bytes:
    """What is stored instead of a token or secret: its sha256."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str | None
    created_at: datetime
    notes: int = 0

    @property
    def can_log_in(self) -> bool:
        return self.password_hash is not None


@dataclass(frozen=True)
class Grant:
    """What a token family stands for: who, for which client, with which scopes."""

    user_id: int
    family_id: uuid.UUID
    scopes: tuple[str, ...] = ALL_SCOPES
    client_id: str | None = None  # None: the web view's and REST login's own sign-ins
    resource: str | None = None


@dataclass(frozen=True)
class StoredClient:
    """An OAuth client registered here (RFC 7591), as stored."""

    client_id: str
    secret_hash: bytes | None
    name: str | None
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    auth_method: str


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization code was issued for."""

    client_id: str
    user_id: int
    redirect_uri: str | None
    code_challenge: str
    resource: str
    scopes: tuple[str, ...]
    fresh: bool


@dataclass(frozen=True)
class PersonalToken:
    id: uuid.UUID
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class ConnectedApp:
    """An OAuth client holding at least one live sign-in of an account."""

    client_id: str
    scopes: tuple[str, ...]
    connected_at: datetime  # when its oldest live sign-in began
    last_used_at: datetime
    name: str | None = None  # from its registration or metadata document, when known
    host: str | None = None  # where its sign-ins were sent: who it really is

    def merged(self, other: ConnectedApp) -> ConnectedApp:
        """The same client's other sign-in folded in (it signed in twice)."""
        return replace(
            self,
            scopes=tuple(sorted(set(self.scopes) | set(other.scopes))),
            connected_at=min(self.connected_at, other.connected_at),
            last_used_at=max(self.last_used_at, other.last_used_at),
        )


@dataclass(frozen=True)
class TokenHolder:
    """Who a presented personal token acts for."""

    token_id: uuid.UUID
    user_id: int
    scopes: tuple[str, ...]
    expires_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, however it proved it: an access token, a personal token or a
    web session. Every door gets this one value from AuthService.authenticate."""

    user_id: int
    scopes: tuple[str, ...]
    expires_at: int | None = None  # unix time; None: until revoked
    client_id: str | None = None  # the OAuth client the token was issued to, if any
    family_id: uuid.UUID | None = None  # the sign-in it descends from


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt the throttle let through (and counts until it succeeds)."""

    id: int
    account: str
