"""The embedded database: no DATABASE_URL, `serve` and `stdio` at once on one data dir."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.conftest import (
    VAULT_MCP,
    add_user,
    bearer,
    login,
    run_cli,
    running_serve,
    server_env,
)

pytestmark = pytest.mark.slow


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    # PostgreSQL creates the file and then writes it: an empty file is a server starting.
    words = pid_file.read_text().split() if pid_file.exists() else []
    return int(words[0]) if words else None


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _wait_for_stop(data_dir: Path, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _postmaster_pid(data_dir) is None:
            return True
        time.sleep(0.1)
    return False


async def test_stdio_and_serve_share_one_embedded_database(tmp_path: Path) -> None:
    env = server_env(tmp_path, database_url=None)
    data_dir = Path(env["VAULT_DATA_DIR"])
    migrate = await run_cli(["migrate"], env)
    assert migrate.returncode == 0, migrate.stderr
    assert "0001_users_and_notes.sql" in migrate.stdout
    assert _wait_for_stop(data_dir), "migrate left the embedded server running"

    await add_user(env, "ada", "a long passphrase")
    async with running_serve(env) as base:
        token = (await login(base, "ada", "a long passphrase"))["access_token"]
        stdio_env = {**env, "VAULT_USER": "ada"}  # stdio acts as the same account
        params = StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=stdio_env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as stdio:
            await stdio.initialize()
            created = await stdio.call_tool(
                "create_note", {"title": "shared", "content": "both see it"}
            )
            nid = created.structured_content["id"]
            async with (
                bearer(token) as http,
                streamable_http_client(f"{base}/mcp", http_client=http) as (r, w),
                ClientSession(r, w) as remote,
            ):
                await remote.initialize()
                read_back = await remote.call_tool("read_note", {"id": nid})
                assert read_back.structured_content["content"] == "both see it"
        # stdio has exited; the server it shared must still serve `serve`.
        assert _postmaster_pid(data_dir) is not None
        async with (
            bearer(token) as http,
            streamable_http_client(f"{base}/mcp", http_client=http) as (r, w),
            ClientSession(r, w) as remote,
        ):
            await remote.initialize()
            listed = await remote.call_tool("list_notes", {})
            assert [n["id"] for n in listed.structured_content["notes"]] == [nid]
    assert _wait_for_stop(data_dir), "the last process left the embedded server running"

    again = await run_cli(["migrate"], env)
    assert again.returncode == 0 and "schema is up to date" in again.stdout


@contextmanager
def stdio_holding_the_server(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`vault-mcp stdio`, once it has started (or joined) the embedded server."""
    data_dir = Path(env["VAULT_DATA_DIR"])
    handles = data_dir / "pgdata" / ".handle_pids.json"  # lists the holders' pids
    proc = subprocess.Popen(
        [VAULT_MCP, "stdio"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while _postmaster_pid(data_dir) is None or str(proc.pid) not in _read(handles):
            assert time.monotonic() < deadline, "the embedded server did not start"
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdin:
            proc.stdin.close()


def test_a_killed_process_does_not_keep_the_embedded_server_alive(tmp_path: Path) -> None:
    env = server_env(tmp_path, database_url=None)
    data_dir = Path(env["VAULT_DATA_DIR"])
    with stdio_holding_the_server(env) as proc:
        proc.kill()  # no cleanup: its pid stays registered as a holder
        proc.wait()
    assert _postmaster_pid(data_dir) is not None

    # The next process forgets the dead holder, so when it exits the server stops.
    result = subprocess.run(
        [VAULT_MCP, "migrate"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert _wait_for_stop(data_dir)


def test_sigterm_stops_stdio_and_its_embedded_server(tmp_path: Path) -> None:
    """Claude Desktop stops its servers with SIGTERM; nothing may be left running."""
    env = server_env(tmp_path, database_url=None)
    with stdio_holding_the_server(env) as proc:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert _wait_for_stop(Path(env["VAULT_DATA_DIR"]))


# Made with the earlier embedded server (pgserver 0.1.4: PostgreSQL 16.2, pgvector 0.6.2) and the
# schema of vault-mcp 0.1 (migrations 0001-0004), holding one note.
_VERSIONS = """
import asyncio, pathlib, sys
import asyncpg
from vault_mcp.db.embedded import EmbeddedPostgres
server = EmbeddedPostgres(pathlib.Path(sys.argv[1]))
async def main():
    conn = await asyncpg.connect(server.start())
    print(await conn.fetchval("SELECT version()"))
    print(await conn.fetchval("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
    await conn.close()
asyncio.run(main())
server.stop()
"""


async def _python(script: str, *args: str) -> str:
    import sys

    import anyio

    with anyio.fail_after(180):
        done = await anyio.run_process([sys.executable, "-c", script, *args], check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


_OLD_VAULT = """
import asyncio, pathlib, sys
import asyncpg, pgserver
from vault_mcp.db.migrate import load_migrations, migrate
pathlib.Path(sys.argv[1]).parent.mkdir(parents=True)
server = pgserver.get_server(sys.argv[1], cleanup_mode="stop")
async def main():
    conn = await asyncpg.connect(server.get_uri())
    await migrate(conn, [m for m in load_migrations() if m.version <= "0004"])
    owner = await conn.fetchval("INSERT INTO users (username) VALUES ('ada') RETURNING id")
    vector = "[" + ",".join(["0.0510310363"] * 384) + "]"
    await conn.execute(
        "INSERT INTO notes (owner_id, title, content, embedding)"
        " VALUES ($1, 'Boat', 'Varnish the mast before May.', $2::vector)", owner, vector)
    print(await conn.fetchval("SELECT version()"))
    print(await conn.fetchval("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
    await conn.close()
asyncio.run(main())
server.cleanup()
"""


async def test_a_data_dir_of_the_earlier_embedded_server_is_upgraded_in_place(
    tmp_path: Path,
) -> None:
    env = server_env(tmp_path, database_url=None)
    data_dir = Path(env["VAULT_DATA_DIR"])
    made = await _python(_OLD_VAULT, str(data_dir / "pgdata"))
    assert "PostgreSQL 16.2" in made and "0.6.2" in made
    migrate = await run_cli(["migrate"], env)
    assert migrate.returncode == 0, migrate.stderr
    assert "0005_pgvector_0_8.sql" in migrate.stdout and "0006_passages.sql" in migrate.stdout
    env = {**env, "VAULT_USER": "ada"}
    params = StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        found = await session.call_tool("search_notes", {"query": "varnish the mast"})
        assert not found.is_error, found.content
        [hit] = found.structured_content["results"]
        assert hit["title"] == "Boat" and hit["snippet"] == "Varnish the mast before May."
    assert _wait_for_stop(data_dir)
    now = await _python(_VERSIONS, str(data_dir))
    assert "PostgreSQL 16.14" in now and "0.8.5" in now
