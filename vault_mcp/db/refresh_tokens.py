"""PgRefreshTokenStore: opaque refresh tokens, stored hashed, rotated on every use."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.errors import Unauthorized

_INSERT = """
INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at)
VALUES ($1, $2, $3, now() + $4::interval)
"""
# Claims the token for rotation: only a live, unused token matches, and only once.
_CLAIM = """
UPDATE refresh_tokens SET rotated_at = now()
WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING user_id, family_id
"""
_LOOKUP = "SELECT family_id, rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = $1"
_REVOKE_FAMILY = """
UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL
"""
_REVOKE_USER = """
UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
"""
# A live session: the newest token of its family, neither rotated nor revoked nor expired.
_LIVE_USER = """
SELECT user_id FROM refresh_tokens
WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
"""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class PgRefreshTokenStore:
    def __init__(self, pool: Pool, ttl: timedelta) -> None:
        self._pool = pool
        self._ttl = ttl

    async def issue(self, user_id: int, family_id: uuid.UUID | None = None) -> str:
        token = secrets.token_urlsafe(32)
        with storage_errors():
            await self._pool.execute(
                _INSERT, family_id or uuid.uuid4(), user_id, _digest(token), self._ttl
            )
        return token

    async def rotate(self, token: str) -> tuple[int, str]:
        """Spend `token` and return its user and a fresh token of the same family.

        A token that was already rotated or revoked is a replay (a stolen copy, or a client
        that lost the new one): the whole family is revoked and the caller must sign in again.
        """
        digest = _digest(token)
        new_token = secrets.token_urlsafe(32)
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                claimed = await conn.fetchrow(_CLAIM, digest)
                if claimed is not None:
                    await conn.execute(
                        _INSERT,
                        claimed["family_id"],
                        claimed["user_id"],
                        _digest(new_token),
                        self._ttl,
                    )
                    return int(claimed["user_id"]), new_token
                known = await conn.fetchrow(_LOOKUP, digest)
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

    async def revoke(self, token: str) -> None:
        """Sign out: revoke the token's whole family. Unknown tokens are ignored."""
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                known = await conn.fetchrow(_LOOKUP, _digest(token))
                if known is not None:
                    await conn.execute(_REVOKE_FAMILY, known["family_id"])

    async def live_user(self, token: str) -> int | None:
        """The user of a live token without spending it (web sessions)."""
        with storage_errors():
            user_id = await self._pool.fetchval(_LIVE_USER, _digest(token))
        return None if user_id is None else int(user_id)

    async def revoke_user(self, user_id: int) -> None:
        with storage_errors():
            await self._pool.execute(_REVOKE_USER, user_id)
