"""The MCP Python SDK's own OAuth client against `vault-mcp serve`: discovery, registration
(dynamic, or a client ID metadata document), the person signing in and approving through our
real forms over HTTP, the token exchange, and then every tool with the resulting token."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from tests.e2e.conftest import add_user, running_serve
from tests.https_server import https_server, self_signed_certificate

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
CALLBACK = "http://127.0.0.1:33418/callback"  # never listened on: the browser stops there
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Person:
    """A browser with a person at it: signs in with our login form and approves."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.callback: str | None = None
        self.consent_page = ""

    async def visit(self, authorization_url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as browser:
            response = await browser.get(authorization_url)
            while response.status_code in (302, 303):
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(CALLBACK):
                    self.callback = location
                    return
                response = await browser.get(location)
            page = response.text
            if 'action="/login' in page:
                action = re.search(r'action="([^"]+)"', page)
                assert action is not None
                response = await browser.post(
                    urljoin(str(response.url), action.group(1).replace("&amp;", "&")),
                    data={
                        "username": self.username,
                        "password": PASSWORD,
                        "csrf_token": _CSRF.findall(page)[0],
                    },
                )
                assert response.status_code == 303, response.text
                response = await browser.get(
                    urljoin(str(response.url), response.headers["location"])
                )
                page = response.text
            assert response.status_code == 200, page
            self.consent_page = page
            fields = dict(_HIDDEN.findall(page))
            decision = await browser.post(
                urljoin(str(response.url), "/oauth/authorize"),
                data={**fields, "decision": "approve"},
            )
            assert decision.status_code == 303, decision.text
            self.callback = decision.headers["location"]

    async def code(self) -> AuthorizationCodeResult:
        assert self.callback is not None and self.callback.startswith(CALLBACK), self.callback
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.callback).query).items()}
        return AuthorizationCodeResult(
            code=query["code"], state=query.get("state"), iss=query.get("iss")
        )


@asynccontextmanager
async def oauth_session(
    base: str, person: Person, client_metadata_url: str | None = None
) -> AsyncIterator[tuple[ClientSession, MemoryStorage]]:
    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="SDK test client",
            redirect_uris=[CALLBACK],  # type: ignore[list-item]
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=person.visit,
        callback_handler=person.code,
        client_metadata_url=client_metadata_url,
    )
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session, storage


async def _every_tool(session: ClientSession) -> None:
    created = await session.call_tool("create_note", {"title": "OAuth", "content": "via PKCE"})
    assert not created.is_error, created.content
    nid = created.structured_content["id"]
    assert (await session.call_tool("read_note", {"id": nid})).structured_content["id"] == nid
    assert not (await session.call_tool("update_note", {"id": nid, "title": "OAuth 2"})).is_error
    listed = await session.call_tool("list_notes", {})
    assert listed.structured_content["notes"][0]["title"] == "OAuth 2"
    found = await session.call_tool("search_notes", {"query": "via PKCE"})
    assert found.structured_content["results"][0]["id"] == nid
    [item] = (await session.call_tool("search", {"query": "via PKCE"})).content
    assert json.loads(item.text)["results"][0]["id"] == nid
    [item] = (await session.call_tool("fetch", {"id": nid})).content
    assert json.loads(item.text)["title"] == "OAuth 2"
    assert (await session.call_tool("delete_note", {"id": nid})).structured_content["deleted"]


async def test_the_sdk_oauth_client_registers_signs_in_and_calls_every_tool(
    hashing_env: dict[str, str],
) -> None:
    await add_user(hashing_env, "alice", PASSWORD)
    person = Person("alice")
    async with running_serve(hashing_env) as base, oauth_session(base, person) as (session, store):
        assert "SDK test client" in person.consent_page
        assert store.client is not None and store.client.client_id
        assert store.tokens is not None and store.tokens.refresh_token
        assert set((store.tokens.scope or "").split()) == {"notes:read", "notes:write"}
        await _every_tool(session)


async def test_the_sdk_oauth_client_with_a_client_id_metadata_document(
    hashing_env: dict[str, str], tmp_path: Path
) -> None:
    cert = self_signed_certificate(tmp_path)
    routes = {}
    with https_server(tmp_path, routes) as documents:
        client_id = f"{documents}/sdk-client.json"
        document = {
            "client_id": client_id,
            "client_name": "SDK metadata client",
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": "none",
        }
        routes["/sdk-client.json"] = lambda: (200, {}, json.dumps(document).encode())
        env = {
            **hashing_env,
            "VAULT_OAUTH_CIMD_ALLOW_PRIVATE": "true",  # the document is on loopback here
            "SSL_CERT_FILE": str(cert),
        }
        await add_user(env, "alice", PASSWORD)
        person = Person("alice")
        async with (
            running_serve(env) as base,
            oauth_session(base, person, client_metadata_url=client_id) as (session, store),
        ):
            assert "SDK metadata client" in person.consent_page
            assert store.client is not None and store.client.client_id == client_id
            await _every_tool(session)
