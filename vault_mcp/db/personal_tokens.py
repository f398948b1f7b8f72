"""PgPersonalTokenStore: long-lived tokens for scripts, stored hashed, listed and revocable."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import asyncpg

from vault_mcp.auth.models import PersonalToken, TokenHolder, digest
from vault_mcp.auth.scopes import PERSONAL_TOKEN_PREFIX as PREFIX
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.errors import Conflict, NotFound

_CREATE = """
INSERT INTO personal_access_tokens (user_id, name, token_hash, scopes, expires_at)
VALUES ($1, $2, $3, $4, now() + $5::interval)
RETURNING id, name, scopes, created_at, expires_at, last_used_at
"""
_LIVE = """
SELECT id, user_id, scopes, expires_at, last_used_at FROM personal_access_tokens
WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
"""
_TOUCH = "UPDATE personal_access_tokens SET last_used_at = now() WHERE id = $1"
_LIST = """
SELECT id, name, scopes, created_at, expires_at, last_used_at FROM personal_access_tokens
WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at
"""
_REVOKE = """
UPDATE personal_access_tokens SET revoked_at = now()
WHERE user_id = $1 AND revoked_at IS NULL AND (name = $2 OR id::text = $2)
RETURNING id
"""
# last_used_at is for people ("is this token still in use?"), so a minute's precision will do
# and a busy script does not write a row on every call.
_TOUCH_EVERY = timedelta(minutes=1)


class PgPersonalTokenStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def create(
        self, user_id: int, name: str, scopes: tuple[str, ...], lifetime: timedelta | None
    ) -> tuple[str, PersonalToken]:
        """A new token (shown once: only its hash is kept) and its record."""
        token = PREFIX + secrets.token_urlsafe(32)
        try:
            with storage_errors():
                row = await self._pool.fetchrow(
                    _CREATE, user_id, name, digest(token), list(scopes), lifetime
                )
        except Conflict:
            raise Conflict(f"a live token named {name!r} already exists; revoke it first") from None
        assert row is not None
        return token, _record(row)

    async def holder(self, token: str) -> TokenHolder | None:
        """The live token's holder, or None for an unknown, revoked or expired token."""
        with storage_errors():
            row = await self._pool.fetchrow(_LIVE, digest(token))
            if row is None:
                return None
            last = row["last_used_at"]
            if last is None or datetime.now(last.tzinfo) - last > _TOUCH_EVERY:
                await self._pool.execute(_TOUCH, row["id"])
        return TokenHolder(row["id"], int(row["user_id"]), tuple(row["scopes"]), row["expires_at"])

    async def list(self, user_id: int) -> list[PersonalToken]:
        with storage_errors():
            rows = await self._pool.fetch(_LIST, user_id)
        return [_record(r) for r in rows]

    async def revoke(self, user_id: int, name_or_id: str) -> None:
        with storage_errors():
            revoked = await self._pool.fetch(_REVOKE, user_id, name_or_id)
        if not revoked:
            raise NotFound(f"no live token named (or with the id) {name_or_id!r}")


def _record(row: asyncpg.Record) -> PersonalToken:
    return PersonalToken(
        row["id"],
        row["name"],
        tuple(row["scopes"]),
        row["created_at"],
        row["expires_at"],
        row["last_used_at"],
    )
