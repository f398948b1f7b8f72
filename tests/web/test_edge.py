"""The HTTP edge against the attacks of issue 11: form floods, open redirects, CSRF cookie
planting, MCP session floods, and a database outage taken for a bad token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from starlette.testclient import TestClient

from tests.conftest import PgCluster, initialize_request
from tests.web.conftest import PASSWORD, auth, login, run
from tests.web.oauth_helpers import Authorization, register, sign_in
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def _csrf(http: TestClient, path: str = "/login") -> str:
    found = _CSRF.search(http.get(path).text)
    assert found is not None
    return found.group(1)


# -- finding 3: forms are capped before anything parses them --------------------------------


def test_a_huge_sign_in_form_is_refused_with_413_before_it_is_parsed(http: TestClient) -> None:
    token = _csrf(http)
    big = {"csrf_token": token, "username": "alice", "password": "x", "pad": "y" * 2_000_000}
    response = http.post("/login", data=big)
    assert response.status_code == 413, response.status_code


def test_a_form_of_many_small_fields_is_refused_with_413(http: TestClient) -> None:
    fields = "&".join(f"f{i}=v" for i in range(500))
    response = http.post(
        "/logout",
        content=f"csrf_token={_csrf(http)}&{fields}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_a_file_upload_to_a_form_is_refused_without_spooling_it(http: TestClient) -> None:
    response = http.post(
        "/login",
        data={"csrf_token": _csrf(http), "username": "alice"},
        files={"upload": ("big.bin", b"z" * 100_000, "application/octet-stream")},
    )
    assert response.status_code == 400 and "url-encoded" in response.text


def test_a_note_form_still_takes_content_up_to_the_content_limit(http: TestClient) -> None:
    sign_in(http)
    content = "ü" * 300_000  # 600 KB of UTF-8, 1.8 MB percent-encoded: within the 1 MB limit
    response = http.post(
        "/notes", data={"csrf_token": _csrf(http, "/notes"), "title": "big", "content": content}
    )
    assert response.status_code == 303, response.text[:300]


# -- finding 6: no open redirector -----------------------------------------------------------


def test_authorize_errors_for_an_unvetted_callback_are_a_page_not_a_redirect(
    http: TestClient,
) -> None:
    """Anyone can register https://attacker.example/cb when the operator set no allow-list:
    a bad request for that client must not bounce the browser there."""
    evil = "https://attacker.example/cb"
    client = register(http, redirect_uris=[evil])
    params = Authorization.start(client["client_id"], redirect_uri=evil).params
    for broken in ({"response_type": "token"}, {"code_challenge": None}, {"scope": "admin"}):
        query = {k: v for k, v in {**params, **broken}.items() if v is not None}
        response = http.get("/oauth/authorize", params=query)
        assert response.status_code == 400, response.headers.get("location")
        assert "location" not in response.headers


def test_authorize_errors_still_reach_an_allow_listed_callback(
    app_settings: Settings, accounts: dict[str, int]
) -> None:
    vetted = "https://app.example/cb"
    settings = app_settings.model_copy(update={"oauth_redirect_allowlist": vetted})
    with TestClient(
        create_app(settings, HashingEmbedder()), base_url="http://127.0.0.1:8000"
    ) as http:
        client = register(http, redirect_uris=[vetted])
        params = Authorization.start(client["client_id"], redirect_uri=vetted).params
        response = http.get(
            "/oauth/authorize", params={**params, "response_type": "token"}, follow_redirects=False
        )
        assert response.status_code == 302
        assert response.headers["location"].startswith(vetted + "?error=unsupported_response_type")


# -- finding 12: CSRF bound to the session, __Host- cookies ---------------------------------


def _plant(http: TestClient, name: str, value: str) -> None:
    """Replace the browser's cookie (a jar may hold one per domain: keep exactly one)."""
    http.cookies.delete(name)
    http.cookies.set(name, value)
    assert [c.value for c in http.cookies.jar if c.name == name] == [value]


def test_a_planted_csrf_cookie_with_a_matching_field_is_refused(http: TestClient) -> None:
    """Double-submit alone trusts any cookie: a neighbour site that can set one could post."""
    sign_in(http)
    _plant(http, "vault_csrf", "planted-by-a-neighbour")
    response = http.post(
        "/notes", data={"csrf_token": "planted-by-a-neighbour", "title": "x", "content": "y"}
    )
    assert response.status_code == 403


