"""Every driver error is translated at the edge of db/: nothing above it sees asyncpg."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import OpenedServices
from vault_mcp.db.pool import storage_errors
from vault_mcp.errors import Conflict, InvalidInput, NotFound, StorageUnavailable


@pytest.mark.parametrize(
    ("query", "args", "kind"),
    [
        ("INSERT INTO users (username) VALUES ('dup'), ('dup')", (), Conflict),
        (
            "INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at) "
            "VALUES (gen_random_uuid(), 999999, 'x', now())",
            (),
            NotFound,
        ),
        ("SELECT $1::text", ("nul\x00inside",), InvalidInput),
        ("SELECT $1::text", ("lone \ud800 surrogate",), InvalidInput),
        ("SELECT $1::bigint", (2**70,), InvalidInput),
        ("SELECT 1 / 0", (), InvalidInput),
        ("INSERT INTO users (username) VALUES ('')", (), InvalidInput),  # a CHECK
        ("SELEC nonsense", (), StorageUnavailable),
        ("SELECT pg_sleep(5)", (), StorageUnavailable),  # cancelled by statement_timeout
    ],
)
async def test_a_driver_error_becomes_the_vault_error_for_its_kind(
    services: OpenedServices, query: str, args: tuple[object, ...], kind: type[Exception]
) -> None:
    async with services.pool.acquire() as conn:
        await conn.execute("SET statement_timeout = '50ms'")
        try:
            with storage_errors():
                await conn.execute(query, *args)
        except Exception as exc:
            raised = exc
        else:
            raise AssertionError("nothing was raised")
        finally:
            await conn.execute("RESET statement_timeout")
    assert type(raised) is kind, repr(raised)
    assert not isinstance(raised, asyncpg.PostgresError | asyncpg.InterfaceError)


async def test_a_note_for_an_owner_deleted_meanwhile_is_not_found(
    services: OpenedServices,
) -> None:
    """`vault-mcp user delete` of the account a running stdio server acts as."""
    gone = await services.users.ensure("gone")
    await services.users.delete(gone)
    with pytest.raises(NotFound):
        await services.notes.create(gone, "title", "content")


async def test_an_account_is_deleted_only_with_the_note_count_that_was_confirmed(
    services: OpenedServices,
) -> None:
    """`user delete` asks "delete N notes?" and then deletes: a note written meanwhile
    must not be deleted uncounted."""
    owner = await services.users.ensure("leaving")
    await services.notes.create(owner, "one", "the note that was counted")
    await services.notes.create(owner, "two", "written while the person read the prompt")
    assert not await services.users.delete(owner, 1)
    assert await services.users.by_id(owner) is not None
    assert await services.users.delete(owner, 2)
    assert await services.users.by_id(owner) is None


async def test_a_lost_connection_is_storage_unavailable(services: OpenedServices) -> None:
    conn = await services.pool.acquire()
    try:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        # The timeout makes it wait until the backend is gone.
        await services.pool.execute("SELECT pg_terminate_backend($1, 10000)", pid)
        with pytest.raises(StorageUnavailable), storage_errors():
            await conn.fetchval("SELECT 1")
    finally:
        await services.pool.release(conn)


async def test_a_request_waits_a_bounded_time_for_a_connection(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection held (a frozen database holds them all): the next request is refused
    with StorageUnavailable after ACQUIRE_TIMEOUT instead of queueing for ever."""
    import asyncio

    from vault_mcp.db import pool as pool_module

    monkeypatch.setattr(pool_module, "ACQUIRE_TIMEOUT", 0.2)
    async with pool_module.open_pool(database_url, max_size=1) as pool:
        async with pool.acquire():
            with pytest.raises(StorageUnavailable), pool_module.storage_errors():
                await asyncio.wait_for(pool.fetchval("SELECT 1"), 5)
        assert await pool.fetchval("SELECT 1") == 1
