"""Pruning what no one can use any more, so that the auth tables do not grow without bound,
and purging the trash past its retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from vault_mcp.db.pool import Pool, storage_errors

# Refresh tokens `$1` past their expiry: no one can redeem them, and replay detection no
# longer needs them (a rotated token that has expired is refused as unknown either way).
# `$1` is at least the access tokens' lifetime: an access token is honoured while no revoked
# row of its family exists, so a revoked family's rows must outlive its access tokens.
_PRUNE_REFRESH = """
DELETE FROM refresh_tokens WHERE id IN (
    SELECT id FROM refresh_tokens WHERE expires_at < now() - $1::interval LIMIT $2)
"""
# Dynamically registered clients that hold no refresh token a day after registering: a
# registration that never finished sign-in (anyone may POST /oauth/register), or a connector
# unused for longer than a refresh token lives, which registers again on its next sign-in.
_PRUNE_CLIENTS = """
DELETE FROM oauth_clients WHERE client_id IN (
    SELECT c.client_id FROM oauth_clients AS c
    WHERE c.created_at < now() - interval '1 day'
      AND NOT EXISTS (SELECT 1 FROM refresh_tokens AS r WHERE r.client_id = c.client_id)
      AND NOT EXISTS (SELECT 1 FROM oauth_codes AS o
                      WHERE o.client_id = c.client_id AND o.expires_at > now())
    LIMIT $1)
"""
# Personal tokens a day past their expiry or revocation: refused either way.
_PRUNE_PERSONAL = """
DELETE FROM personal_access_tokens WHERE id IN (
    SELECT id FROM personal_access_tokens
    WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'
    LIMIT $1)
"""
# Notes in the trash longer than the retention `$1`, with their passages (by cascade) and
# history. A note being restored right now is skipped (SKIP LOCKED): the restore wins.
_PURGE_TRASH = """
WITH doomed AS (
    SELECT id FROM trashed_notes WHERE deleted_at < now() - $1::interval
    LIMIT $2 FOR UPDATE SKIP LOCKED),
     history AS (DELETE FROM note_versions WHERE note_id IN (SELECT id FROM doomed))
DELETE FROM trashed_notes WHERE id IN (SELECT id FROM doomed)
"""
# Rows per statement: a backlog of millions (a registration flood) is deleted in short
# transactions, each far inside the 30 s statement timeout, none holding locks for long.
BATCH = 5_000


@dataclass(frozen=True)
class Pruned:
    """How many rows of each kind one round deleted."""

    refresh_tokens: int
    clients: int
    personal_tokens: int
    trashed_notes: int = 0

    @property
    def total(self) -> int:
        return self.refresh_tokens + self.clients + self.personal_tokens + self.trashed_notes


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])  # "DELETE 12"


async def _in_batches(pool: Pool, statement: str, *args: object) -> int:
    """Run a batch-limited DELETE (its last parameter the batch size) until it comes up
    short; each batch commits on its own (the deletes are idempotent)."""
    deleted = 0
    while True:
        with storage_errors():
            batch = _count(await pool.execute(statement, *args, BATCH))
        deleted += batch
        if batch < BATCH:
            return deleted


async def prune(
    pool: Pool,
    access_ttl: timedelta = timedelta(hours=1),
    trash_retention: timedelta = timedelta(days=30),
) -> Pruned:
    kept = max(timedelta(days=1), access_ttl)
    # Tokens first: a client is pruned only once no refresh token of it is left.
    refresh = await _in_batches(pool, _PRUNE_REFRESH, kept)
    clients = await _in_batches(pool, _PRUNE_CLIENTS)
    personal = await _in_batches(pool, _PRUNE_PERSONAL)
    trashed = await _in_batches(pool, _PURGE_TRASH, trash_retention)
    return Pruned(refresh, clients, personal, trashed)
