"""The shipped nginx.conf, run by real nginx in front of a real vault-mcp with the real model."""

from __future__ import annotations

import asyncio
import re
import ssl
import subprocess

import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.deploy.conftest import PASSWORD, USERNAME, Stack
from tests.e2e.conftest import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.model]

SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _trust(stack: Stack) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(stack.ca_file))


def _client(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=_trust(stack), timeout=60)


async def test_https_health_over_http2(stack: Stack) -> None:
    done = await asyncio.to_thread(
        subprocess.run,
        [
            "curl",
            "-s",
            "--http2",
            "--cacert",
            str(stack.ca_file),
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{http_code}",
            f"{stack.https}/health",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout == "2 200", done.stderr
    async with _client(stack) as http:
        body = (await http.get(f"{stack.https}/health")).json()
    # "loading" while the model loads (calls wait for it): healthy either way.
    assert body["status"] in ("ok", "loading") and body["database"] == "ok"


async def test_plain_http_redirects_to_https(stack: Stack) -> None:
    async with httpx.AsyncClient(follow_redirects=False) as http:
        response = await http.get(f"{stack.http}/notes?q=x")
    assert response.status_code == 301
    assert response.headers["location"] == f"{stack.https}/notes?q=x"


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/health", "/no-such-page"])
async def test_security_headers_come_once_each(stack: Stack, path: str) -> None:
    async with _client(stack) as http:
        response = await http.get(f"{stack.https}{path}")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], name
    [csp] = response.headers.get_list("content-security-policy")
    assert "default-src 'none'" in csp and "form-action 'self'" in csp


async def test_the_web_view_works_under_the_proxy(stack: Stack) -> None:
    async with _client(stack) as http:
        page = await http.get(f"{stack.https}/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    assert "Secure" in page.headers["set-cookie"]  # the app sees https via X-Forwarded-Proto


async def test_login_and_an_mcp_session_through_nginx(stack: Stack) -> None:
    async with _client(stack) as http:
        response = await http.post(
            f"{stack.https}/api/v1/auth/login", json={"username": USERNAME, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    async with (
        httpx2.AsyncClient(
            verify=_trust(stack), headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as authed,
        streamable_http_client(f"{stack.https}/mcp", http_client=authed) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        created = await session.call_tool(
            "create_note", {"title": "Proxy", "content": "The dentist moved my appointment."}
        )
        note = created.structured_content
        assert note["url"] == f"{stack.https}/notes/{note['id']}"
        found = await session.call_tool("search_notes", {"query": "tooth doctor visit"})
        assert found.structured_content["results"][0]["id"] == note["id"]
        assert (await session.call_tool("delete_note", {"id": note["id"]})).structured_content


async def test_oauth_through_nginx_names_the_public_url_and_keeps_the_consent_csp(
    stack: Stack,
) -> None:
    """Discovery is built from the public https URL, and nginx passes the consent page's own
    CSP (its form must be allowed to redirect to the client's callback)."""
    callback = "https://client.example/callback"
    async with _client(stack) as http:
        meta = (await http.get(f"{stack.https}/.well-known/oauth-authorization-server")).json()
        assert meta["issuer"] == stack.https
        assert meta["token_endpoint"] == f"{stack.https}/oauth/token"
        client = await http.post(
            f"{stack.https}/oauth/register",
            json={"redirect_uris": [callback], "token_endpoint_auth_method": "none"},
        )
        assert client.status_code == 201, client.text
        login = await http.get(f"{stack.https}/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf is not None
        signed_in = await http.post(
            f"{stack.https}/login",
            data={"username": USERNAME, "password": PASSWORD, "csrf_token": csrf.group(1)},
        )
        assert signed_in.status_code == 303
        consent = await http.get(
            f"{stack.https}/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": client.json()["client_id"],
                "redirect_uri": callback,
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
    assert consent.status_code == 200, consent.text
    [csp] = consent.headers.get_list("content-security-policy")
    assert "form-action 'self' https://client.example;" in csp


async def test_vault_mcp_smoke_passes_through_nginx(stack: Stack) -> None:
    env = {**stack.env, "VAULT_SMOKE_USERNAME": USERNAME, "VAULT_SMOKE_PASSWORD": PASSWORD}
    result = await run_cli(["smoke", "--url", stack.https, "--ca-file", str(stack.ca_file)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ")[0] for line in lines[:-1]] == ["PASS"] * 6
    assert lines[-1] == f"smoke test passed: {stack.https}"


async def test_smoke_fails_clearly_and_exits_non_zero(stack: Stack) -> None:
    env = {**stack.env, "VAULT_SMOKE_USERNAME": USERNAME, "VAULT_SMOKE_PASSWORD": "wrong password"}
    result = await run_cli(["smoke", "--url", stack.https, "--insecure"], env)
    assert result.returncode == 1
    assert "PASS  health" in result.stdout
    assert "FAIL  login: HTTP 401" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("smoke test FAILED")
    untrusted = await run_cli(["smoke", "--url", stack.https], env)  # self-signed, not trusted
    assert untrusted.returncode == 1 and "FAIL  health" in untrusted.stdout


async def test_a_burst_on_the_api_gets_429s(stack: Stack) -> None:
    """Last in the module: it spends the api zone (10 r/s, burst 20) for this address."""
    sent = 60
    async with _client(stack) as http:
        responses = await asyncio.gather(
            *(http.get(f"{stack.https}/api/v1/openapi.json") for _ in range(sent))
        )
    codes = [r.status_code for r in responses]
    ok, refused = codes.count(200), codes.count(429)
    print(f"burst on /api/: {sent} sent, {ok} answered 200, {refused} refused with 429")
    assert ok + refused == sent
    assert 20 <= ok < sent and refused > 0
    limited = next(r for r in responses if r.status_code == 429)
    assert limited.headers.get_list("strict-transport-security")  # headers on nginx's own answers


async def test_a_spoofed_x_forwarded_for_does_not_choose_the_throttled_address(
    stack: Stack,
) -> None:
    """Through nginx, a client's own X-Forwarded-For never becomes its address."""
    import asyncpg

    async with _client(stack) as http:
        refused = await http.post(
            f"{stack.https}/api/v1/auth/login",
            json={"username": "nobody-xff", "password": "not the password"},
            headers={"X-Forwarded-For": "203.0.113.77"},
        )
    assert refused.status_code == 401
    conn = await asyncpg.connect(stack.env["DATABASE_URL"])
    try:
        address = await conn.fetchval(
            "SELECT address FROM login_attempts WHERE account = 'nobody-xff'"
        )
    finally:
        await conn.close()
    assert address == "127.0.0.1"
