"""Accounts as the notes' owners: create, find, list, change password, delete."""

from __future__ import annotations

from vault_mcp.auth.models import User, canonical_username, validate_username
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.errors import Conflict, NotFound

_ENSURE = """
WITH created AS (
    INSERT INTO users (username) VALUES ($1) ON CONFLICT (username) DO NOTHING RETURNING id
)
SELECT id FROM created UNION ALL SELECT id FROM users WHERE username = $1 LIMIT 1
"""
_CLAIM_NAME = """
INSERT INTO users (username, password_hash) VALUES ($1, $2)
ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash
RETURNING id
"""
_CREATE = "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id"
_BY_NAME = "SELECT id, username, password_hash, created_at FROM users WHERE username = $1"
_BY_ID = "SELECT id, username, password_hash, created_at FROM users WHERE id = $1"
# The count `user delete` asks about: the trash included.
_LIST = """
SELECT u.id, u.username, u.password_hash, u.created_at,
       (SELECT count(*) FROM notes n WHERE n.owner_id = u.id)
     + (SELECT count(*) FROM trashed_notes t WHERE t.owner_id = u.id) AS notes
FROM users u ORDER BY u.username
"""
_SET_PASSWORD = "UPDATE users SET password_hash = $2 WHERE username = $1 RETURNING id"
# A new password ends everything signed in with the old one: web sessions and OAuth grants
# (both refresh-token families) and personal tokens.
_REVOKE_REFRESH = """
UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
"""
_REVOKE_PERSONAL = """
UPDATE personal_access_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
"""
# The notes an account's deletion takes along: its trash too (the person confirms that count).
_COUNT_NOTES = """
SELECT (SELECT count(*) FROM notes WHERE owner_id = $1)
     + (SELECT count(*) FROM trashed_notes WHERE owner_id = $1)
"""
_LOCK = "SELECT true FROM users WHERE id = $1 FOR UPDATE"
_DELETE = "DELETE FROM users WHERE id = $1"
_ANY_LOGIN = "SELECT EXISTS (SELECT 1 FROM users WHERE password_hash IS NOT NULL)"
# Two first-run forms submitted at once (or on two servers) queue on this lock, and the
# second one sees the first one's account.
_FIRST_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('vault-mcp first account', 7661))"
_VOID_SETUP_CODES = "DELETE FROM setup_codes"


class PgUserRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def ensure(self, username: str) -> int:
        """The id of the account named `username`, created (without a password) if missing."""
        username = validate_username(username)
        with storage_errors():
            for _ in range(2):  # a concurrent first start may hide the row from our snapshot
                user_id = await self._pool.fetchval(_ENSURE, username)
                if user_id is not None:
                    return int(user_id)
        raise Conflict(f"could not create the account {username!r}; try again")

    async def create(self, username: str, password_hash: str | None) -> int:
        username = validate_username(username)
        try:
            with storage_errors():
                return int(await self._pool.fetchval(_CREATE, username, password_hash))
        except Conflict:
            raise Conflict(f"a user named {username!r} already exists") from None

    async def by_name(self, username: str) -> User | None:
        with storage_errors():
            row = await self._pool.fetchrow(_BY_NAME, canonical_username(username))
        return None if row is None else User(**dict(row))

    async def by_id(self, user_id: int) -> User | None:
        with storage_errors():
            row = await self._pool.fetchrow(_BY_ID, user_id)
        return None if row is None else User(**dict(row))

    async def all(self) -> list[User]:
        with storage_errors():
            rows = await self._pool.fetch(_LIST)
        return [User(**dict(r)) for r in rows]

    async def set_password_and_revoke_all(self, username: str, password_hash: str) -> int:
        username = canonical_username(username)
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                user_id = await conn.fetchval(_SET_PASSWORD, username, password_hash)
                if user_id is None:
                    raise NotFound(f"no user named {username!r}")
                await conn.execute(_REVOKE_REFRESH, user_id)
                await conn.execute(_REVOKE_PERSONAL, user_id)
        return int(user_id)

    async def count_notes(self, user_id: int) -> int:
        with storage_errors():
            return int(await self._pool.fetchval(_COUNT_NOTES, user_id))

    async def delete(self, user_id: int, notes: int | None = None) -> bool:
        """Delete the account and, by cascade, its notes and tokens; with `notes`, only if it
        still has that many (what the person confirmed). The row lock keeps new notes out
        while they are counted: inserting a note share-locks its owner's row."""
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                if not await conn.fetchval(_LOCK, user_id):
                    raise NotFound("that account no longer exists")
                if notes is not None and await conn.fetchval(_COUNT_NOTES, user_id) != notes:
                    return False
                await conn.execute(_DELETE, user_id)
        return True

    async def any_can_log_in(self) -> bool:
        with storage_errors():
            return bool(await self._pool.fetchval(_ANY_LOGIN))

    async def create_first(self, username: str, password_hash: str) -> int | None:
        username = validate_username(username)
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_FIRST_LOCK)
                if await conn.fetchval(_ANY_LOGIN):
                    return None
                await conn.execute(_VOID_SETUP_CODES)
                # A password-less account of that name (the stdio owner) gets the password.
                user_id = await conn.fetchval(_CLAIM_NAME, username, password_hash)
                return int(user_id)
