"""Client ID metadata documents: a client named by an https URL, fetched narrowly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.https_server import Handler, https_server, self_signed_certificate
from tests.web.conftest import BASE
from tests.web.oauth_helpers import REDIRECT, Authorization, approved_code, exchange, sign_in
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app

Documents = tuple[str, dict[str, Handler]]


def _json(document: dict[str, Any]) -> Handler:
    return lambda: (200, {"Content-Type": "application/json"}, json.dumps(document).encode())


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Documents]:
    """A loopback HTTPS server (trusted through SSL_CERT_FILE) and its routes to fill in."""
    monkeypatch.setenv("SSL_CERT_FILE", str(self_signed_certificate(tmp_path)))
    routes: dict[str, Handler] = {}
    with https_server(tmp_path, routes) as base:
        yield base, routes


def _app(settings: Settings, *, allow_private: bool = True) -> TestClient:
    update = {"oauth_cimd_allow_private": allow_private}
    app = create_app(settings.model_copy(update=update), HashingEmbedder())
    return TestClient(app, base_url=BASE, follow_redirects=False)


def _document(client_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "client_name": "Metadata App",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        **extra,
    }


def test_a_client_named_by_its_metadata_url_completes_the_flow(
    app_settings: Settings, accounts: dict[str, int], documents: Documents
) -> None:
    base, routes = documents
    client_id = f"{base}/oauth/client.json"
    routes["/oauth/client.json"] = _json(_document(client_id))
    with _app(app_settings) as http:
        sign_in(http)
        auth_request = Authorization.start(client_id)
        assert "Metadata App" in http.get("/oauth/authorize", params=auth_request.params).text
        tokens = exchange(http, auth_request, approved_code(http, auth_request))
        assert tokens.status_code == 200, tokens.text


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (lambda url: (302, {"Location": "https://127.0.0.1:1/other.json"}, b""), "redirects"),
        (lambda url: (200, {}, b"x" * 70_000), "over 65,536 bytes"),
        (lambda url: _json(_document("https://elsewhere.example/c.json"))(), "not its own URL"),
        (lambda url: _json(_document(url, redirect_uris=["http://evil.example/cb"]))(), "https"),
        (
            lambda url: _json(_document(url, token_endpoint_auth_method="private_key_jwt"))(),
            "token_endpoint_auth_method",
        ),
        (lambda url: (200, {}, b"{not json"), "not valid JSON"),
        (lambda url: (404, {}, b""), "HTTP 404"),
    ],
)
def test_a_bad_metadata_document_is_refused(
    app_settings: Settings,
    accounts: dict[str, int],
    documents: Documents,
    route: Any,
    reason: str,
) -> None:
    base, routes = documents
    client_id = f"{base}/client.json"
    routes["/client.json"] = lambda: route(client_id)
    with _app(app_settings) as http:
        sign_in(http)
        page = http.get("/oauth/authorize", params=Authorization.start(client_id).params)
        assert page.status_code == 400 and "location" not in page.headers
        assert reason in page.text, page.text


def test_private_addresses_are_refused_unless_the_operator_allows_them(
    app_settings: Settings, accounts: dict[str, int], documents: Documents
) -> None:
    base, routes = documents
    client_id = f"{base}/client.json"
    routes["/client.json"] = _json(_document(client_id))
    with _app(app_settings, allow_private=False) as http:
        sign_in(http)
        page = http.get("/oauth/authorize", params=Authorization.start(client_id).params)
        assert page.status_code == 400 and "private address" in page.text


def test_a_metadata_document_client_is_listed_by_its_name_and_host_on_the_apps_page(
    app_settings: Settings, accounts: dict[str, int], documents: Documents
) -> None:
    base, routes = documents
    client_id = f"{base}/oauth/client.json"
    routes["/oauth/client.json"] = _json(_document(client_id, client_name="Doc <App>"))
    with _app(app_settings) as http:
        sign_in(http)
        auth_request = Authorization.start(client_id)
        tokens = exchange(http, auth_request, approved_code(http, auth_request))
        assert tokens.status_code == 200, tokens.text
        page = http.get("/apps").text
    assert "Doc &lt;App&gt;" in page and base.removeprefix("https://") in page
