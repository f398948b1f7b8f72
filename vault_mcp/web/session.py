"""Web sessions (an opaque token in an HttpOnly cookie) and CSRF protection for every form.

The CSRF token is an HMAC, under a server key, of the browser's CSRF cookie and its session
cookie: a token works only with the session it was issued for, so a cookie planted by a
neighbouring site (or a token lifted from another sign-in) is worthless. Over HTTPS the
cookies carry the `__Host-` prefix, which browsers refuse to accept from a subdomain.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

SESSION_COOKIE = "vault_session"
CSRF_COOKIE = "vault_csrf"
CSRF_FIELD = "csrf_token"


def csrf_key(secret: str) -> bytes:
    """The CSRF key, derived from the signing secret (so every process on a database agrees)."""
    return hmac.new(secret.encode(), b"vault-mcp csrf v1", hashlib.sha256).digest()


def _secure(conn: HTTPConnection) -> bool:
    # uvicorn's proxy_headers turns X-Forwarded-Proto from a trusted proxy into the scheme.
    return conn.url.scheme == "https"


def cookie_name(conn: HTTPConnection, name: str) -> str:
    return f"__Host-{name}" if _secure(conn) else name


def _session_token(conn: HTTPConnection) -> str:
    return conn.cookies.get(cookie_name(conn, SESSION_COOKIE), "")


def _bound(request: Request, nonce: str, session_token: str) -> str:
    key: bytes = request.app.state.csrf_key
    mac = hmac.new(key, f"{nonce}\x00{session_token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser and its current session (a hidden form field)."""
    nonce = request.cookies.get(cookie_name(request, CSRF_COOKIE))
    if not nonce:
        nonce = request.state.new_csrf = secrets.token_urlsafe(32)
    return _bound(request, nonce, _session_token(request))


def set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            cookie_name(request, CSRF_COOKIE),
            new,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/",
        )


def csrf_ok(request: Request, submitted: object) -> bool:
    nonce = request.cookies.get(cookie_name(request, CSRF_COOKIE))
    if not nonce or not isinstance(submitted, str):
        return False
    expected = _bound(request, nonce, _session_token(request))
    return hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "replace"))


def session_cookie(request: Request) -> str | None:
    return _session_token(request) or None


def start_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        cookie_name(request, SESSION_COOKIE),
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def end_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        cookie_name(request, SESSION_COOKIE), path="/", secure=_secure(request), httponly=True
    )
