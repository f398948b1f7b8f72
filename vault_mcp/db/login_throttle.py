"""PgLoginThrottle: sign-in attempts counted in PostgreSQL, per account and per address.

Every server process on the database sees the same counts, and a restart forgets nothing.
An attempt is counted before its password is hashed, under a per-account and per-address
advisory lock, so concurrent guesses cannot all slip past the check while the first hashes.
"""

from __future__ import annotations

import math
from datetime import timedelta

from vault_mcp.auth.models import Attempt
from vault_mcp.auth.throttle import ACCOUNT_FAILURES, ADDRESS_FAILURES, WINDOW_SECONDS, in_words
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.errors import TooManyAttempts

# Locks are taken account first, then address, by every attempt: no two can deadlock.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 7661))"
_PRUNE = "DELETE FROM login_attempts WHERE attempted_at <= now() - $1::interval"
# When the limit-th newest attempt of the window leaves it, the next one is allowed.
_BLOCKED_FOR = """
SELECT extract(epoch FROM greatest(
    (SELECT attempted_at FROM login_attempts WHERE account = $1
     ORDER BY attempted_at DESC OFFSET $3 - 1 LIMIT 1),
    (SELECT attempted_at FROM login_attempts WHERE address = $2
     ORDER BY attempted_at DESC OFFSET $4 - 1 LIMIT 1)
) + $5::interval - now())
"""
_RECORD = "INSERT INTO login_attempts (account, address) VALUES ($1, $2) RETURNING id"
_FORGET = "DELETE FROM login_attempts WHERE id = $1 OR account = $2"


class PgLoginThrottle:
    """ACCOUNT_FAILURES attempts per account and ADDRESS_FAILURES per address within
    WINDOW_SECONDS; past that, attempts are refused before the password is looked at."""

    def __init__(self, pool: Pool, window: timedelta = timedelta(seconds=WINDOW_SECONDS)) -> None:
        self._pool = pool
        self._window = window

    async def attempt(self, account: str, address: str) -> Attempt:
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_LOCK, f"login account:{account}")
                await conn.execute(_LOCK, f"login address:{address}")
                await conn.execute(_PRUNE, self._window)
                wait = await conn.fetchval(
                    _BLOCKED_FOR, account, address, ACCOUNT_FAILURES, ADDRESS_FAILURES, self._window
                )
                if wait is None or wait <= 0:
                    attempt_id = await conn.fetchval(_RECORD, account, address)
                    return Attempt(int(attempt_id), account)
        seconds = max(1, math.ceil(float(wait)))
        raise TooManyAttempts(
            f"too many failed sign-ins; try again in {in_words(seconds)}", seconds
        )

    async def succeeded(self, attempt: Attempt) -> None:
        with storage_errors():
            await self._pool.execute(_FORGET, attempt.id, attempt.account)
