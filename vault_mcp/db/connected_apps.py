"""PgConnectedAppStore: the OAuth clients holding a live sign-in of an account, when each
last used it, and revoking all of one client's sign-ins at once."""

from __future__ import annotations

import time
import uuid

from vault_mcp.auth.models import ConnectedApp
from vault_mcp.auth.scopes import ALL_SCOPES
from vault_mcp.db.pool import Pool, storage_errors

# Each live (unrotated, unrevoked, unexpired) token of a client is one sign-in; its family's
# first row says when it began, its newest use (a refresh or a touch) when it was last used.
_CONNECTED = """
SELECT t.client_id, t.scopes, f.started_at, f.last_used_at
FROM refresh_tokens AS t
CROSS JOIN LATERAL (
    SELECT min(r.created_at) AS started_at,
           max(greatest(r.created_at, r.last_used_at)) AS last_used_at
    FROM refresh_tokens AS r WHERE r.family_id = t.family_id
) AS f
WHERE t.user_id = $1 AND t.client_id IS NOT NULL
  AND t.rotated_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
"""
# Every family of the client for this account: a revoked row in a family is what makes
# access_allowed refuse its access tokens, on every server, from the next request on.
_REVOKE_CLIENT = """
UPDATE refresh_tokens SET revoked_at = now()
WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL
RETURNING family_id
"""
# A code approved a moment ago must not bring the client back once it is revoked.
_SPEND_CODES = """
UPDATE oauth_codes SET used_at = now() WHERE user_id = $1 AND client_id = $2 AND used_at IS NULL
"""
# The other servers' writes are skipped too: a row touched within the minute is left alone.
_TOUCH = """
UPDATE refresh_tokens SET last_used_at = now()
WHERE family_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL
  AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
"""
# "Last used" is for people, so a minute's precision will do: a busy client costs one write
# a minute per sign-in, not one per request.
TOUCH_EVERY_SECONDS = 60.0
_REMEMBERED = 4096


class PgConnectedAppStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._touched: dict[uuid.UUID, float] = {}  # family -> monotonic time of our last write

    async def connected(self, user_id: int) -> list[ConnectedApp]:
        """One entry per client, newest use first (its sign-ins' scopes merged)."""
        with storage_errors():
            rows = await self._pool.fetch(_CONNECTED, user_id)
        apps: dict[str, ConnectedApp] = {}
        for row in rows:
            scopes = tuple(row["scopes"] or ALL_SCOPES)
            app = ConnectedApp(row["client_id"], scopes, row["started_at"], row["last_used_at"])
            seen = apps.get(app.client_id)
            apps[app.client_id] = app if seen is None else seen.merged(app)
        return sorted(apps.values(), key=lambda a: a.last_used_at, reverse=True)

    async def revoke(self, user_id: int, client_id: str) -> bool:
        """Revoke every sign-in of `client_id` for this account; False if it had none."""
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                # Codes first: this waits for a code exchange in flight (its row lock), so
                # the sign-in it commits is seen, and revoked, by the statement after.
                await conn.execute(_SPEND_CODES, user_id, client_id)
                revoked = await conn.fetch(_REVOKE_CLIENT, user_id, client_id)
        for row in revoked:
            self._touched.pop(row["family_id"], None)
        return bool(revoked)

    async def used(self, family_id: uuid.UUID) -> None:
        """An access token of `family_id` was accepted: note it, at most once a minute."""
        now = time.monotonic()
        last = self._touched.get(family_id)
        if last is not None and now - last < TOUCH_EVERY_SECONDS:
            return
        if len(self._touched) >= _REMEMBERED:
            self._touched.clear()  # forgetting costs one extra (guarded) write per family
        self._touched[family_id] = now
        with storage_errors():
            await self._pool.execute(_TOUCH, family_id)
