"""PgSetupCodeStore: the one-time codes that create a vault's first account, stored hashed.

In the database rather than in one process, so that a code printed by any server works
behind a round-robin proxy; PgUserRepository.create_first deletes them all.
"""

from __future__ import annotations

import hmac

from vault_mcp.auth.models import digest
from vault_mcp.db.pool import Pool, storage_errors

_ADD = "INSERT INTO setup_codes (code_hash) VALUES ($1)"
_ALL = "SELECT code_hash FROM setup_codes"


class PgSetupCodeStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add(self, code: str) -> None:
        with storage_errors():
            await self._pool.execute(_ADD, digest(code))

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
