"""Input crafted to break parsers (deep JSON, NUL, lone surrogates, URLs and dates that do
not parse) gets a 4xx that names the problem at every HTTP door, never a 500."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.https_server import https_server, self_signed_certificate
from tests.web.conftest import BASE
from tests.web.oauth_helpers import REDIRECT, Authorization, register, sign_in
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app

JSON = {"Content-Type": "application/json"}
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}
# Deep enough for json.loads to raise RecursionError; under /oauth/register's 16 kB cap.
DEEP = "[" * 16_000


def _no_trace(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


def _api_error(response: Any, status: int) -> str:
    _no_trace(response)
    assert response.status_code == status, response.text
    return str(response.json()["error"]["message"])


# -- JSON nested deep --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"]
)
def test_json_nested_deep_is_a_400_on_the_sign_in_routes(http: TestClient, path: str) -> None:
    message = _api_error(http.post(path, content=DEEP, headers=JSON), 400)
    assert "not valid JSON" in message and "recursion limit" in message


def test_json_nested_deep_is_a_400_on_note_create_and_patch(
    http: TestClient, alice: dict[str, str]
) -> None:
    created = http.post("/api/v1/notes", content=DEEP, headers={**JSON, **alice})
    assert "not valid JSON" in _api_error(created, 400)
    note = http.post("/api/v1/notes", json={"title": "t", "content": "c"}, headers=alice).json()
    patched = http.patch(f"/api/v1/notes/{note['id']}", content=DEEP, headers={**JSON, **alice})
    assert "not valid JSON" in _api_error(patched, 400)


def test_json_nested_deep_is_invalid_client_metadata_on_register(http: TestClient) -> None:
    response = http.post("/oauth/register", content=DEEP, headers=JSON)
    _no_trace(response)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


def test_json_nested_deep_through_the_mcp_scope_gate_is_a_json_rpc_parse_error(
    http: TestClient, alice: dict[str, str]
) -> None:
    response = http.post("/mcp", content=DEEP, headers={**JSON, **MCP_ACCEPT, **alice})
    _no_trace(response)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32700  # JSON-RPC parse error


def test_a_client_metadata_document_nested_deep_is_refused(
    app_settings: Settings, accounts: dict[str, int], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(self_signed_certificate(tmp_path)))
    routes = {"/deep.json": lambda: (200, JSON, DEEP.encode())}
    settings = app_settings.model_copy(update={"oauth_cimd_allow_private": True})
    with (
        https_server(tmp_path, routes) as base,
        TestClient(create_app(settings, HashingEmbedder()), base_url=BASE) as http,
    ):
        client_id = f"{base}/deep.json"
        page = http.get("/oauth/authorize", params=Authorization.start(client_id).params)
        _no_trace(page)
        assert page.status_code == 400
        assert "not valid JSON" in page.text


def test_a_client_metadata_document_whose_redirect_uri_holds_a_nul_is_refused(
    app_settings: Settings, accounts: dict[str, int], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(self_signed_certificate(tmp_path)))
    settings = app_settings.model_copy(update={"oauth_cimd_allow_private": True})
    routes: dict[str, Any] = {}
    with (
        https_server(tmp_path, routes) as base,
        TestClient(
            create_app(settings, HashingEmbedder()), base_url=BASE, follow_redirects=False
        ) as http,
    ):
        client_id, nul_redirect = f"{base}/nul.json", f"{REDIRECT}\x00"
        document = {"client_id": client_id, "redirect_uris": [nul_redirect]}
        routes["/nul.json"] = lambda: (200, JSON, json.dumps(document).encode())
        sign_in(http)
        auth_request = Authorization.start(client_id, redirect_uri=nul_redirect)
        page = http.get("/oauth/authorize", params=auth_request.params)
        _no_trace(page)
        assert page.status_code == 400
        assert "control character" in page.text


# -- NUL and lone surrogates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/auth/login", {"username": "ali\x00ce", "password": "x"}, "user name"),
        ("/api/v1/auth/login", {"username": "alice", "password": "pass\x00word"}, "password"),
        ("/api/v1/auth/refresh", {"refresh_token": "abc\x00def"}, "refresh token"),
        ("/api/v1/auth/logout", {"refresh_token": "abc\x00def"}, "refresh token"),
    ],
)
def test_nul_in_a_sign_in_input_is_refused_naming_the_field(
    http: TestClient, path: str, body: dict[str, str], field: str
) -> None:
    message = _api_error(http.post(path, json=body), 422)
    assert field in message and "NUL" in message


def test_nul_in_the_sign_in_form_is_refused_on_the_page(http: TestClient) -> None:
    from tests.web.test_edge import _csrf

    response = http.post(
        "/login", data={"username": "ali\x00ce", "password": "x", "csrf_token": _csrf(http)}
    )
    _no_trace(response)
    assert response.status_code == 422
    assert "NUL" in response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/login", '{"username": "al\\ud800ice", "password": "x"}'),
        ("/api/v1/auth/login", '{"username": "alice", "password": "\\udfffx"}'),
        ("/api/v1/auth/refresh", '{"refresh_token": "\\ud800"}'),
        ("/api/v1/auth/logout", '{"refresh_token": "\\ud800"}'),
        ("/api/v1/notes", '{"title": "t\\ud800", "content": "c"}'),
        ("/api/v1/notes", '{"title": "t", "content": "c\\ud800"}'),
        ("/api/v1/notes", '{"title": "t", "content": "c", "tags": ["\\ud800"]}'),
    ],
)
def test_a_lone_surrogate_escape_is_a_400_not_valid_json(
    http: TestClient, alice: dict[str, str], path: str, body: str
) -> None:
    message = _api_error(http.post(path, content=body, headers={**JSON, **alice}), 400)
    assert "not valid JSON" in message


@pytest.mark.parametrize(
    "metadata",
    [
        {"client_name": "Evil\x00"},
        {"redirect_uris": ["https://app.example/cb\x00"]},
        {"application_type": "web\x00"},
        {"client_name": "\\ud800"},  # replaced by a raw escape below
    ],
)
def test_nul_or_a_lone_surrogate_in_client_metadata_is_invalid_client_metadata(
    http: TestClient, metadata: dict[str, Any]
) -> None:
    body = json.dumps(
        {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", **metadata}
    ).replace("\\\\ud800", "\\ud800")
    response = http.post("/oauth/register", content=body, headers=JSON)
    _no_trace(response)
    assert response.status_code == 400, response.text
    assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri")


# -- URLs and ports that do not parse ----------------------------------------------------------

BROKEN_CLIENT_IDS = ["https://h:abc/x", "https://[::1/x", "https://" + "a" * 300 + ".example/x"]


@pytest.mark.parametrize("client_id", BROKEN_CLIENT_IDS)
def test_a_client_id_url_that_does_not_parse_is_refused_on_the_authorize_page(
    http: TestClient, client_id: str
) -> None:
    page = http.get("/oauth/authorize", params=Authorization.start(client_id).params)
    _no_trace(page)
    assert page.status_code == 400
    assert "Cannot connect" in page.text


@pytest.mark.parametrize("client_id", BROKEN_CLIENT_IDS)
def test_a_client_id_url_that_does_not_parse_is_invalid_client_at_the_token_endpoint(
    http: TestClient, client_id: str
) -> None:
    response = http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": client_id},
    )
    _no_trace(response)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://[::1/cb", "http://127.0.0.1:99999/callback", "http://127.0.0.1:abc/callback"],
)
def test_a_redirect_uri_that_does_not_parse_is_refused_on_the_consent_page(
    http: TestClient, redirect_uri: str
) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(client["client_id"], redirect_uri=redirect_uri)
    page = http.get("/oauth/authorize", params=auth_request.params)
    _no_trace(page)
    assert page.status_code == 400
    assert "redirect_uri is not one this client registered" in page.text


# -- dates that overflow -----------------------------------------------------------------------


def forged_cursor(created_at: str) -> str:
    raw = f"{created_at}|00000000-0000-0000-0000-000000000000".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
@pytest.mark.parametrize("tag", [None, "work"])
def test_a_list_cursor_whose_date_overflows_in_utc_is_refused(
    http: TestClient, alice: dict[str, str], created_at: str, tag: str | None
) -> None:
    params = {"cursor": forged_cursor(created_at), **({"tag": tag} if tag else {})}
    message = _api_error(http.get("/api/v1/notes", params=params, headers=alice), 422)
    assert "cursor is not valid" in message


@pytest.mark.parametrize("where", ["authorize", "token", "revoke", "basic"])
def test_a_client_id_with_a_nul_names_no_client_at_any_oauth_door(
    http: TestClient, where: str
) -> None:
    client_id = "abc\x00def"
    if where == "authorize":
        page = http.get("/oauth/authorize", params=Authorization.start(client_id).params)
        _no_trace(page)
        assert page.status_code == 400 and "not registered" in page.text
        return
    form = {"grant_type": "refresh_token", "refresh_token": "x", "token": "x"}
    if where == "basic":
        credentials = base64.b64encode(f"{client_id}:secret".encode()).decode()
        response = http.post(
            "/oauth/token", data=form, headers={"Authorization": f"Basic {credentials}"}
        )
    else:
        response = http.post(f"/oauth/{where}", data={**form, "client_id": client_id})
    _no_trace(response)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
