"""CORS for browser MCP clients: /mcp, the OAuth endpoints a client calls, and the metadata.

Why this is safe: none of these paths is ever authenticated by a cookie (web/authn.py), so a
page on another origin can only use a token it already holds; that is what `*` allows, and
credentials (cookies) are never allowed, for any origin. The web view and /api/v1/auth/*, where
a session cookie counts, get no CORS headers at all. A preflight is answered here, before
authentication, which would otherwise refuse it with 401 (it carries no token by design).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# What a streamable HTTP MCP client sends and must read (2025-11-25 and 2026-07-28).
MCP_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Mcp-Session-Id",
    "Mcp-Protocol-Version",
    "Mcp-Method",
    "Mcp-Name",
    "Last-Event-ID",
)
MCP_RESPONSE_HEADERS = ("Mcp-Session-Id", "Mcp-Protocol-Version", "WWW-Authenticate")
# The OAuth endpoints a browser-based client calls itself (not /oauth/authorize: that one is
# a page the person signs in on, with a cookie).
OAUTH_PATHS = ("/oauth/register", "/oauth/token", "/oauth/revoke")
METADATA_PREFIX = "/.well-known/"


class CorsByPath:
    """One CORS policy per family of paths; every other path passes untouched."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.app = app
        # The SDK checks Origin on /mcp against DNS rebinding; an origin allowed here has
        # passed that judgement, so the SDK sees the request as it would a same-origin one.
        self._mcp = CORSMiddleware(
            _WithoutAllowedOrigin(app, origins),
            allow_origins=origins,
            allow_methods=("GET", "POST", "DELETE"),
            allow_headers=MCP_REQUEST_HEADERS,
            expose_headers=MCP_RESPONSE_HEADERS,
        )
        self._oauth = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=("POST",),
            allow_headers=("Authorization", "Content-Type"),
            expose_headers=("WWW-Authenticate",),
        )
        # Discovery documents are public: any origin may read them, with any request header
        # (SDK clients send Mcp-Protocol-Version along, which makes their fetch preflighted).
        self._metadata = CORSMiddleware(
            app, allow_origins=("*",), allow_methods=("GET",), allow_headers=("*",)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/mcp":
            await self._mcp(scope, receive, send)
        elif path in OAUTH_PATHS:
            await self._oauth(scope, receive, send)
        elif path.startswith(METADATA_PREFIX):
            await self._metadata(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _WithoutAllowedOrigin:
    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.app = app
        self._any = "*" in origins
        self._origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin")
        if origin is not None and (self._any or origin in self._origins):
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"origin"]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
