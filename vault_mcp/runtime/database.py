"""The database's lifecycle for a process: where it is, its schema checked, a pool, a probe."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio.to_thread

from vault_mcp.errors import SchemaError, StorageUnavailable
from vault_mcp.settings import Settings

if TYPE_CHECKING:
    from vault_mcp.db.pool import Pool

log = logging.getLogger(__name__)

# /health's answer must come within this, pool acquire included: a frozen database is
# "unreachable", not a probe that hangs as long as the freeze.
PROBE_TIMEOUT = 2.0


def database_probe(pool: Pool) -> Callable[[], Awaitable[bool]]:
    """Whether the database answers within PROBE_TIMEOUT seconds (for /health)."""
    from vault_mcp.db.pool import storage_errors

    # One probe at a time, whoever asks: /health is public, and a probe on a frozen database
    # holds a pool connection until asyncpg's clean-up of its cancelled query ends (it sends
    # a CancelRequest, then the release waits up to ACQUIRE_TIMEOUT). Callers share the one
    # under way and never wait for that clean-up: they answer "no" after PROBE_TIMEOUT.
    running: asyncio.Task[bool] | None = None

    async def select_one() -> bool:
        try:
            with storage_errors():
                await pool.fetchval("SELECT 1")
        except StorageUnavailable:
            return False
        return True

    async def database_ok() -> bool:
        nonlocal running
        if running is None or running.done():
            running = asyncio.ensure_future(select_one())
            running.add_done_callback(_retrieved)
        probe = running
        done, _ = await asyncio.wait({probe}, timeout=PROBE_TIMEOUT)
        if probe in done:
            return not probe.cancelled() and probe.result()
        probe.cancel()  # its clean-up goes on; `running` holds it until it ends
        return False

    return database_ok


def _retrieved(probe: asyncio.Task[bool]) -> None:
    if not probe.cancelled() and probe.exception() is not None:
        log.warning("a health probe ended with: %r", probe.exception())


@asynccontextmanager
async def database_dsn(settings: Settings) -> AsyncIterator[str]:
    """DATABASE_URL, or the embedded server in the data dir for as long as the context lasts."""
    from vault_mcp.db.embedded import EmbeddedPostgres

    if settings.database_url:
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.data_dir)
    dsn = await anyio.to_thread.run_sync(server.start)
    try:
        yield dsn
    finally:
        await anyio.to_thread.run_sync(server.stop)


async def prepare_schema(dsn: str, *, apply: bool) -> list[str]:
    """Apply pending migrations, or (when not allowed to) refuse to run on an old schema."""
    from vault_mcp.db.migrate import check_pgvector, load_migrations, migrate, pending
    from vault_mcp.db.pool import connect

    conn = await connect(dsn)
    try:
        applied = []
        if apply:
            applied = await migrate(conn)
            for name in applied:
                log.info("applied migration %s", name)
        else:
            missing = await pending(conn, load_migrations())
            if missing:
                raise SchemaError(
                    f"the database lacks {len(missing)} migration(s) ({missing[0].name}…); "
                    "run `vault-mcp migrate` (or set VAULT_MIGRATE_ON_START=true)"
                )
        await check_pgvector(conn)
        return applied
    finally:
        await conn.close()


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Pool]:
    """A pool on an up-to-date schema (the embedded server started if need be)."""
    from vault_mcp.db.pool import open_pool

    async with database_dsn(settings) as dsn:
        await prepare_schema(dsn, apply=settings.should_migrate_on_start)
        async with open_pool(dsn) as pool:
            yield pool
