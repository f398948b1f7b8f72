"""PgRefreshTokenStore: opaque refresh tokens, stored hashed, rotated on every use.

A token family descends from one sign-in (the web view, the REST login, or an OAuth client's
authorization); access tokens name their family, so revoking it ends them too.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg

from vault_mcp.auth.models import Grant, digest
from vault_mcp.auth.scopes import ALL_SCOPES
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.errors import Unauthorized

_INSERT = """
INSERT INTO refresh_tokens
    (family_id, user_id, token_hash, expires_at, client_id, scopes, resource)
VALUES ($1, $2, $3, now() + $4::interval, $5, $6, $7)
"""
# Claims the token for rotation: only a live, unused token of this client matches, and once.
_CLAIM = """
UPDATE refresh_tokens SET rotated_at = now()
WHERE token_hash = $1 AND client_id IS NOT DISTINCT FROM $2
  AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING user_id, family_id, scopes, resource
"""
_LOOKUP = """
SELECT family_id, rotated_at, revoked_at FROM refresh_tokens
WHERE token_hash = $1 AND client_id IS NOT DISTINCT FROM $2
"""
_REVOKE_FAMILY = """
UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL
"""
# A live web session: the newest token of its family, neither rotated nor revoked nor expired.
_LIVE_USER = """
SELECT user_id FROM refresh_tokens
WHERE token_hash = $1 AND client_id IS NULL
  AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
"""
# An access token is honoured while its user exists and its family was not revoked.
_ACCESS_ALLOWED = """
SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)
   AND NOT EXISTS (
       SELECT 1 FROM refresh_tokens WHERE family_id = $2 AND revoked_at IS NOT NULL
   )
"""


class PgRefreshTokenStore:
    def __init__(self, pool: Pool, ttl: timedelta) -> None:
        self._pool = pool
        self._ttl = ttl

    async def issue(
        self,
        user_id: int,
        *,
        client_id: str | None = None,
        scopes: tuple[str, ...] = ALL_SCOPES,
        resource: str | None = None,
    ) -> tuple[str, Grant]:
        """A new token starting a new family."""
        grant = Grant(user_id, uuid.uuid4(), scopes, client_id, resource)
        return await self.insert(self._pool, grant), grant

    async def insert(self, db: Pool | asyncpg.Connection[Any], grant: Grant) -> str:
        """Store a new token of `grant`'s family through `db` (a connection: in its transaction)."""
        token = secrets.token_urlsafe(32)
        args = (
            grant.family_id,
            grant.user_id,
            digest(token),
            self._ttl,
            grant.client_id,
            list(grant.scopes),
            grant.resource,
        )
        with storage_errors():
            await db.execute(_INSERT, *args)
        return token

    async def rotate(
        self,
        token: str,
        *,
        client_id: str | None = None,
        check: Callable[[Grant], None] | None = None,
    ) -> tuple[str, Grant]:
        """Spend `token` and return a fresh token of the same family, and the family's grant.

        A token that was already rotated or revoked is a replay (a stolen copy, or a client
        that lost the new one): the whole family is revoked and the caller must sign in again.
        A token of another client is simply not valid here. `check` may refuse the request
        once the grant is known; the token is then left unspent.
        """
        hashed = digest(token)
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                claimed = await conn.fetchrow(_CLAIM, hashed, client_id)
                if claimed is not None:
                    grant = Grant(
                        int(claimed["user_id"]),
                        claimed["family_id"],
                        tuple(claimed["scopes"] or ALL_SCOPES),
                        client_id,
                        claimed["resource"],
                    )
                    if check is not None:
                        check(grant)  # raising rolls the claim back
                    return await self.insert(conn, grant), grant
                known = await conn.fetchrow(_LOOKUP, hashed, client_id)
                replayed = known is not None and bool(known["rotated_at"] or known["revoked_at"])
                if replayed:
                    await conn.execute(_REVOKE_FAMILY, known["family_id"])
        # Raised after the transaction committed, so the revocation above sticks.
        if replayed:
            raise Unauthorized(
                "this refresh token was already used; every session of this sign-in "
                "is now revoked; sign in again"
            )
        raise Unauthorized("the refresh token is not valid or has expired; sign in again")

    async def revoke(self, token: str, *, client_id: str | None = None) -> None:
        """Sign out: revoke the token's whole family. Unknown tokens are ignored."""
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                known = await conn.fetchrow(_LOOKUP, digest(token), client_id)
                if known is not None:
                    await conn.execute(_REVOKE_FAMILY, known["family_id"])

    async def revoke_family(self, family_id: uuid.UUID) -> None:
        await self.revoke_family_in(self._pool, family_id)

    async def revoke_family_in(
        self, db: Pool | asyncpg.Connection[Any], family_id: uuid.UUID
    ) -> None:
        with storage_errors():
            await db.execute(_REVOKE_FAMILY, family_id)

    async def live_user(self, token: str) -> int | None:
        """The user of a live web-session token without spending it."""
        with storage_errors():
            user_id = await self._pool.fetchval(_LIVE_USER, digest(token))
        return None if user_id is None else int(user_id)

    async def access_allowed(self, user_id: int, family_id: uuid.UUID | None) -> bool:
        """Whether an access token of this user and family may still be used."""
        with storage_errors():
            return bool(await self._pool.fetchval(_ACCESS_ALLOWED, user_id, family_id))
