"""`vault-mcp serve` spawned for real: bearer-protected MCP at /mcp with the SDK clients, /health,
and two users who never see each other's notes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import jwt
import pytest
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import initialize_request
from tests.e2e.conftest import add_user, bearer, login, run_cli, running_serve

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


@asynccontextmanager
async def mcp_session(base: str, token: str) -> AsyncIterator[ClientSession]:
    async with (
        bearer(token) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def test_every_tool_over_streamable_http_with_a_login_token(
    hashing_env: dict[str, str],
) -> None:
    await add_user(hashing_env, "alice", PASSWORD)
    async with running_serve(hashing_env) as base, httpx.AsyncClient() as plain:
        health = await plain.get(f"{base}/health")
        assert health.json() == {"status": "ok", "database": "ok", "embedder": "ready"}
        assert (await plain.get(f"{base}/health/live")).json() == {"status": "ok"}
        token = (await login(base, "alice", PASSWORD))["access_token"]

        async with mcp_session(base, token) as s:
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

        # The stateless 2026-07-28 revision, with the same token.
        async with bearer(token) as http:
            from mcp.client.streamable_http import streamable_http_client as transport

            async with Client(transport(f"{base}/mcp", http_client=http)) as modern:
                result = await modern.call_tool("create_note", {"title": "m", "content": "modern"})
                assert not result.is_error


def _jwt(secret: str, **claims: object) -> str:
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def _unsigned(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_mcp_refuses_every_kind_of_bad_token_with_401_and_where_to_get_one(
    hashing_env: dict[str, str],
) -> None:
    secret = "e2e-secret-" + "z" * 40
    env = {**hashing_env, "JWT_SECRET": secret}
    await add_user(env, "alice", PASSWORD)
    await add_user(env, "gone", PASSWORD)
    async with running_serve(env) as base, httpx.AsyncClient() as plain:
        good = await login(base, "alice", PASSWORD)
        claims = jwt.decode(
            good["access_token"], secret, algorithms=["HS256"], audience=f"{base}/mcp"
        )
        now = int(time.time())
        gone = (await login(base, "gone", PASSWORD))["access_token"]
        assert (await run_cli(["user", "delete", "gone", "--yes"], env)).returncode == 0
        bad_tokens = {
            "none": None,
            "garbage": "garbage",
            "not bearer": "Basic eDp5",
            "bad signature": _jwt("another-secret-" + "q" * 40, **claims),
            "expired": _jwt(secret, **{**claims, "iat": now - 7200, "exp": now - 3600}),
            "wrong audience": _jwt(secret, **{**claims, "aud": "https://other.example/mcp"}),
            "alg none": _unsigned(claims),
            "deleted user": gone,
        }
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        accept = {"Accept": "application/json, text/event-stream"}
        for case, token in bad_tokens.items():
            headers = dict(accept)
            if token is not None:
                headers["Authorization"] = token if " " in token else f"Bearer {token}"
            response = await plain.post(f"{base}/mcp", json=ping, headers=headers)
            assert response.status_code == 401, case
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith("Bearer ")
            assert (
                f'resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"' in challenge
            )
        metadata = (await plain.get(f"{base}/.well-known/oauth-protected-resource/mcp")).json()
        assert metadata["resource"] == f"{base}/mcp"
        ok = await plain.post(
            f"{base}/mcp",
            json=initialize_request("raw"),
            headers={**accept, "Authorization": f"Bearer {good['access_token']}"},
        )
        assert ok.status_code == 200  # the same request with the real token gets through


async def test_each_user_sees_only_their_own_notes_through_every_tool(
    hashing_env: dict[str, str],
) -> None:
    await add_user(hashing_env, "alice", PASSWORD)
    await add_user(hashing_env, "bob", PASSWORD)
    async with running_serve(hashing_env) as base:
        alice = (await login(base, "alice", PASSWORD))["access_token"]
        bob = (await login(base, "bob", PASSWORD))["access_token"]
        async with mcp_session(base, alice) as a:
            secret = await a.call_tool("create_note", {"title": "Diary", "content": "alice secret"})
            sid = secret.structured_content["id"]
        async with mcp_session(base, bob) as b:
            for tool, args in (
                ("read_note", {"id": sid}),
                ("fetch", {"id": sid}),
                ("update_note", {"id": sid, "content": "bob was here"}),
                ("delete_note", {"id": sid}),
            ):
                result = await b.call_tool(tool, args)
                assert result.is_error and f"note {sid} not found" in result.content[0].text, tool
            assert (await b.call_tool("list_notes", {})).structured_content["notes"] == []
            found = await b.call_tool("search_notes", {"query": "alice secret"})
            assert found.structured_content["results"] == []
            [item] = (await b.call_tool("search", {"query": "alice secret"})).content
            assert json.loads(item.text) == {"results": []}
        async with mcp_session(base, alice) as a:
            still = await a.call_tool("read_note", {"id": sid})
            assert still.structured_content["content"] == "alice secret"


async def test_dns_rebinding_is_refused(hashing_env: dict[str, str]) -> None:
    await add_user(hashing_env, "alice", PASSWORD)
    async with running_serve(hashing_env) as base, httpx.AsyncClient() as plain:
        token = (await login(base, "alice", PASSWORD))["access_token"]
        response = await plain.post(
            f"{base}/mcp",
            headers={
                "Host": "evil.example",
                "Accept": "application/json, text/event-stream",
                "Authorization": f"Bearer {token}",
            },
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        )
        assert response.status_code == 421


async def test_serve_refuses_a_public_address_without_a_jwt_secret(
    hashing_env: dict[str, str],
) -> None:
    result = await run_cli(["serve", "--host", "0.0.0.0"], hashing_env)
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 without JWT_SECRET" in result.stderr
