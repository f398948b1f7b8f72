"""VaultAuthBackend: the one authentication path. A bearer token (on any route) or a web
session cookie (on the web view's pages) becomes one Principal, for REST, the web view and
/mcp alike; the SDK's /mcp middleware and tools read the same user from the scope."""

from __future__ import annotations

from typing import Protocol

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, Response

from vault_mcp.auth.models import Principal
from vault_mcp.auth.scopes import require_scope
from vault_mcp.errors import InvalidInput, NotFound, StorageUnavailable, Unauthorized, VaultError
from vault_mcp.runtime import Services
from vault_mcp.web import session

# Where a why-not message waits for a handler that wants to say why a token was refused.
REFUSAL_KEY = "vault.auth_refusal"
# A cookie never authenticates these: a browser would send it along with a forged request.
_NO_COOKIES = ("/api/", "/mcp", "/static/", "/.well-known/", "/oauth/token", "/oauth/revoke")


class ServicesProvider(Protocol):
    async def get(self) -> Services: ...


class BearerUser(AuthenticatedUser):
    """A bearer token's Principal, in the SDK's shape (so /mcp admits it)."""

    def __init__(self, principal: Principal, token: str, resource: str) -> None:
        super().__init__(
            AccessToken(
                token=token,
                client_id=principal.client_id or "vault-mcp",
                scopes=list(principal.scopes),
                expires_at=principal.expires_at,
                resource=resource,
                subject=str(principal.user_id),
            )
        )
        self.principal = principal


class SessionUser(BaseUser):
    """A web session's Principal and the account's name (the pages show it)."""

    def __init__(self, principal: Principal, username: str) -> None:
        self.principal = principal
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username


class AuthUnavailable(AuthenticationError):
    """Credentials could not be checked (the database is down): 503, never 401, so OAuth
    clients do not take an outage for a revoked token and re-authorize."""


class VaultAuthBackend(AuthenticationBackend):
    def __init__(self, services: ServicesProvider, resource: str) -> None:
        self._services = services
        self._resource = resource

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        scheme, _, token = conn.headers.get("authorization", "").partition(" ")
        token = token.strip()
        cookie = None
        if not conn.url.path.startswith(_NO_COOKIES):
            cookie = conn.cookies.get(session.cookie_name(conn, session.SESSION_COOKIE))
        if not (scheme.lower() == "bearer" and token) and not cookie:
            return None
        try:
            services = await self._services.get()
            if scheme.lower() == "bearer" and token:
                principal = await services.auth.authenticate(token)
                user: BaseUser = BearerUser(principal, token, self._resource)
            else:
                assert cookie is not None
                found = await services.auth.web_session(cookie)
                if found is None:
                    return None
                principal, account = found
                user = SessionUser(principal, account.username)
        except (Unauthorized, InvalidInput, NotFound) as exc:
            conn.scope[REFUSAL_KEY] = exc.message
            return None
        except VaultError as exc:  # the database (or the whole service) is not there
            raise AuthUnavailable(exc.message) from exc
        return AuthCredentials(list(principal.scopes)), user


def principal_of(conn: HTTPConnection) -> Principal | None:
    user = conn.scope.get("user")
    principal = getattr(user, "principal", None)
    return principal if isinstance(principal, Principal) else None


def refusal_of(conn: HTTPConnection) -> str | None:
    message = conn.scope.get(REFUSAL_KEY)
    return message if isinstance(message, str) else None


def bearer_principal(conn: HTTPConnection, scope: str) -> Principal:
    """Who a REST request's bearer token (an access token or a personal one) names, which
    must carry `scope`; Unauthorized saying why the token was refused, if it was."""
    principal = principal_of(conn)
    if principal is None or not isinstance(conn.scope.get("user"), BearerUser):
        raise Unauthorized(
            refusal_of(conn) or "sign in first: send `Authorization: Bearer <access token>`"
        )
    require_scope(principal.scopes, scope)
    return principal


def on_auth_error(conn: HTTPConnection, exc: Exception) -> Response:
    message = str(exc) or StorageUnavailable.__doc__ or ""
    headers = {"Retry-After": "5"}
    if conn.url.path.startswith(("/api/", "/mcp", "/oauth/")):
        body = {"error": {"code": "unavailable", "message": message}}
        return JSONResponse(body, 503, headers=headers)
    return HTMLResponse(
        "<!doctype html><title>Unavailable</title><p>The vault cannot check who you are "
        "right now; try again in a moment.</p>",
        503,
        headers=headers,
    )


class VaultTokenVerifier:
    """The MCP SDK's TokenVerifier seam, over the same AuthService.authenticate.

    The SDK needs one to guard /mcp; its own bearer middleware is removed (the host app's
    VaultAuthBackend authenticates every request), so this answers only direct callers.
    """

    def __init__(self, services: ServicesProvider, resource: str) -> None:
        self._services = services
        self._resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            services = await self._services.get()
            principal = await services.auth.authenticate(token)
        except (Unauthorized, InvalidInput, NotFound):
            return None
        except VaultError as exc:  # an outage is not a bad token: never a 401
            raise AuthUnavailable(exc.message) from exc
        return BearerUser(principal, token, self._resource).access_token
