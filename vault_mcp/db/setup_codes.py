"""PgSetupCodeStore: the one-time codes that create a vault's first account, stored hashed.

In the database rather than in one process, so that a code printed by any server works
behind a round-robin proxy; PgUserRepository.create_first deletes them all.
"""

from __future__ import annotations

import hmac

from vault_mcp.auth.models import digest
from vault_mcp.db.pool import Pool, storage_errors

# A code lives a day: a vault left without an account does not keep every code it printed.
LIFETIME = "1 day"
_ADD = "INSERT INTO setup_codes (code_hash) VALUES ($1)"
_EXPIRE = f"DELETE FROM setup_codes WHERE created_at <= now() - interval '{LIFETIME}'"
_ALL = f"SELECT code_hash FROM setup_codes WHERE created_at > now() - interval '{LIFETIME}'"


class PgSetupCodeStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add(self, code: str) -> None:
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_EXPIRE)
                await conn.execute(_ADD, digest(code))

    async def matches(self, code: str) -> bool:
        """Whether `code` is a live one; every stored digest is compared in constant time
        (a few rows: one per server start on a vault without accounts)."""
        with storage_errors():
            rows = await self._pool.fetch(_ALL)
        wanted = digest(code)
        found = False
        for row in rows:
            found |= hmac.compare_digest(bytes(row["code_hash"]), wanted)
        return found
