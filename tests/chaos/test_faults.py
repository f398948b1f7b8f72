"""The chaos tier: a real `vault-mcp serve` on an external PostgreSQL that the test stops, kills,
freezes (SIGSTOP) and starts again under writes; and the server itself killed with SIGKILL.

After each fault: every write the server acknowledged is stored, with passages whose vectors
are the embedding of its text (nothing half-written); the server recovered without a restart;
and what clients saw while it lasted was an answer (503 with Retry-After), never a 500, a 401
or a hang. Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psutil
import pytest

from tests.chaos.clients import (
    McpWriter,
    assert_every_acknowledged_write_is_whole,
    get_health,
    mcp_status,
    serving,
    start_writing,
)
from tests.chaos.conftest import ExternalPostgres
from tests.e2e.conftest import running_serve

pytestmark = pytest.mark.slow


async def test_an_immediate_stop_of_the_database_under_writes(
    tmp_path: Path, chaos_url: str, external_postgres: ExternalPostgres
) -> None:
    env, password = await serving(tmp_path, chaos_url)
    async with running_serve(env) as base:
        writer, writing = await start_writing(base, password, 20)
        token = writer.token
        mcp = McpWriter(base, token)
        mcp_writing = asyncio.create_task(mcp.run())
        await writer.until("5 writes over MCP", lambda: len(mcp.acknowledged) >= 5)

        external_postgres.stop_immediately()
        await writer.until("refused during the outage", lambda: writer.statuses[-3:] == [503] * 3)
        await writer.until(
            "an MCP call refused during the outage",
            lambda: sum(mcp.outcomes.values()) > mcp.outcomes["acknowledged"],
        )
        health = await get_health(base)
        assert health.status_code == 503 and "retry-after" in health.headers
        raw = await mcp_status(base, token)
        # Not 401 (a connector would ask the person to sign in again), not 500.
        assert raw.status_code == 503, raw.text
        assert "retry-after" in raw.headers

        acknowledged_before = len(writer.acknowledged)
        mcp_before = len(mcp.acknowledged)
        external_postgres.start()
        restarted = time.monotonic()
        await writer.until(
            "a write after the database came back",
            lambda: len(writer.acknowledged) > acknowledged_before,
        )
        recovered = time.monotonic() - restarted
        await writer.until(
            "20 writes after the database came back",
            lambda: len(writer.acknowledged) >= acknowledged_before + 20,
        )
        await writer.until(
            "5 MCP writes after the database came back",
            lambda: len(mcp.acknowledged) >= mcp_before + 5,
        )
        writer.stop.set()
        mcp.stop.set()
        await writing
        await mcp_writing
        assert (await get_health(base)).status_code == 200  # the same process: no restart

    writer.report("immediate stop", first_write_after_restart=recovered)
    print(f"immediate stop, over MCP: {dict(mcp.outcomes)}, HTTP {dict(mcp.http_statuses)}")
    # Refused with 503 at the door, or by the tool saying why; never 401 or 500.
    assert set(mcp.http_statuses) <= {200, 202, 503}, mcp.http_statuses
    for outcome in mcp.outcomes:  # each call: acknowledged, or refused saying why
        assert (
            outcome == "acknowledged"
            or "unavailable" in outcome
            or (outcome.startswith("HTTP 503, MCPError"))
        ), outcome


async def test_a_frozen_database_gets_bounded_answers_and_then_recovers(
    tmp_path: Path, chaos_url: str, external_postgres: ExternalPostgres
) -> None:
    env, password = await serving(tmp_path, chaos_url)
    async with running_serve(env) as base:
        writer, writing = await start_writing(base, password, 10)
        token = writer.token

        external_postgres.freeze()
        try:
            started = time.monotonic()
            health = await get_health(base)
            health_seconds = time.monotonic() - started
            assert health.status_code == 503
            assert health_seconds < 5  # the probe's own 2 s, not the freeze's
            await writer.until("a refused write", lambda: 503 in writer.statuses)
            mcp_started = time.monotonic()
            mcp = await mcp_status(base, token)
            mcp_seconds = time.monotonic() - mcp_started
            assert mcp.status_code == 503 and mcp_seconds < 40
        finally:
            external_postgres.thaw()

        acknowledged_before = len(writer.acknowledged)
        await writer.until(
            "10 writes after the thaw",
            lambda: len(writer.acknowledged) >= acknowledged_before + 10,
        )
        writer.stop.set()
        await writing
        assert (await get_health(base)).status_code == 200

    writer.report("freeze", health_answer=health_seconds, mcp_answer=mcp_seconds)
    assert set(writer.statuses) <= {201, 503}, sorted(set(writer.statuses))
    assert writer.missing_retry_after == 0 and writer.transport_errors == 0
    await assert_every_acknowledged_write_is_whole(chaos_url, writer.acknowledged)


async def test_kill_9_of_the_server_during_writes_loses_no_acknowledged_write(
    tmp_path: Path, chaos_url: str
) -> None:
    env, password = await serving(tmp_path, chaos_url)
    async with running_serve(env) as base:
        writer, writing = await start_writing(base, password, 30)
        [server] = [
            p
            for p in psutil.Process().children(recursive=True)
            if "serve" in p.cmdline() and p.name() != "postgres"
        ]
        server.kill()  # SIGKILL, mid-write
        await writer.until("the writer saw the server go", lambda: writer.transport_errors > 0)
        writer.stop.set()
        await writing
    assert set(writer.statuses) <= {201, 503}, sorted(set(writer.statuses))

    async with running_serve(env) as base:  # a new process on the same database
        after, writing = await start_writing(base, password, 5)
        after.stop.set()
        await writing
    writer.report("kill -9 of the server")
    after.report("after its restart")
    await assert_every_acknowledged_write_is_whole(chaos_url, writer.acknowledged)
    await assert_every_acknowledged_write_is_whole(chaos_url, after.acknowledged)
