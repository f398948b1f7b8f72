"""`vault-mcp serve`: the web view, the REST API and MCP over streamable HTTP."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from typing import Any

from vault_mcp import __version__
from vault_mcp.settings import Settings

log = logging.getLogger("vault_mcp")


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="serve the web view, the REST API and MCP over streamable HTTP (/mcp)"
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1, or $HOST)")
    serve.add_argument("--port", type=int, help="port (default 8000, or $PORT)")
    serve.set_defaults(handler=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(settings: Settings, _: argparse.Namespace) -> int:
    import uvicorn

    from vault_mcp.web import create_app
    from vault_mcp.web.timeouts import timed_h11

    if not is_loopback(settings.host) and settings.jwt_secret is None:
        print(
            f"vault-mcp: refusing to listen on {settings.host} without JWT_SECRET: tokens "
            "signed with a key kept only in the data dir would not survive a redeploy and are "
            "easy to lose track of. Set JWT_SECRET to 32+ random characters, e.g. from "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`.",
            file=sys.stderr,
        )
        return 2
    base = settings.base_url()
    log.info("vault-mcp %s: web view at %s/, MCP at %s/mcp", __version__, base, base)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=True,
        lifespan="on",
        # Headers and body must arrive within a deadline (uvicorn has none of its own);
        # an idle keep-alive connection is closed after 5 s.
        http=timed_h11(),
        timeout_keep_alive=5,
    )
    return 0
