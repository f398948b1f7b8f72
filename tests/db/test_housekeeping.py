"""Pruning: expired tokens and abandoned client registrations go; nothing usable does."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.conftest import OpenedServices
from vault_mcp.db.housekeeping import prune

_CLIENT = """
INSERT INTO oauth_clients (client_id, redirect_uris, scopes, token_endpoint_auth_method,
                           registration, created_at)
VALUES ($1, ARRAY['https://app.example/cb'], ARRAY['notes:read'], 'none', '{}',
        now() - $2::interval)
"""
_REFRESH = """
INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at, client_id)
VALUES (gen_random_uuid(), $1, $2, now() + $3::interval, $4)
"""
_PERSONAL = """
INSERT INTO personal_access_tokens (user_id, name, token_hash, scopes, expires_at, revoked_at)
VALUES ($1, $2, $3, ARRAY['notes:read'], now() + $4::interval, now() + $5::interval)
"""
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


async def _ids(services: OpenedServices, sql: str) -> set[str]:
    return {str(r[0]) for r in await services.pool.fetch(sql)}


async def test_expired_tokens_and_abandoned_registrations_are_pruned(
    services: OpenedServices,
) -> None:
    user = await services.users.ensure("owner")
    db = services.pool
    await db.execute(_CLIENT, "abandoned", 3 * DAY)  # registered, never signed in
    await db.execute(_CLIENT, "in-use", 40 * DAY)
    await db.execute(_CLIENT, "just-registered", MINUTE)  # its sign-in may be under way
    await db.execute(_CLIENT, "signing-in", 2 * DAY)  # an unexpired code: mid-exchange
    await db.execute(
        "INSERT INTO oauth_codes (code_hash, client_id, user_id, code_challenge, resource,"
        " scopes, expires_at) VALUES ($1, 'signing-in', $2, 'c', 'r', '{}', now() + $3::interval)",
        os.urandom(32),
        user,
        MINUTE,
    )
    await db.execute(_REFRESH, user, os.urandom(32), 20 * DAY, "in-use")
    await db.execute(_REFRESH, user, os.urandom(32), -2 * DAY, None)  # expired two days ago
    await db.execute(_REFRESH, user, os.urandom(32), -HOUR, None)  # kept a day for replays
    revoked = os.urandom(32)  # a revoked family's row: kept while its access tokens may live
    await db.execute(_REFRESH, user, revoked, 10 * DAY, None)
    await db.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1", revoked)
    await db.execute(_PERSONAL, user, "expired", os.urandom(32), -3 * DAY, None)
    await db.execute(_PERSONAL, user, "revoked", os.urandom(32), 30 * DAY, -3 * DAY)
    await db.execute(_PERSONAL, user, "live", os.urandom(32), 30 * DAY, None)

    pruned = await prune(db)
    assert (pruned.refresh_tokens, pruned.clients, pruned.personal_tokens) == (1, 1, 2)
    assert await _ids(services, "SELECT client_id FROM oauth_clients") == {
        "in-use",
        "just-registered",
        "signing-in",
    }
    assert len(await _ids(services, "SELECT id FROM refresh_tokens")) == 3
    assert await _ids(services, "SELECT name FROM personal_access_tokens") == {"live"}
    assert (await prune(db)).total == 0  # idempotent: every process on the database runs it


async def test_refresh_rows_outlive_long_access_tokens(services: OpenedServices) -> None:
    """With JWT_ACCESS_EXPIRY of a week, a revoked family's rows must stay a week past their
    expiry, or its still-valid access tokens would be honoured again."""
    user = await services.users.ensure("owner")
    await services.pool.execute(_REFRESH, user, os.urandom(32), -3 * DAY, None)
    assert (await prune(services.pool, access_ttl=7 * DAY)).refresh_tokens == 0
    assert (await prune(services.pool, access_ttl=HOUR)).refresh_tokens == 1


async def test_a_backlog_is_pruned_in_batches_to_the_last_row(
    services: OpenedServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vault_mcp.db import housekeeping

    monkeypatch.setattr(housekeeping, "BATCH", 3)  # 10 and 7 rows: full batches, then a short one
    user = await services.users.ensure("owner")
    for i in range(10):
        await services.pool.execute(_CLIENT, f"flood-{i}", 3 * DAY)
    for _ in range(7):
        await services.pool.execute(_REFRESH, user, os.urandom(32), -2 * DAY, None)
    await services.pool.execute(_CLIENT, "in-use", 3 * DAY)
    await services.pool.execute(_REFRESH, user, os.urandom(32), DAY, "in-use")

    pruned = await prune(services.pool)
    assert (pruned.clients, pruned.refresh_tokens) == (10, 7)
    assert await _ids(services, "SELECT client_id FROM oauth_clients") == {"in-use"}
    assert await services.pool.fetchval("SELECT count(*) FROM refresh_tokens") == 1