def test_a_csrf_token_from_another_session_is_refused(http: TestClient) -> None:
    """Mallory's own cookie and token, planted in Alice's browser, do not fit her session."""
    sign_in(http, "bob")
    stolen_cookie, stolen_token = http.cookies["vault_csrf"], _csrf(http, "/notes")
    http.cookies.clear()
    sign_in(http, "alice")
    _plant(http, "vault_csrf", stolen_cookie)
    response = http.post("/notes", data={"csrf_token": stolen_token, "title": "x"})
    assert response.status_code == 403


def test_over_https_the_cookies_are_host_prefixed_and_secure(
    app_settings: Settings, accounts: dict[str, int]
) -> None:
    with TestClient(
        create_app(app_settings, HashingEmbedder()),
        base_url="https://127.0.0.1:8000",
        follow_redirects=False,
    ) as http:
        page = http.get("/login")
        assert page.headers["set-cookie"].startswith("__Host-vault_csrf=")
        token = _CSRF.search(page.text)
        assert token is not None
        signed = http.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert signed.status_code == 303, signed.text
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith("__Host-vault_session=")
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert http.get("/notes").status_code == 200


# -- finding 5: one account cannot fill the server's MCP sessions ----------------------------


@pytest.fixture
def few_sessions(monkeypatch: pytest.MonkeyPatch, http: TestClient) -> Iterator[TestClient]:
    monkeypatch.setattr("vault_mcp.web.MAX_SESSIONS_PER_ACCOUNT", 3, raising=False)
    app = create_app(http.app.state.settings, HashingEmbedder())  # type: ignore[attr-defined]
    with TestClient(app, base_url="http://127.0.0.1:8000") as capped:
        yield capped


def _open_session(http: TestClient, token: str) -> Any:
    return http.post(
        "/mcp", headers={**auth(token), **MCP_HEADERS}, json=initialize_request("flood")
    )


def test_one_account_cannot_open_more_than_its_share_of_mcp_sessions(
    few_sessions: TestClient,
) -> None:
    alice = login(few_sessions, "alice")["access_token"]
    for _ in range(3):
        assert _open_session(few_sessions, alice).status_code == 200
    refused = _open_session(few_sessions, alice)
    assert refused.status_code == 429 and "3 open MCP sessions" in refused.text
    # Everyone else is unaffected.
    bob = login(few_sessions, "bob")["access_token"]
    assert _open_session(few_sessions, bob).status_code == 200


def test_closing_a_session_makes_room_for_another(few_sessions: TestClient) -> None:
    alice = login(few_sessions, "alice")["access_token"]
    ids = [_open_session(few_sessions, alice).headers["mcp-session-id"] for _ in range(3)]
    closed = few_sessions.delete(
        "/mcp", headers={**auth(alice), **MCP_HEADERS, "mcp-session-id": ids[0]}
    )
    assert closed.status_code == 200, closed.text
    assert _open_session(few_sessions, alice).status_code == 200


# -- also: a database outage is 503, never 401 -----------------------------------------------


def _set_connections(pg_cluster: PgCluster, database_url: str, allowed: bool) -> None:
    name = urlsplit(database_url).path.lstrip("/")

    async def go() -> None:
        admin = await asyncpg.connect(pg_cluster.url())
        try:
            await admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(allowed).lower()}")
            if not allowed:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    name,
                )
        finally:
            await admin.close()

    run(go())


def test_a_database_outage_makes_mcp_and_rest_answer_503_not_401(
    http: TestClient, database_url: str, pg_cluster: PgCluster
) -> None:
    token = login(http, "alice")["access_token"]
    _set_connections(pg_cluster, database_url, allowed=False)
    try:
        mcp = _open_session(http, token)
        assert mcp.status_code == 503, (mcp.status_code, mcp.text)
        assert "invalid_token" not in mcp.headers.get("www-authenticate", "")
        rest = http.get("/api/v1/notes", headers=auth(token))
        assert rest.status_code == 503
        assert rest.json()["error"]["code"] == "unavailable"
    finally:
        _set_connections(pg_cluster, database_url, allowed=True)
    assert _open_session(http, token).status_code == 200  # and it recovers by itself


def test_a_session_cookie_never_authenticates_the_api_or_mcp(http: TestClient) -> None:
    """A browser sends its cookie along with any forged cross-site request: only the pages,
    whose forms carry CSRF tokens, accept it."""
    sign_in(http)
    assert http.get("/notes").status_code == 200
    assert http.get("/api/v1/notes").status_code == 401
    mcp = http.post("/mcp", headers=MCP_HEADERS, json=initialize_request("cookie"))
    assert mcp.status_code == 401
