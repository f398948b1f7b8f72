"""The chaos tier's clients (a REST writer, an MCP writer) and what every fault test checks
afterwards: each acknowledged write stored whole."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import httpx2
import numpy as np
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pgvector.asyncpg import register_vector

from tests.e2e.conftest import add_user, login, server_env
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.passages import embedded_text, split_passages

PASSWORD = "chaos passphrase 1"
MAX_WRITES = 2_000  # per writer: a bound, never reached unless something hangs
FAULT_SECONDS = 60  # the longest any phase may take


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
    last_status: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        attempts = iter(range(MAX_WRITES))

        async def record(response: httpx2.Response) -> None:
            self.http_statuses[response.status_code] += 1
            self.last_status = response.status_code

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
                    self.outcomes[f"HTTP {self.last_status}, {_described(exc)}"] += 1
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


async def serving(tmp_path: Path, url: str) -> tuple[dict[str, str], str]:
    env = server_env(tmp_path, url)
    await add_user(env, "chaos", PASSWORD)
    return env, PASSWORD


async def get_health(base: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(f"{base}/health")


async def mcp_status(base: str, token: str) -> httpx.Response:
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
