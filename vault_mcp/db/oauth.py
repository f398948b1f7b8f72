"""OAuth clients registered dynamically, and authorization codes: single use, short-lived."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.db.refresh_tokens import digest

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
_SPENT_CODE_FAMILY = "SELECT family_id FROM oauth_codes WHERE code_hash = $1"
_SET_CODE_FAMILY = "UPDATE oauth_codes SET family_id = $2 WHERE code_hash = $1"


@dataclass(frozen=True)
class StoredClient:
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
    def __init__(self, pool: Pool, ttl: timedelta) -> None:
        self._pool = pool
        self._ttl = ttl

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

    async def spend(self, code: str) -> CodeGrant | None:
        """The code's grant, spending it; None if it is unknown or was already spent."""
        with storage_errors():
            row = await self._pool.fetchrow(_CLAIM_CODE, digest(code))
        return None if row is None else _code_grant(row)

    async def family_of_spent(self, code: str) -> uuid.UUID | None:
        """The token family a spent code was exchanged for (to revoke it on a replay)."""
        with storage_errors():
            family: uuid.UUID | None = await self._pool.fetchval(_SPENT_CODE_FAMILY, digest(code))
        return family

    async def bind_family(self, code: str, family_id: uuid.UUID) -> None:
        with storage_errors():
            await self._pool.execute(_SET_CODE_FAMILY, digest(code), family_id)


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
