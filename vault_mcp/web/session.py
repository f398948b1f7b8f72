"""Web sessions (an opaque token in an HttpOnly cookie) and CSRF protection for every form."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from vault_mcp.runtime import Services

SESSION_COOKIE = "vault_session"
CSRF_COOKIE = "vault_csrf"
CSRF_FIELD = "csrf_token"


def _secure(request: Request) -> bool:
    # uvicorn's proxy_headers turns X-Forwarded-Proto from a trusted proxy into the scheme.
    return request.url.scheme == "https"


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser (double-submit: a cookie and a hidden form field)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return token


def set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )


def csrf_ok(request: Request, submitted: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


async def session_user(request: Request, services: Services) -> int | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await services.auth.refresh_tokens.live_user(token)


def start_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
