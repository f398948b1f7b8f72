"""OAuth clients registered dynamically, and authorization codes: single use, short-lived."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg

from vault_mcp.auth.models import CodeGrant, Grant, StoredClient, digest
from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.db.refresh_tokens import PgRefreshTokenStore
from vault_mcp.errors import Unauthorized, VaultError

_INSERT_CLIENT = """
INSERT INTO oauth_clients (client_id, client_secret_hash, client_name, redirect_uris, scopes,
                           token_endpoint_auth_method, registration)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
"""
_CLIENT = """
SELECT client_id, client_secret_hash, client_name, redirect_uris, scopes,
       token_endpoint_auth_method
FROM oauth_clients WHERE client_id = $1
"""
_INSERT_CODE = """
INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, code_challenge, resource,
                         scopes, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::interval)
"""
# Codes expire in a minute; a day later nothing can want them, not even replay detection.
_PRUNE_CODES = "DELETE FROM oauth_codes WHERE expires_at < now() - interval '1 day'"
# Spends the code whatever happens next: a code is good for one attempt only.
_CLAIM_CODE = """
UPDATE oauth_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL
RETURNING client_id, user_id, redirect_uri, code_challenge, resource, scopes,
          expires_at > now() AS fresh
"""
_SPENT_CODE_FAMILY = "SELECT family_id FROM oauth_codes WHERE code_hash = $1 FOR UPDATE"
_SET_CODE_FAMILY = "UPDATE oauth_codes SET family_id = $2 WHERE code_hash = $1"


class PgClientStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add(self, client: StoredClient, registration: dict[str, Any]) -> None:
        with storage_errors():
            await self._pool.execute(
                _INSERT_CLIENT,
                client.client_id,
                client.secret_hash,
                client.name,
                list(client.redirect_uris),
                list(client.scopes),
                client.auth_method,
                json.dumps(registration),
            )

    async def get(self, client_id: str) -> StoredClient | None:
        with storage_errors():
            row = await self._pool.fetchrow(_CLIENT, client_id)
        if row is None:
            return None
        return StoredClient(
            row["client_id"],
            row["client_secret_hash"],
            row["client_name"],
            tuple(row["redirect_uris"]),
            tuple(row["scopes"]),
            row["token_endpoint_auth_method"],
        )


class PgCodeStore:
    def __init__(self, pool: Pool, ttl: timedelta, refresh_tokens: PgRefreshTokenStore) -> None:
        self._pool = pool
        self._ttl = ttl
        self._refresh_tokens = refresh_tokens

    async def add(self, code: str, grant: CodeGrant) -> None:
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_PRUNE_CODES)
                await conn.execute(
                    _INSERT_CODE,
                    digest(code),
                    grant.client_id,
                    grant.user_id,
                    grant.redirect_uri,
                    grant.code_challenge,
                    grant.resource,
                    list(grant.scopes),
                    self._ttl,
                )

    async def exchange(self, code: str, check: Callable[[CodeGrant], None]) -> tuple[str, Grant]:
        """Spend the code, check its grant, issue the first refresh token of a new family and
        bind it to the code: one transaction, so a replay racing the first exchange either
        waits for the binding (the spend's row lock) or finds the code unspent; it never
        sees a spent code without its family. A code is good for one attempt only: when
        `check` refuses, the code stays spent."""
        hashed = digest(code)
        refused: VaultError | None = None
        replayed = False
        with storage_errors():
            async with self._pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(_CLAIM_CODE, hashed)
                if row is None:
                    family = await conn.fetchval(_SPENT_CODE_FAMILY, hashed)
                    if family is not None:
                        await self._refresh_tokens.revoke_family_in(conn, family)
                        replayed = True
                else:
                    code_grant = _code_grant(row)
                    try:
                        check(code_grant)
                    except VaultError as exc:  # raised after the commit below
                        refused = exc
                    else:
                        grant = Grant(
                            code_grant.user_id,
                            uuid.uuid4(),
                            code_grant.scopes,
                            code_grant.client_id,
                            code_grant.resource,
                        )
                        token = await self._refresh_tokens.insert(conn, grant)
                        await conn.execute(_SET_CODE_FAMILY, hashed, grant.family_id)
                        return token, grant
        if refused is not None:
            raise refused
        if replayed:
            raise Unauthorized(
                "this code was already used; the tokens issued for it are now revoked"
            )
        raise Unauthorized("the code is not valid")


def _code_grant(row: asyncpg.Record) -> CodeGrant:
    return CodeGrant(
        row["client_id"],
        int(row["user_id"]),
        row["redirect_uri"],
        row["code_challenge"],
        row["resource"],
        tuple(row["scopes"]),
        bool(row["fresh"]),
    )
