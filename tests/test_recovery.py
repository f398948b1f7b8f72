"""Start-up that recovers: a database that answers late is found without a restart, while
calls fail fast with "unavailable, retrying"; only a schema or configuration error is final.

The late database is the session's real PostgreSQL behind a loopback forwarder that starts
listening only when the test says so (the way a compose database comes up after its backend).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import make_settings
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.errors import Misconfigured, SchemaError, StorageUnavailable
from vault_mcp.runtime import ServicesHandle
from vault_mcp.runtime.database import PROBE_TIMEOUT

WAIT_SECONDS = 20  # the handle retries after 1, 2, 4… s; a bound, never a sleep


class LateDatabase:
    """127.0.0.1:<port> forwarded to the cluster's Unix socket once `open()` is called;
    `freeze()` holds every byte (new connections too) until `thaw()`, the way a stopped
    (SIGSTOP) server looks from the client: accepted, and then silent."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.socket = f"{parse_qs(parts.query)['host'][0]}/.s.PGSQL.{parts.port or 5432}"
        self.database = parts.path.lstrip("/")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._thawed = asyncio.Event()
        self._thawed.set()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    def freeze(self) -> None:
        self._thawed.clear()

    def thaw(self) -> None:
        self._thawed.set()

    async def close(self) -> None:
        self.thaw()
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()

    async def _forward(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        await self._thawed.wait()
        server_r, server_w = await asyncio.open_unix_connection(self.socket)
        self._writers += [client_w, server_w]

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                while data := await r.read(65536):
                    await self._thawed.wait()
                    w.write(data)
                    await w.drain()
            except ConnectionError:
                pass
            finally:
                w.close()

        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))


@pytest.fixture
async def late_database(database_url: str) -> AsyncIterator[LateDatabase]:
    late = LateDatabase(database_url)
    yield late
    await late.close()


async def _until(condition: object, what: str) -> None:
    assert callable(condition)
    for _ in range(WAIT_SECONDS * 20):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not {what} within {WAIT_SECONDS} s")


async def test_a_database_that_comes_up_late_is_found_without_a_restart(
    late_database: LateDatabase,
) -> None:
    settings = make_settings(late_database.url)
    async with ServicesHandle(settings, HashingEmbedder()) as handle:
        await _until(lambda: handle.state == "retrying", "retrying")
        # Meanwhile a call fails at once, saying so: no hang, no 401, no DSN.
        with pytest.raises(StorageUnavailable, match="keeps retrying") as raised:
            await asyncio.wait_for(handle.get(), 2)
        assert str(late_database.port) not in str(raised.value)
        assert handle.last_error is not None and "127.0.0.1" not in handle.last_error

        await late_database.open()
        await _until(lambda: handle.state == "ready", "ready after the database came up")
        services = await handle.get()
        note = await services.notes.create(services.owner, "late", "the database came up late")
        assert (await services.notes.get(services.owner, str(note.id))).title == "late"


async def test_start_up_tasks_wait_for_the_database_however_long_it_takes(
    late_database: LateDatabase,
) -> None:
    async with ServicesHandle(make_settings(late_database.url), HashingEmbedder()) as handle:
        opened = asyncio.create_task(handle.opened())
        await _until(lambda: handle.state == "retrying", "retrying")
        assert not opened.done()
        await late_database.open()
        services = await asyncio.wait_for(opened, WAIT_SECONDS)
        assert await services.database_ok()


async def test_a_frozen_database_is_reported_within_the_probe_timeout(
    late_database: LateDatabase,
) -> None:
    """/health's probe answers "unreachable" in PROBE_TIMEOUT, however long the clean-up of
    its cancelled query takes (asyncpg waits for the CancelRequest, then for the release)."""
    await late_database.open()
    async with ServicesHandle(make_settings(late_database.url), HashingEmbedder()) as handle:
        services = await handle.get()
        assert await services.database_ok()
        late_database.freeze()
        # Many at once share one probe; again and again, as an orchestrator asks.
        answers = await asyncio.wait_for(
            asyncio.gather(*(services.database_ok() for _ in range(5))), PROBE_TIMEOUT * 3
        )
        assert answers == [False] * 5
        for _ in range(3):
            started = time.monotonic()
            assert not await asyncio.wait_for(services.database_ok(), PROBE_TIMEOUT * 3)
            assert time.monotonic() - started < PROBE_TIMEOUT + 1
        late_database.thaw()
        deadline = time.monotonic() + WAIT_SECONDS
        while not await services.database_ok():
            assert time.monotonic() < deadline, f"not healthy again within {WAIT_SECONDS} s"
            await asyncio.sleep(0.05)


async def test_an_old_schema_is_final_and_says_how_to_fix_it(empty_database_url: str) -> None:
    async with ServicesHandle(make_settings(empty_database_url), HashingEmbedder()) as handle:
        await _until(lambda: handle.state != "starting", "settled")
        assert handle.state == "failed"
        with pytest.raises(SchemaError, match="vault-mcp migrate"):
            await handle.get()


async def test_a_database_that_does_not_exist_is_a_configuration_error(database_url: str) -> None:
    missing = database_url.replace("/t_", "/no_such_", 1)
    async with ServicesHandle(make_settings(missing), HashingEmbedder()) as handle:
        await _until(lambda: handle.state != "starting", "settled")
        assert handle.state == "failed"
        with pytest.raises(Misconfigured, match="DATABASE_URL") as raised:
            await handle.get()
        assert "no_such_" not in str(raised.value)  # the log names it, clients do not


async def test_a_running_server_prunes_abandoned_registrations(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncpg

    from vault_mcp.runtime import housekeeping

    monkeypatch.setattr(housekeeping, "PRUNE_FIRST", 0.05)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO oauth_clients (client_id, redirect_uris, scopes, "
            "token_endpoint_auth_method, registration, created_at) VALUES ('spam', "
            "ARRAY['https://x.example/cb'], ARRAY['notes:read'], 'none', '{}', now() - "
            "interval '2 days')"
        )
        async with ServicesHandle(make_settings(database_url), HashingEmbedder()) as handle:
            await handle.get()
            for _ in range(WAIT_SECONDS * 20):
                if not await conn.fetchval("SELECT count(*) FROM oauth_clients"):
                    break
                await asyncio.sleep(0.05)
            assert await conn.fetchval("SELECT count(*) FROM oauth_clients") == 0
    finally:
        await conn.close()
