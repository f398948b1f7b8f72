"""The OAuth 2.1 authorization server in-process: discovery, registration, the consent flow,
tokens, and every way a client (or an attacker) might get more than the person approved."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import jwt
import pytest
from starlette.testclient import TestClient

from tests.conftest import initialize_request
from tests.web.conftest import BASE, SECRET, auth, run
from tests.web.oauth_helpers import (
    REDIRECT,
    RESOURCE,
    Authorization,
    answer,
    approved_code,
    consent_form,
    exchange,
    refresh,
    register,
    sign_in,
    tokens_for,
)
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app


def _error(response: Any, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    assert response.headers["cache-control"] == "no-store"
    return str(response.json()["error_description"])


def _mcp_call(http: TestClient, token: str, tool: str) -> Any:
    return http.post(
        "/mcp",
        headers={**auth(token), "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool}},
    )


# -- discovery ---------------------------------------------------------------------------------


def test_metadata_is_built_from_the_public_url(
    app_settings: Settings, accounts: dict[str, int]
) -> None:
    settings = app_settings.model_copy(update={"public_url": "https://vault.example.com"})
    with TestClient(create_app(settings, HashingEmbedder())) as proxied:
        for path in (
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
        ):
            meta = proxied.get(path).json()
            assert meta["issuer"] == "https://vault.example.com"
            assert meta["authorization_endpoint"] == "https://vault.example.com/oauth/authorize"
            assert meta["token_endpoint"] == "https://vault.example.com/oauth/token"
            assert meta["registration_endpoint"] == "https://vault.example.com/oauth/register"
            assert meta["revocation_endpoint"] == "https://vault.example.com/oauth/revoke"
            assert meta["response_types_supported"] == ["code"]
            assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
            assert meta["code_challenge_methods_supported"] == ["S256"]
            assert "none" in meta["token_endpoint_auth_methods_supported"]
            assert meta["scopes_supported"] == ["notes:read", "notes:write"]
            assert meta["client_id_metadata_document_supported"] is True
        prm = proxied.get("/.well-known/oauth-protected-resource/mcp").json()
        assert prm["resource"] == "https://vault.example.com/mcp"
        assert prm["authorization_servers"] == ["https://vault.example.com"]
        assert prm["scopes_supported"] == ["notes:read", "notes:write"]
        challenge = proxied.post("/mcp", json=initialize_request("x")).headers["www-authenticate"]
        assert 'resource_metadata="https://vault.example.com/.well-known/' in challenge


# -- registration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/callback",  # plain http off loopback
        "https://example.com/callback#frag",
        "javascript:alert(1)",
        "https://a.example;script-src/cb",  # would smuggle a directive into the consent CSP
        "https://user:pass@a.example/cb",
        "/relative",
        "",
    ],
)
def test_registration_refuses_an_unsafe_redirect_uri(http: TestClient, uri: str) -> None:
    response = http.post("/oauth/register", json={"redirect_uris": [uri]})
    _error(response, 400, "invalid_redirect_uri")


def test_registration_accepts_https_and_loopback_and_never_grants_more_than_the_defaults(
    http: TestClient,
) -> None:
    client = register(
        http,
        redirect_uris=["https://claude.ai/api/mcp/auth_callback", "http://localhost:3000/cb"],
        scope="notes:read notes:write admin",
    )
    assert client["scope"] == "notes:read notes:write"
    assert client["token_endpoint_auth_method"] == "none" and "client_secret" not in client
    read_only = register(http, scope="notes:read")
    assert read_only["scope"] == "notes:read"


@pytest.mark.parametrize(
    "metadata",
    [
        {"grant_types": ["client_credentials"]},
        {"response_types": ["token"]},
        {"token_endpoint_auth_method": "private_key_jwt"},
        {"client_name": 5},
        # Shown on the consent page: it must not reverse the host printed after it.
        {"client_name": "Claude \u202e(moc.elpmaxe-live)"},
        {"client_name": "two\nlines"},
    ],
)
def test_registration_refuses_metadata_it_cannot_honour(
    http: TestClient, metadata: dict[str, Any]
) -> None:
    response = http.post("/oauth/register", json={"redirect_uris": [REDIRECT], **metadata})
    _error(response, 400, "invalid_client_metadata")


def test_an_operator_allow_list_restricts_redirect_uris(
    app_settings: Settings, accounts: dict[str, int]
) -> None:
    allowed = "https://claude.ai/api/mcp/auth_callback,http://127.0.0.1/callback"
    settings = app_settings.model_copy(update={"oauth_redirect_allowlist": allowed})
    with TestClient(create_app(settings, HashingEmbedder()), base_url=BASE) as http:
        register(http, redirect_uris=["https://claude.ai/api/mcp/auth_callback"])
        register(http, redirect_uris=["http://127.0.0.1:5555/callback"])  # any loopback port
        refused = http.post(
            "/oauth/register", json={"redirect_uris": ["https://evil.example/callback"]}
        )
        assert "operator" in _error(refused, 400, "invalid_redirect_uri")


# -- the authorization-code flow ---------------------------------------------------------------


def test_the_full_flow_yields_tokens_for_this_resource_that_work(http: TestClient) -> None:
    client = register(http)
    auth_request = Authorization.start(client["client_id"])
    # Not signed in: the login page, then back to the same authorization request.
    to_login = http.get("/oauth/authorize", params=auth_request.params)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login?next=")
    sign_in(http)
    page = http.get("/oauth/authorize", params=auth_request.params)
    assert "Test client" in page.text and "create, change and delete your notes" in page.text
    # The consent form may redirect to the client's callback, and only there.
    assert "form-action 'self' http://127.0.0.1:9999;" in page.headers["content-security-policy"]

    tokens = exchange(http, auth_request, approved_code(http, auth_request)).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "notes:read notes:write" and tokens["refresh_token"]
    claims = jwt.decode(tokens["access_token"], SECRET, algorithms=["HS256"], audience=RESOURCE)
    assert claims["client_id"] == client["client_id"] and claims["iss"] == BASE
    created = http.post(
        "/api/v1/notes", headers=auth(tokens["access_token"]), json={"title": "t", "content": "c"}
    )
    assert created.status_code == 201


def test_denying_tells_the_client_access_denied(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(client["client_id"])
    callback = answer(http, auth_request, decision="deny")
    assert callback["error"] == "access_denied"
    assert callback["state"] == auth_request.params["state"] and callback["iss"] == BASE


def test_the_consent_form_needs_its_csrf_token(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    fields = consent_form(http, Authorization.start(client["client_id"]))
    fields["csrf_token"] = "forged"
    assert http.post("/oauth/authorize", data={**fields, "decision": "approve"}).status_code == 403


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "no-such-client"},
        {"redirect_uri": "https://evil.example/steal"},
        {"redirect_uri": "http://127.0.0.1:9999/other-path"},
    ],
)
def test_an_untrusted_client_or_redirect_is_never_redirected_to(
    http: TestClient, overrides: dict[str, str]
) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(overrides.pop("client_id", client["client_id"]), **overrides)
    page = http.get("/oauth/authorize", params=auth_request.params)
    assert page.status_code == 400 and "location" not in page.headers
    assert "cannot be used" in page.text


def test_a_loopback_redirect_may_use_any_port(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(
        client["client_id"], redirect_uri="http://127.0.0.1:4321/callback"
    )
    assert http.get("/oauth/authorize", params=auth_request.params).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),  # PKCE is required
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # would mean plain
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"resource": "https://other.example/mcp"}, "invalid_target"),
        ({"scope": "notes:admin"}, "invalid_scope"),
    ],
)
def test_bad_authorization_requests_are_told_to_the_client(
    http: TestClient, overrides: dict[str, str | None], error: str
) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(client["client_id"], **overrides)
    response = http.get("/oauth/authorize", params=auth_request.params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    callback = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert callback["error"] == error and callback["iss"] == BASE
    assert callback["state"] == auth_request.params["state"]


def test_a_request_without_scope_gets_the_clients_registered_scopes(http: TestClient) -> None:
    """ChatGPT omits `scope` when it reconnects."""
    client = register(http, scope="notes:read")
    sign_in(http)
    auth_request = Authorization.start(client["client_id"], scope=None)
    tokens = exchange(http, auth_request, approved_code(http, auth_request)).json()
    assert tokens["scope"] == "notes:read"


def test_a_client_cannot_ask_for_more_than_it_registered(http: TestClient) -> None:
    client = register(http, scope="notes:read")
    sign_in(http)
    auth_request = Authorization.start(client["client_id"], scope="notes:read notes:write")
    response = http.get("/oauth/authorize", params=auth_request.params)
    assert "error=invalid_scope" in response.headers["location"]


# -- the token endpoint ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_verifier": None},
        {"code_verifier": "x" * 64},  # well-formed, wrong
        {"code_verifier": "short"},
    ],
)
def test_a_missing_or_wrong_pkce_verifier_is_refused(
    http: TestClient, overrides: dict[str, str | None]
) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(client["client_id"])
    code = approved_code(http, auth_request)
    _error(exchange(http, auth_request, code, **overrides), 400, "invalid_grant")
    # One attempt per code: the right verifier is too late now.
    _error(exchange(http, auth_request, code), 400, "invalid_grant")


def test_a_reused_code_is_refused_and_revokes_what_it_bought(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(client["client_id"])
    code = approved_code(http, auth_request)
    tokens = exchange(http, auth_request, code).json()
    assert "already used" in _error(exchange(http, auth_request, code), 400, "invalid_grant")
    _error(refresh(http, client["client_id"], tokens["refresh_token"]), 400, "invalid_grant")
    assert http.get("/api/v1/notes", headers=auth(tokens["access_token"])).status_code == 401


def test_an_expired_code_is_refused(http: TestClient, database_url: str) -> None:
    client = register(http)
    sign_in(http)
    auth_request = Authorization.start(client["client_id"])
    code = approved_code(http, auth_request)

    async def age_codes() -> None:
        conn = await asyncpg.connect(database_url)
        lifetime = await conn.fetchval("SELECT max(expires_at - now()) FROM oauth_codes")
        assert lifetime is None or lifetime.total_seconds() <= 60
        await conn.execute("UPDATE oauth_codes SET expires_at = now() - interval '1 second'")
        await conn.close()

    run(age_codes())
    assert "expired" in _error(exchange(http, auth_request, code), 400, "invalid_grant")


def test_the_code_is_bound_to_its_redirect_uri_client_and_resource(http: TestClient) -> None:
    client, other = register(http), register(http)
    sign_in(http)
    for overrides, error in [
        ({"redirect_uri": "http://127.0.0.1:9999/elsewhere"}, "invalid_grant"),
        ({"resource": "https://other.example/mcp"}, "invalid_target"),
        ({"client_id": other["client_id"]}, "invalid_grant"),
    ]:
        auth_request = Authorization.start(client["client_id"])
        code = approved_code(http, auth_request)
        _error(exchange(http, auth_request, code, **overrides), 400, error)


def test_unknown_clients_and_grant_types_are_refused(http: TestClient) -> None:
    auth_request = Authorization.start("no-such-client")
    _error(exchange(http, auth_request, "code"), 401, "invalid_client")
    client = register(http)
    response = http.post(
        "/oauth/token", data={"grant_type": "password", "client_id": client["client_id"]}
    )
    _error(response, 400, "unsupported_grant_type")
    as_json = http.post("/oauth/token", json={"grant_type": "authorization_code"})
    _error(as_json, 400, "invalid_request")


def test_a_confidential_client_must_authenticate(http: TestClient) -> None:
    client = register(http, token_endpoint_auth_method=None)  # RFC 7591: client_secret_basic
    assert client["token_endpoint_auth_method"] == "client_secret_basic"
    sign_in(http)
    auth_request = Authorization.start(client["client_id"])
    code = approved_code(http, auth_request)
    _error(exchange(http, auth_request, code), 401, "invalid_client")
    auth_request = Authorization.start(client["client_id"])
    code = approved_code(http, auth_request)
    ok = http.post(
        "/oauth/token",
        auth=(client["client_id"], client["client_secret"]),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": auth_request.verifier,
        },
    )
    assert ok.status_code == 200, ok.text


# -- refresh and revocation --------------------------------------------------------------------


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    first = tokens_for(http, client["client_id"])
    second = refresh(http, client["client_id"], first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "notes:read notes:write"
    _error(refresh(http, client["client_id"], first["refresh_token"]), 400, "invalid_grant")
    # The replay revoked the newer token too, and the access tokens of the sign-in with it.
    _error(refresh(http, client["client_id"], second["refresh_token"]), 400, "invalid_grant")
    assert http.get("/api/v1/notes", headers=auth(second["access_token"])).status_code == 401


def test_refresh_cannot_escalate_scope_but_may_narrow_it(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    read_only = tokens_for(http, client["client_id"], scope="notes:read")
    escalate = refresh(http, client["client_id"], read_only["refresh_token"], scope="notes:write")
    _error(escalate, 400, "invalid_scope")
    # The refused request did not spend the token.
    still = refresh(http, client["client_id"], read_only["refresh_token"]).json()
    assert still["scope"] == "notes:read"

    full = tokens_for(http, client["client_id"])
    narrowed = refresh(http, client["client_id"], full["refresh_token"], scope="notes:read")
    assert narrowed.json()["scope"] == "notes:read"
    again = refresh(http, client["client_id"], narrowed.json()["refresh_token"]).json()
    assert again["scope"] == "notes:read notes:write"  # the grant itself is unchanged


def test_a_refresh_token_only_works_for_its_own_client(http: TestClient) -> None:
    client, other = register(http), register(http)
    sign_in(http)
    tokens = tokens_for(http, client["client_id"])
    _error(refresh(http, other["client_id"], tokens["refresh_token"]), 400, "invalid_grant")
    assert refresh(http, client["client_id"], tokens["refresh_token"]).status_code == 200


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_revoking_either_token_ends_the_sign_in(http: TestClient, which: str) -> None:
    client = register(http)
    sign_in(http)
    tokens = tokens_for(http, client["client_id"])
    revoked = http.post(
        "/oauth/revoke", data={"token": tokens[which], "client_id": client["client_id"]}
    )
    assert revoked.status_code == 200
    assert http.get("/api/v1/notes", headers=auth(tokens["access_token"])).status_code == 401
    _error(refresh(http, client["client_id"], tokens["refresh_token"]), 400, "invalid_grant")
    unknown = http.post("/oauth/revoke", data={"token": "nope", "client_id": client["client_id"]})
    assert unknown.status_code == 200  # RFC 7009 §2.2


def test_another_client_cannot_revoke_a_token(http: TestClient) -> None:
    client, other = register(http), register(http)
    sign_in(http)
    tokens = tokens_for(http, client["client_id"])
    for which in ("refresh_token", "access_token"):
        http.post("/oauth/revoke", data={"token": tokens[which], "client_id": other["client_id"]})
    assert http.get("/api/v1/notes", headers=auth(tokens["access_token"])).status_code == 200


# -- scopes at the door ------------------------------------------------------------------------


def test_a_read_only_token_gets_403_insufficient_scope_for_writing_tools(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    token = tokens_for(http, client["client_id"], scope="notes:read")["access_token"]
    for tool in ("create_note", "update_note", "delete_note"):
        refused = _mcp_call(http, token, tool)
        assert refused.status_code == 403, refused.text
        challenge = refused.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge and 'scope="notes:write"' in challenge
        assert "resource_metadata=" in challenge
    # Reading tools pass the gate (the SDK then wants a session: not a 403).
    assert _mcp_call(http, token, "read_note").status_code != 403
    rest = http.post("/api/v1/notes", headers=auth(token), json={"title": "t", "content": "c"})
    assert rest.status_code == 403 and "notes:write" in rest.text
    assert http.get("/api/v1/notes", headers=auth(token)).status_code == 200


def test_a_token_for_another_audience_is_refused_at_mcp(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    token = tokens_for(http, client["client_id"])["access_token"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=RESOURCE)
    foreign = jwt.encode({**claims, "aud": "https://other.example/mcp"}, SECRET, "HS256")
    response = _mcp_call(http, foreign, "read_note")
    assert response.status_code == 401
    assert re.search(r'error="invalid_token"', response.headers["www-authenticate"])
