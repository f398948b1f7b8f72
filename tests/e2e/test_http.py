"""`vault-mcp serve` spawned for real: streamable HTTP at /mcp with the SDK clients, and /health."""

from __future__ import annotations

import json

import httpx
import httpx2
import pytest
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.conftest import run_cli, running_serve

pytestmark = pytest.mark.slow


async def test_every_tool_over_streamable_http_and_health(hashing_env: dict[str, str]) -> None:
    async with running_serve(hashing_env) as base, httpx.AsyncClient() as plain:
        health = await plain.get(f"{base}/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "embedder": "ready"}
        assert (await plain.get(f"{base}/health/live")).json() == {"status": "ok"}

        async with (
            httpx2.AsyncClient() as http,
            streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            assert {t.name for t in (await s.list_tools()).tools} >= {"search", "fetch"}
            created = await s.call_tool("create_note", {"title": "Fox", "content": "brown fox"})
            nid = created.structured_content["id"]
            assert created.structured_content["url"] == f"{base}/notes/{nid}"
            assert (await s.call_tool("read_note", {"id": nid})).structured_content["id"] == nid
            await s.call_tool("update_note", {"id": nid, "title": "Fox 2"})
            listed = await s.call_tool("list_notes", {"limit": 5})
            assert listed.structured_content["notes"][0]["title"] == "Fox 2"
            found = await s.call_tool("search_notes", {"query": "brown fox"})
            assert found.structured_content["results"][0]["id"] == nid
            [item] = (await s.call_tool("search", {"query": "brown fox"})).content
            assert json.loads(item.text)["results"][0]["id"] == nid
            [item] = (await s.call_tool("fetch", {"id": nid})).content
            assert json.loads(item.text)["title"] == "Fox 2"
            bad = await s.call_tool("search_notes", {"query": "x", "limit": 0})
            assert bad.is_error and "limit" in bad.content[0].text
            assert (await s.call_tool("delete_note", {"id": nid})).structured_content["deleted"]

        async with Client(f"{base}/mcp") as modern:  # the stateless 2026-07-28 revision
            result = await modern.call_tool("create_note", {"title": "m", "content": "modern"})
            assert not result.is_error


async def test_dns_rebinding_is_refused(hashing_env: dict[str, str]) -> None:
    async with running_serve(hashing_env) as base, httpx.AsyncClient() as plain:
        response = await plain.post(
            f"{base}/mcp",
            headers={"Host": "evil.example", "Accept": "application/json, text/event-stream"},
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        )
        assert response.status_code == 421


async def test_serve_refuses_a_non_loopback_host_until_accounts_exist(
    hashing_env: dict[str, str],
) -> None:
    result = await run_cli(["serve", "--host", "0.0.0.0"], hashing_env)
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr
