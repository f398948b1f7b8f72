"""CORS for browser MCP clients: preflights on /mcp, the client's OAuth endpoints and the
metadata are answered before authentication; only configured origins (or any, with `*`) get
access, never with credentials; the cookie-authenticated web view and auth routes get none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from tests.conftest import initialize_request, make_settings
from tests.web.conftest import BASE, SECRET, auth, login
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app

APP = "https://app.example"
EVIL = "https://evil.example"
ACCEPT = {"Accept": "application/json, text/event-stream"}
CLIENT_PATHS = ["/mcp", "/oauth/register", "/oauth/token", "/oauth/revoke"]
METADATA_PATHS = [
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-authorization-server",
]
COOKIE_PATHS = [
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/login",
    "/notes",
    "/oauth/authorize",
]


def _client(database_url: str, tmp_path: Any, origins: str) -> Iterator[TestClient]:
    settings = make_settings(
        database_url, jwt_secret=SECRET, data_dir=tmp_path / "data", cors_origins=origins
    )
    with TestClient(create_app(settings, HashingEmbedder()), base_url=BASE) as client:
        yield client


@pytest.fixture
def cors_http(database_url: str, tmp_path: Any, accounts: dict[str, int]) -> Iterator[TestClient]:
    yield from _client(database_url, tmp_path, f"{APP}, http://localhost:6274")


def _preflight(http: TestClient, path: str, origin: str, method: str = "POST") -> Any:
    return http.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_a_preflight_from_a_configured_origin_is_answered_without_a_token(
    cors_http: TestClient, path: str
) -> None:
    response = _preflight(cors_http, path, APP)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == APP
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "access-control-allow-credentials" not in response.headers


def test_the_mcp_preflight_allows_the_mcp_headers(cors_http: TestClient) -> None:
    response = _preflight(cors_http, "/mcp", APP)
    allowed = response.headers["access-control-allow-headers"].lower()
    for name in ("mcp-session-id", "mcp-protocol-version", "last-event-id", "mcp-method"):
        assert name in allowed
    assert "DELETE" in response.headers["access-control-allow-methods"]


@pytest.mark.parametrize("path", METADATA_PATHS)
def test_the_metadata_may_be_read_from_any_origin(cors_http: TestClient, path: str) -> None:
    preflight = _preflight(cors_http, path, EVIL, method="GET")  # asks for two headers
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    response = cors_http.get(path, headers={"Origin": EVIL})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_mcp_from_a_configured_origin_works_and_exposes_the_session_and_challenge(
    cors_http: TestClient,
) -> None:
    token = login(cors_http, "alice")["access_token"]
    opened = cors_http.post(
        "/mcp",
        json=initialize_request("browser"),
        headers={**ACCEPT, **auth(token), "Origin": APP},
    )
    assert opened.status_code == 200, opened.text  # the SDK's Origin check lets it through
    assert opened.headers["access-control-allow-origin"] == APP
    exposed = opened.headers["access-control-expose-headers"].lower()
    assert "mcp-session-id" in exposed and "www-authenticate" in exposed
    assert "access-control-allow-credentials" not in opened.headers

    refused = cors_http.post("/mcp", json=initialize_request("browser"), headers={"Origin": APP})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP  # the page can read why


def test_the_token_endpoint_answers_a_configured_origin(cors_http: TestClient) -> None:
    response = cors_http.post(
        "/oauth/token", data={"grant_type": "refresh_token"}, headers={"Origin": APP}
    )
    assert response.status_code == 401  # no client credentials: the page can read that
    assert response.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_an_unlisted_origin_gets_no_cors_headers(cors_http: TestClient, path: str) -> None:
    preflight = _preflight(cors_http, path, EVIL)
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    response = cors_http.post(path, json={}, headers={**ACCEPT, "Origin": EVIL})
    assert "access-control-allow-origin" not in response.headers


def test_mcp_still_refuses_an_unlisted_origin(cors_http: TestClient) -> None:
    token = login(cors_http, "alice")["access_token"]
    response = cors_http.post(
        "/mcp", json=initialize_request("evil"), headers={**ACCEPT, **auth(token), "Origin": EVIL}
    )
    assert response.status_code == 403  # the SDK's DNS-rebinding Origin check


@pytest.mark.parametrize("path", COOKIE_PATHS)
def test_the_cookie_routes_get_no_cors_headers(cors_http: TestClient, path: str) -> None:
    preflight = _preflight(cors_http, path, APP)
    assert "access-control-allow-origin" not in preflight.headers
    response = cors_http.post(path, json={}, headers={"Origin": APP})
    assert "access-control-allow-origin" not in response.headers


def test_any_origin_with_a_star_gets_a_star_and_never_credentials(
    database_url: str, tmp_path: Any, accounts: dict[str, int]
) -> None:
    for http in _client(database_url, tmp_path, "*"):
        token = login(http, "alice")["access_token"]
        response = http.post(
            "/mcp",
            json=initialize_request("anywhere"),
            headers={**ACCEPT, **auth(token), "Origin": EVIL},
        )
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
        preflight = _preflight(http, "/mcp", EVIL)
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in preflight.headers


def test_by_default_no_origin_is_allowed_but_the_preflight_is_not_a_401(
    database_url: str, tmp_path: Any, accounts: dict[str, int]
) -> None:
    for http in _client(database_url, tmp_path, ""):
        for path in CLIENT_PATHS:
            response = _preflight(http, path, APP)
            assert response.status_code == 400, path
            assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("value", ["https://app.example/path", "app.example", "ftp://x.example"])
def test_a_cors_origin_that_is_not_an_origin_is_refused_with_its_name(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, cors_origins=value)  # type: ignore[call-arg]
    assert "is not an origin" in str(caught.value)


def test_cors_origins_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_CORS_ORIGINS", "https://A.example/, http://localhost:6274")
    assert Settings(_env_file=None).cors_allowed_origins == (  # type: ignore[call-arg]
        "https://a.example",
        "http://localhost:6274",
    )
