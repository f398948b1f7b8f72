"""`vault-mcp smoke --url URL`: the post-deployment check, step by step, against any deployment."""

from __future__ import annotations

import getpass
import os
import ssl
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

# A note no real vault holds, and a query that shares none of its words: only a search by
# meaning finds it.
NOTE_TITLE = "vault-mcp smoke check"
NOTE_TEXT = (
    "A tangerine submarine hosts an orchestra rehearsal at the bottom of the ocean. {marker}"
)
QUERY = "citrus-coloured underwater boat where musicians practise"
FOUND_WITHIN = 5


@dataclass
class SmokeRun:
    url: str
    http: httpx2.AsyncClient
    out: Callable[[str], None] = print
    token: str | None = None
    note_id: str | None = None
    failures: list[str] = field(default_factory=list)

    async def step(self, name: str, check: Callable[[], Awaitable[str]]) -> bool:
        started = time.perf_counter()
        try:
            detail = await check()
        except Exception as exc:  # a failed step is reported, never a traceback
            self.failures.append(name)
            self.out(f"FAIL  {name}: {_describe(exc)}")
            return False
        self.out(f"PASS  {name} ({(time.perf_counter() - started) * 1000:.0f} ms){detail}")
        return True

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx2.HTTPStatusError):
        try:
            message = exc.response.json()["error"]["message"]
        except Exception:
            message = exc.response.text[:200]
        return f"HTTP {exc.response.status_code} from {exc.request.url}: {message}"
    return str(exc) or type(exc).__name__


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


async def _health(run: SmokeRun) -> str:
    response = await run.http.get(f"{run.url}/health")
    body = response.json()
    _expect(response.status_code == 200, f"/health answered {response.status_code}: {body}")
    return f": database {body['database']}, embedder {body['embedder']}"


async def _login(run: SmokeRun, username: str, password: str) -> str:
    response = await run.http.post(
        f"{run.url}/api/v1/auth/login", json={"username": username, "password": password}
    )
    response.raise_for_status()
    run.token = response.json()["access_token"]
    return f": signed in as {username}"


async def _create(run: SmokeRun, marker: str) -> str:
    response = await run.http.post(
        f"{run.url}/api/v1/notes",
        json={"title": NOTE_TITLE, "content": NOTE_TEXT.format(marker=marker), "tags": ["smoke"]},
        headers=run.auth,
    )
    response.raise_for_status()
    run.note_id = response.json()["id"]
    return f": note {run.note_id}"


async def _search(run: SmokeRun) -> str:
    response = await run.http.get(
        f"{run.url}/api/v1/notes", params={"q": QUERY, "limit": FOUND_WITHIN}, headers=run.auth
    )
    response.raise_for_status()
    ids = [r["id"] for r in response.json()["results"]]
    _expect(run.note_id in ids, f"the note is not among the {FOUND_WITHIN} closest to {QUERY!r}")
    return f": rank {ids.index(run.note_id) + 1} for a paraphrase"


async def _mcp(run: SmokeRun) -> str:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        streamable_http_client(f"{run.url}/mcp", http_client=run.http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = {t.name for t in (await session.list_tools()).tools}
        _expect({"search_notes", "read_note"} <= tools, f"missing tools; got {sorted(tools)}")
        result = await session.call_tool("search_notes", {"query": QUERY, "limit": FOUND_WITHIN})
        _expect(not result.is_error, f"search_notes failed: {result.content}")
        ids = [r["id"] for r in (result.structured_content or {}).get("results", [])]
        _expect(run.note_id in ids, "search_notes over MCP did not find the note")
        fetched = await session.call_tool("read_note", {"id": run.note_id})
        _expect(not fetched.is_error, f"read_note failed: {fetched.content}")
    return f": {len(tools)} tools, search_notes and read_note found the note"


async def _delete(run: SmokeRun) -> str:
    response = await run.http.delete(f"{run.url}/api/v1/notes/{run.note_id}", headers=run.auth)
    response.raise_for_status()
    gone = await run.http.get(f"{run.url}/api/v1/notes/{run.note_id}", headers=run.auth)
    _expect(gone.status_code == 404, f"the note is still there ({gone.status_code})")
    # Deleting moves a note to the trash; a smoke run leaves nothing behind there either.
    purged = await run.http.delete(f"{run.url}/api/v1/trash/{run.note_id}", headers=run.auth)
    _expect(purged.status_code == 204, f"could not empty it from the trash ({purged.status_code})")
    run.note_id = None
    return ", and from the trash"


def _verify(insecure: bool, ca_file: str | None) -> ssl.SSLContext | bool:
    if insecure:
        return False
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return True


def credentials(prompt: Callable[[str], str] = input) -> tuple[str, str]:
    username = os.environ.get("VAULT_SMOKE_USERNAME") or prompt("User name: ")
    password = os.environ.get("VAULT_SMOKE_PASSWORD") or getpass.getpass("Password: ")
    return username, password


async def smoke(
    url: str,
    username: str,
    password: str,
    *,
    insecure: bool = False,
    ca_file: str | None = None,
    out: Callable[[str], None] = print,
) -> bool:
    """Run every step; True only if all passed. The test note is deleted whatever happens."""
    url = url.rstrip("/")
    async with httpx2.AsyncClient(verify=_verify(insecure, ca_file), timeout=60) as http:
        run = SmokeRun(url, http, out)
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("health", lambda: _health(run)),
            ("login", lambda: _login(run, username, password)),
            ("create a note", lambda: _create(run, uuid.uuid4().hex)),
            ("find it by meaning (REST)", lambda: _search(run)),
        ]
        for name, check in steps:
            if not await run.step(name, check):
                break
        else:
            http.headers.update(run.auth)
            await run.step("the same through MCP at /mcp", lambda: _mcp(run))
        if run.note_id is not None:
            await run.step("delete it", lambda: _delete(run))
        ok = not run.failures
        out(f"{'smoke test passed' if ok else 'smoke test FAILED'}: {url}")
        return ok


def main(url: str, insecure: bool, ca_file: str | None) -> int:
    import asyncio

    username, password = credentials()
    ok = asyncio.run(smoke(url, username, password, insecure=insecure, ca_file=ca_file))
    sys.stdout.flush()
    return 0 if ok else 1
