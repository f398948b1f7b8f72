"""Drive the OAuth flow the way a client and a person's browser would: in-process through
Starlette's TestClient, or against a real server through any httpx.Client with a base_url."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.web.conftest import BASE, PASSWORD

RESOURCE = f"{BASE}/mcp"
REDIRECT = "http://127.0.0.1:9999/callback"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def register(http: httpx.Client, **metadata: Any) -> dict[str, Any]:
    body = {
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "client_name": "Test client",
        **metadata,
    }
    response = http.post("/oauth/register", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def sign_in(http: httpx.Client, name: str = "alice") -> None:
    page = http.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = http.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf.group(1)}
    )
    assert answer.status_code == 303, answer.text


@dataclass
class Authorization:
    """One authorization request: its parameters and its PKCE verifier."""

    client_id: str
    verifier: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, client_id: str, **overrides: str | None) -> Authorization:
        verifier, challenge = pkce()
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": RESOURCE,
            "scope": "notes:read notes:write",
            **overrides,
        }
        return cls(client_id, verifier, {k: v for k, v in params.items() if v is not None})


def consent_form(http: httpx.Client, auth: Authorization) -> dict[str, str]:
    """GET /oauth/authorize as a signed-in person: the consent page's form fields."""
    page = http.get("/oauth/authorize", params=auth.params)
    assert page.status_code == 200, page.text
    assert "Connect" in page.text
    return dict(_HIDDEN.findall(page.text))


def answer(http: httpx.Client, auth: Authorization, decision: str = "approve") -> dict[str, str]:
    """Approve (or deny) on the consent page; the query the client's callback receives."""
    fields = consent_form(http, auth)
    response = http.post("/oauth/authorize", data={**fields, "decision": decision})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def approved_code(http: httpx.Client, auth: Authorization) -> str:
    callback = answer(http, auth)
    assert callback["state"] == auth.params["state"]
    assert callback["iss"] == BASE
    return callback["code"]


def exchange(http: httpx.Client, auth: Authorization, code: str, **overrides: str | None) -> Any:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": auth.params.get("redirect_uri"),
        "client_id": auth.client_id,
        "code_verifier": auth.verifier,
        "resource": RESOURCE,
        **overrides,
    }
    return http.post("/oauth/token", data={k: v for k, v in form.items() if v is not None})


def tokens_for(http: httpx.Client, client_id: str, scope: str = "notes:read notes:write") -> Any:
    auth = Authorization.start(client_id, scope=scope)
    response = exchange(http, auth, approved_code(http, auth))
    assert response.status_code == 200, response.text
    return response.json()


def refresh(http: httpx.Client, client_id: str, refresh_token: str, **extra: str) -> Any:
    return http.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            **extra,
        },
    )
