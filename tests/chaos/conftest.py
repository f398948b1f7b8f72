"""The chaos tier's database: a PostgreSQL of its own that tests stop, kill and freeze."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from vault_mcp.db.embedded import get_server
from vault_mcp.db.migrate import migrate


class ExternalPostgres:
    """A PostgreSQL 16 of the test's own, in its own data dir: stopped, killed and frozen at
    will, as an external database would be (the session's cluster is never touched)."""

    def __init__(self) -> None:
        self._parent = Path(tempfile.mkdtemp(prefix="vault-chaos-pg-"))
        self.server = get_server(self._parent / "pgdata", cleanup_mode="delete")

    def url(self, database: str = "postgres") -> str:
        return str(self.server.get_uri(database=database))

    def processes(self) -> list[psutil.Process]:
        pid = self.server.get_pid()
        assert pid is not None, "the chaos database is not running"
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]

    def stop_immediately(self) -> None:
        """`pg_ctl stop -m immediate`: every backend dies, no checkpoint, crash recovery next."""
        [postmaster, *_] = self.processes()
        postmaster.send_signal(signal.SIGQUIT)
        postmaster.wait(timeout=30)

    def freeze(self) -> None:
        for process in self.processes():
            process.suspend()

    def thaw(self) -> None:
        for process in self.processes():
            process.resume()

    def start(self) -> None:
        with self.server._lock:  # the package's own start path, as on a first start
            self.server.ensure_postgres_running()

    def cleanup(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self._parent, ignore_errors=True)


@pytest.fixture(scope="session")
def external_postgres() -> Iterator[ExternalPostgres]:
    pg = ExternalPostgres()
    try:
        yield pg
    finally:
        with contextlib.suppress(AssertionError, psutil.Error):  # it may be running already
            pg.thaw()
        pg.cleanup()


@pytest.fixture
async def chaos_url(external_postgres: ExternalPostgres) -> AsyncIterator[str]:
    name = f"chaos_{os.urandom(6).hex()}"
    admin = await asyncpg.connect(external_postgres.url())
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    conn = await asyncpg.connect(external_postgres.url(name))
    await migrate(conn)
    await conn.close()
    yield external_postgres.url(name)
