"""The HTTP app: /health and streamable-HTTP MCP at /mcp, sharing one set of services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from vault_mcp.runtime import ServicesHandle
from vault_mcp.service import Embedder
from vault_mcp.settings import Settings
from vault_mcp.tools import build_mcp_server
from vault_mcp.tools.context import ServicesProvider
from vault_mcp.web import health

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


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


def create_app(settings: Settings, embedder: Embedder | None = None) -> Starlette:
    """A fresh app; the database and model open in the background when its lifespan starts."""
    handle = ServicesHandle(settings, embedder)

    @asynccontextmanager
    async def borrow_services(_: MCPServer[ServicesProvider]) -> AsyncIterator[ServicesProvider]:
        yield handle  # opened and closed by the app's lifespan below

    mcp = build_mcp_server(borrow_services)
    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=transport_security(settings),
        host=settings.host,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # A mounted app's own lifespan never runs: the host must run the session manager.
        async with handle, mcp.session_manager.run():
            yield

    app = Starlette(
        routes=[
            Route("/health", health.health),
            Route("/health/live", health.live),
            Mount("/", app=mcp_app),  # last: it matches every path
        ],
        lifespan=lifespan,
    )
    app.state.services = handle
    return app
