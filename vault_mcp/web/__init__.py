"""The HTTP app: /health, the REST API, the web view, and bearer-protected MCP at /mcp."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from vault_mcp.auth.secret import load_or_create_secret
from vault_mcp.errors import OAuthError, VaultError
from vault_mcp.runtime import ServicesHandle
from vault_mcp.runtime.web_address import recorded
from vault_mcp.service import Embedder
from vault_mcp.settings import Settings
from vault_mcp.tools import build_mcp_server
from vault_mcp.tools.context import ServicesProvider
from vault_mcp.web import (
    api,
    apps_views,
    errors,
    health,
    oauth,
    session,
    setup_views,
    trash_views,
    views,
)
from vault_mcp.web import export as export_download
from vault_mcp.web.authn import VaultAuthBackend, VaultTokenVerifier, on_auth_error
from vault_mcp.web.cors import CorsByPath
from vault_mcp.web.mcp_sessions import MAX_SESSIONS_PER_ACCOUNT, SessionCap
from vault_mcp.web.scope_gate import guard_mcp_route
from vault_mcp.web.security import SecurityHeaders

log = logging.getLogger(__name__)

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


async def bootstrap_accounts(
    handle: ServicesHandle, settings: Settings, codes: setup_views.SetupCodeLog
) -> None:
    """With no account able to sign in: create `admin` from VAULT_ADMIN_PASSWORD, or say how
    (with a setup code for the browser)."""
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    try:
        services = await handle.opened()  # however long the database takes to answer
        created = await services.auth.bootstrap_admin(password)
        if created is None:
            await codes.ensure_printed(services.auth)
    except VaultError as exc:
        log.error("could not set up the first account: %s", exc.message)
        return
    if created:
        log.warning("created the account 'admin' with the password in VAULT_ADMIN_PASSWORD")


def _without_sdk_authentication(mcp_app: Starlette) -> None:
    """Drop the SDK's own bearer middleware from its /mcp app: the host app's one
    authentication backend has already put the Principal on the request, and a second,
    different check could only disagree (it answered 401 for a database outage)."""
    kept = [m for m in mcp_app.user_middleware if m.cls is not AuthenticationMiddleware]  # type: ignore[comparison-overlap]
    if len(kept) != len(mcp_app.user_middleware) - 1:
        raise RuntimeError("the MCP app's authentication middleware was not found")
    mcp_app.user_middleware = kept


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Host/Origin checks against DNS rebinding: loopback names plus the public URL's host."""
    hosts = [f"{h}:*" for h in _LOCAL_HOSTS] + list(_LOCAL_HOSTS)
    origins = [f"http://{h}:*" for h in _LOCAL_HOSTS] + [f"http://{h}" for h in _LOCAL_HOSTS]
    public = urlsplit(settings.base_url())
    if public.hostname and public.netloc not in hosts:
        # A proxy's `Host $host` drops the port, so the bare name must pass too.
        hosts += [public.netloc, public.hostname]
        origins.append(f"{public.scheme}://{public.netloc}")
    return TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins)


async def _vault_error(request: Request, exc: Exception) -> Response:
    """JSON for the API, a page for the web view."""
    assert isinstance(exc, VaultError)
    if isinstance(exc, OAuthError):
        return oauth.oauth_error(exc)
    if request.url.path.startswith(("/api/", "/oauth/token", "/oauth/revoke", "/oauth/register")):
        return errors.vault_error_response(exc)
    return await views.page_error(request, exc)


# Where an unknown address is answered in JSON, as the rest of the API is.
_MACHINE_PATHS = ("/api/", "/oauth/", "/.well-known/", "/mcp")


async def _http_error(request: Request, exc: Exception) -> Response:
    """A page in the site's style for a person's browser, JSON for programs."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and not request.url.path.startswith(_MACHINE_PATHS):
        return await views.missing_page(request)
    return await errors.handle_http_error(request, exc)


def create_app(settings: Settings, embedder: Embedder | None = None) -> Starlette:
    """A fresh app; the database and model open in the background when its lifespan starts."""
    secret = load_or_create_secret(
        settings.jwt_secret.get_secret_value() if settings.jwt_secret else None, settings.data_dir
    )
    handle = ServicesHandle(settings, embedder, act_as_default_user=False, jwt_secret=secret)
    base_url = settings.base_url()
    setup_codes = setup_views.SetupCodeLog(base_url)

    @asynccontextmanager
    async def borrow_services(_: MCPServer[ServicesProvider]) -> AsyncIterator[ServicesProvider]:
        yield handle  # opened and closed by the app's lifespan below

    mcp = build_mcp_server(
        borrow_services,
        token_verifier=VaultTokenVerifier(handle, resource=f"{base_url}/mcp"),
        auth=AuthSettings(
            issuer_url=base_url,  # type: ignore[arg-type]
            resource_server_url=f"{base_url}/mcp",  # type: ignore[arg-type]
            validate_token_resource=True,
        ),
    )
    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        # One JSON body per POST, not an SSE stream: half the round trip (read_note 9.5 ->
        # 5.1 ms, bench.serving), and our tools send nothing mid-call that would need a stream.
        json_response=True,
        # Sessions of the 2025-11-25 revision live in the process that opened them; behind a
        # round-robin upstream they must not exist (docs/deploy.md, "Several backends").
        stateless_http=settings.mcp_stateless,
        transport_security=transport_security(settings),
        host=settings.host,
    )
    _without_sdk_authentication(mcp_app)
    guard_mcp_route(
        mcp_app,
        "/mcp",
        f"{base_url}/.well-known/oauth-protected-resource/mcp",
        SessionCap(mcp.session_manager, MAX_SESSIONS_PER_ACCOUNT),
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # A mounted app's own lifespan never runs: the host must run the session manager.
        async with handle, mcp.session_manager.run():
            bootstrap = asyncio.create_task(bootstrap_accounts(handle, settings, setup_codes))
            with recorded(settings):  # so that stdio on this data dir links to this port
                yield
            bootstrap.cancel()

    app = Starlette(
        routes=[
            Route("/health", health.health),
            Route("/health/live", health.live),
            *api.routes,
            *oauth.routes,
            *views.routes,
            *export_download.routes,
            *trash_views.routes,
            *apps_views.routes,
            *setup_views.routes,
            Mount(
                "/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"
            ),
            Mount("/", app=mcp_app),  # last: it matches every path
        ],
        middleware=[
            Middleware(CorsByPath, origins=settings.cors_allowed_origins),  # before authentication
            Middleware(SecurityHeaders),
            Middleware(
                AuthenticationMiddleware,
                backend=VaultAuthBackend(handle, resource=f"{base_url}/mcp"),
                on_error=on_auth_error,
            ),
        ],
        exception_handlers={
            VaultError: _vault_error,
            HTTPException: _http_error,
            Exception: errors.handle_unexpected,
        },
        lifespan=lifespan,
    )

    async def unknown_path(request: Request, exc: Exception) -> Response:
        # The SDK's app answers every path the host has no route for; the page for it is
        # the host's (its templates, keys and settings), so the request is the host's again.
        request.scope["app"] = app
        return await _http_error(request, exc)

    mcp_app.add_exception_handler(404, unknown_path)
    app.state.services = handle
    app.state.csrf_key = session.csrf_key(secret)
    app.state.settings = settings
    app.state.setup_codes = setup_codes
    return app
