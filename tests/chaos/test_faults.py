"""The chaos tier: a real `vault-mcp serve` on an external PostgreSQL that the test stops, kills,
freezes (SIGSTOP) and starts again under writes; and the server itself killed with SIGKILL.

After each fault: every write the server acknowledged is stored, with passages whose vectors
are the embedding of its text (nothing half-written); the server recovered without a restart;
and what clients saw while it lasted was an answer (503 with Retry-After), never a 500, a 401
or a hang. Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import httpx
import httpx2
import numpy as np
import psutil
import pytest
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult
from pgvector.asyncpg import register_vector

from tests.e2e.conftest import VAULT_MCP, add_user, login, running_serve, server_env
from vault_mcp.db.embedded import get_server
from vault_mcp.db.migrate import migrate
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.passages import embedded_text, split_passages

pytestmark = pytest.mark.slow

PASSWORD = "chaos passphrase 1"
MAX_WRITES = 2_000  # per writer: a bound, never reached unless something hangs
FAULT_SECONDS = 60  # the longest any phase may take


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


@pytest.fixture(scope="module")
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


@dataclass
class Writer:
    """Creates notes over REST until told to stop, recording every answer."""

    base: str
    token: str
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> text
    statuses: list[int] = field(default_factory=list)
    missing_retry_after: int = 0
    transport_errors: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(timeout=45) as http:
            for i in range(MAX_WRITES):
                if self.stop.is_set():
                    return
                title, content = f"chaos {i}", f"note {i} written under faults\n\n# part\n\n{i}"
                try:
                    answer = await http.post(
                        f"{self.base}/api/v1/notes",
                        headers=headers,
                        json={"title": title, "content": content},
                    )
                except httpx.TransportError:
                    self.transport_errors += 1
                    await asyncio.sleep(0.2)
                    continue
                self.statuses.append(answer.status_code)
                if answer.status_code == 201:
                    self.acknowledged[answer.json()["id"]] = (title, content)
                elif answer.status_code == 503:
                    self.missing_retry_after += "retry-after" not in answer.headers
                    await asyncio.sleep(0.2)
                await asyncio.sleep(0.01)

    def report(self, fault: str, **timings: float) -> None:
        """One line for the chaos summary (pytest -rP shows it): what clients saw."""
        refused = self.statuses.count(503)
        extra = "".join(f", {k.replace('_', ' ')} {v:.1f} s" for k, v in timings.items())
        print(
            f"{fault}: {len(self.acknowledged)} writes acknowledged, {refused} refused with 503"
            f" + Retry-After, {len(self.statuses) - refused - len(self.acknowledged)} other"
            f" answers, {self.transport_errors} connection errors{extra}"
        )

    async def until(self, what: str, condition: Any) -> None:
        deadline = time.monotonic() + FAULT_SECONDS
        while not condition():
            assert time.monotonic() < deadline, f"not {what} within {FAULT_SECONDS} s"
            await asyncio.sleep(0.05)


@dataclass
class McpWriter:
    """Creates notes through `create_note` over /mcp (the stateless 2026-07-28 revision, as
    the SDK's Client speaks it) beside the REST writer; a failed call is retried with a new
    client, as a connector would."""

    base: str
    token: str
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    http_statuses: Counter[int] = field(default_factory=Counter)  # of every /mcp answer
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        attempts = iter(range(MAX_WRITES))

        async def record(response: httpx2.Response) -> None:
            self.http_statuses[response.status_code] += 1

        async with httpx2.AsyncClient(
            headers=headers, timeout=45, event_hooks={"response": [record]}
        ) as http:
            while not self.stop.is_set() and next(attempts, None) is not None:
                try:
                    async with Client(
                        streamable_http_client(f"{self.base}/mcp", http_client=http)
                    ) as mcp:
                        while not self.stop.is_set() and (i := next(attempts, None)) is not None:
                            await self._create(mcp, i)
                except Exception as exc:  # the client's view of a refused request
                    self.outcomes[_described(exc)] += 1
                    await asyncio.sleep(0.2)

    async def _create(self, mcp: Client, i: int) -> None:
        title, content = f"mcp chaos {i}", f"note {i} written over MCP under faults"
        result = await mcp.call_tool("create_note", {"title": title, "content": content})
        if result.is_error:
            self.outcomes[f"tool error: {result.content[0].text[:80]}"] += 1  # type: ignore[union-attr]
            await asyncio.sleep(0.2)
        else:
            self.acknowledged[result.structured_content["id"]] = (title, content)  # type: ignore[index]
            self.outcomes["acknowledged"] += 1
        await asyncio.sleep(0.01)


def _described(exc: BaseException) -> str:
    """The innermost error of an exception group, by type and first words."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {str(exc)[:80]}"


async def assert_every_acknowledged_write_is_whole(
    url: str, acknowledged: dict[str, tuple[str, str]]
) -> None:
    """Each acknowledged note is stored as sent, with exactly its passages, each vector the
    embedding of that passage's text."""
    embedder = HashingEmbedder(384)
    conn = await asyncpg.connect(url)
    await register_vector(conn)
    try:
        notes = {
            str(r["id"]): (r["title"], r["content"])
            for r in await conn.fetch("SELECT id, title, content FROM notes")
        }
        assert set(acknowledged) <= set(notes), "an acknowledged write was lost"
        for note_id, (title, content) in acknowledged.items():
            assert notes[note_id] == (title, content)
        for note_id, (title, content) in notes.items():  # acknowledged or not: never half
            stored = await conn.fetch(
                "SELECT heading, body, embedding FROM note_passages WHERE note_id = $1::uuid"
                " ORDER BY ordinal",
                note_id,
            )
            expected = split_passages(content)
            assert [(r["heading"], r["body"]) for r in stored] == [
                (p.heading, p.body) for p in expected
            ]
            for row, passage in zip(stored, expected, strict=True):
                fresh = embedder.embed_sync(embedded_text(title, passage))
                assert np.allclose(row["embedding"].to_numpy(), fresh, atol=1e-6)
    finally:
        await conn.close()


async def _serving(tmp_path: Path, url: str) -> tuple[dict[str, str], str]:
    env = server_env(tmp_path, url)
    await add_user(env, "chaos", PASSWORD)
    return env, PASSWORD


async def _health(base: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(f"{base}/health")


async def _mcp_status(base: str, token: str) -> httpx.Response:
    """A valid token's MCP request (the 2026-07-28 stateless kind needs no session)."""
    async with httpx.AsyncClient(timeout=45) as http:
        return await http.post(
            f"{base}/mcp",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json",
            },
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        )


async def start_writing(
    base: str, password: str, at_least: int
) -> tuple[Writer, asyncio.Task[None]]:
    """A signed-in writer under way, once `at_least` of its writes were acknowledged."""
    token = (await login(base, "chaos", password))["access_token"]
    writer = Writer(base, token)
    task = asyncio.create_task(writer.run())
    await writer.until(f"{at_least} writes", lambda: len(writer.acknowledged) >= at_least)
    return writer, task


async def test_an_immediate_stop_of_the_database_under_writes(
    tmp_path: Path, chaos_url: str, external_postgres: ExternalPostgres
) -> None:
    env, password = await _serving(tmp_path, chaos_url)
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
        health = await _health(base)
        assert health.status_code == 503 and "retry-after" in health.headers
        raw = await _mcp_status(base, token)
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
        assert (await _health(base)).status_code == 200  # the same process: no restart

    writer.report("immediate stop", first_write_after_restart=recovered)
    print(f"immediate stop, over MCP: {dict(mcp.outcomes)}, HTTP {dict(mcp.http_statuses)}")
    # Refused with 503 at the door, or by the tool saying why; never 401 or 500.
    assert set(mcp.http_statuses) <= {200, 202, 503}, mcp.http_statuses
    for outcome in mcp.outcomes:
        assert (
            outcome == "acknowledged"
            or "unavailable" in outcome
            or (outcome.startswith("MCPError") and mcp.http_statuses[503])
        ), outcome
    assert set(writer.statuses) <= {201, 503}, sorted(set(writer.statuses))
    assert writer.missing_retry_after == 0 and writer.transport_errors == 0
    await assert_every_acknowledged_write_is_whole(chaos_url, writer.acknowledged)
    await assert_every_acknowledged_write_is_whole(chaos_url, mcp.acknowledged)


async def test_a_frozen_database_gets_bounded_answers_and_then_recovers(
    tmp_path: Path, chaos_url: str, external_postgres: ExternalPostgres
) -> None:
    env, password = await _serving(tmp_path, chaos_url)
    async with running_serve(env) as base:
        writer, writing = await start_writing(base, password, 10)
        token = writer.token

        external_postgres.freeze()
        try:
            started = time.monotonic()
            health = await _health(base)
            health_seconds = time.monotonic() - started
            assert health.status_code == 503
            assert health_seconds < 5  # the probe's own 2 s, not the freeze's
            await writer.until("a refused write", lambda: 503 in writer.statuses)
            mcp_started = time.monotonic()
            mcp = await _mcp_status(base, token)
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
        assert (await _health(base)).status_code == 200

    writer.report("freeze", health_answer=health_seconds, mcp_answer=mcp_seconds)
    assert set(writer.statuses) <= {201, 503}, sorted(set(writer.statuses))
    assert writer.missing_retry_after == 0 and writer.transport_errors == 0
    await assert_every_acknowledged_write_is_whole(chaos_url, writer.acknowledged)


async def test_kill_9_of_the_server_during_writes_loses_no_acknowledged_write(
    tmp_path: Path, chaos_url: str
) -> None:
    env, password = await _serving(tmp_path, chaos_url)
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


async def test_a_stdio_server_says_the_database_is_unavailable_and_recovers(
    tmp_path: Path, chaos_url: str, external_postgres: ExternalPostgres
) -> None:
    """Claude Desktop's way in: the same process answers a tool error that says what is wrong
    while the database is down, and works again once it is back, without a restart."""
    params = StdioServerParameters(
        command=VAULT_MCP, args=["stdio"], env=server_env(tmp_path, chaos_url)
    )
    acknowledged: dict[str, tuple[str, str]] = {}

    async def create(s: ClientSession, i: int) -> CallToolResult:
        title, content = f"stdio chaos {i}", f"note {i} written over stdio under faults"
        with anyio.fail_after(FAULT_SECONDS):  # an answer, never a hang
            result = await s.call_tool("create_note", {"title": title, "content": content})
        if not result.is_error:
            acknowledged[result.structured_content["id"]] = (title, content)  # type: ignore[index]
        return result

    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        assert not (await create(s, 0)).is_error

        external_postgres.stop_immediately()
        refused = await create(s, 1)
        assert refused.is_error
        [text] = refused.content
        assert "database is unavailable" in text.text, text  # type: ignore[union-attr]
        searched = await s.call_tool("search_notes", {"query": "written over stdio"})
        assert searched.is_error and "unavailable" in searched.content[0].text  # type: ignore[union-attr]

        external_postgres.start()
        restarted = time.monotonic()
        for i in range(2, MAX_WRITES):
            if not (await create(s, i)).is_error:
                break
            assert time.monotonic() - restarted < FAULT_SECONDS, "no write after the restart"
            await asyncio.sleep(0.2)
        recovered = time.monotonic() - restarted
        found = await s.call_tool("search_notes", {"query": "written over stdio"})
        assert not found.is_error and found.structured_content["results"]  # type: ignore[index]
    print(f"stdio: refused while down, first write {recovered:.1f} s after the restart")
    await assert_every_acknowledged_write_is_whole(chaos_url, acknowledged)


async def test_a_corrupt_model_folder_is_reported_and_recovers_once_repaired(
    tmp_path: Path, chaos_url: str
) -> None:
    """The embedder failing (weights cut short, as by a copy that did not finish): /health and
    every write say so with 503 + Retry-After, and once the folder is whole again the same
    process loads it on its next retry and serves search by meaning."""
    from vault_mcp.embeddings.sentence_transformer import packaged_model_path

    model = tmp_path / "model"
    shutil.copytree(packaged_model_path(), model)
    weights = model / "model.safetensors"
    whole = weights.read_bytes()
    weights.write_bytes(whole[: len(whole) // 3])
    env, password = await _serving(tmp_path, chaos_url)
    env.update(
        VAULT_EMBEDDER="onnx",
        VAULT_EMBEDDING_MODEL=str(model),
        VAULT_MODEL_CACHE=str(tmp_path / "cache"),  # no export of the whole model to reuse
    )
    async with (
        running_serve(env, ready="/health/live") as base,
        httpx.AsyncClient(timeout=45) as http,
    ):
        deadline = time.monotonic() + FAULT_SECONDS
        while (health := await http.get(f"{base}/health")).json()["embedder"] != "failed":
            assert time.monotonic() < deadline, health.json()
            await asyncio.sleep(0.2)
        assert health.status_code == 503 and "retry-after" in health.headers
        assert str(model) not in health.text  # the log names the folder, clients do not
        token = (await login(base, "chaos", password))["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        note = {"title": "Tangerine", "content": "A citrus-coloured submarine rehearses."}
        refused = await http.post(f"{base}/api/v1/notes", headers=headers, json=note)
        assert refused.status_code == 503 and "retry-after" in refused.headers, refused.text

        weights.write_bytes(whole)  # repaired; the next retry (5 s, then doubling) loads it
        repaired = time.monotonic()
        while (await http.get(f"{base}/health")).status_code != 200:
            assert time.monotonic() - repaired < 3 * FAULT_SECONDS, "never loaded"
            await asyncio.sleep(0.5)
        recovered = time.monotonic() - repaired
        created = await http.post(f"{base}/api/v1/notes", headers=headers, json=note)
        assert created.status_code == 201, created.text
        found = await http.get(
            f"{base}/api/v1/notes", headers=headers, params={"q": "orange underwater boat"}
        )
        assert found.json()["results"][0]["id"] == created.json()["id"]
    print(f"corrupt model folder: 503 while failed, healthy {recovered:.1f} s after repair")
