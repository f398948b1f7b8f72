"""ScopeGate: a tools/call whose token lacks the tool's scope is refused with HTTP 403.

The MCP authorization spec's answer to a token with too little scope is a 403 with
`WWW-Authenticate: Bearer error="insufficient_scope", scope=…`, which lets a client step up
(ask the person for more). Inside a tool it is too late for a status code, so this gate sits
in front of the SDK's /mcp handler, after its authentication middleware has put the token's
scopes on the request. The tools check again (vault_mcp.tools.context.services_of).
"""

from __future__ import annotations

from typing import Any

from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE
from starlette.authentication import AuthCredentials
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault_mcp.auth.scopes import TOOL_SCOPES
from vault_mcp.untrusted_json import parse_json
from vault_mcp.web.mcp_sessions import SessionCap


def _needed_scopes(payload: Any) -> list[str]:
    """The scopes the tool calls in a JSON-RPC message (or batch) need."""
    messages = payload if isinstance(payload, list) else [payload]
    needed = []
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            scope = TOOL_SCOPES.get(name) if isinstance(name, str) else None
            if scope is not None:  # an unknown tool is the MCP server's to answer
                needed.append(scope)
    return needed


class ScopeGate:
    def __init__(
        self, app: ASGIApp, resource_metadata_url: str, sessions: SessionCap | None = None
    ) -> None:
        self.app = app
        self._resource_metadata_url = resource_metadata_url
        self._sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        credentials = scope.get("auth")
        authenticated = getattr(scope.get("user"), "is_authenticated", False)
        if scope["type"] != "http" or scope["method"] != "POST" or not authenticated:
            await self.app(scope, receive, send)  # no valid token: the SDK answers 401
            return
        assert isinstance(credentials, AuthCredentials)
        if self._sessions is not None and not _header(scope, b"mcp-session-id"):
            subject = getattr(getattr(scope.get("user"), "access_token", None), "subject", None)
            if self._sessions.full(subject):
                await self._too_many_sessions()(scope, receive, send)
                return
        body, complete = await _read_body(receive)
        if not complete:
            response = JSONResponse({"error": "payload_too_large"}, 413)
            await response(scope, receive, send)
            return
        try:
            payload = parse_json(body)
        except ValueError:
            payload = None  # the SDK answers a parse error
        missing = [s for s in _needed_scopes(payload) if s not in credentials.scopes]
        if missing:
            await self._refuse(missing[0])(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_many_sessions(self) -> JSONResponse:
        assert self._sessions is not None
        message = (
            f"this account already has {self._sessions.limit} open MCP sessions; close one "
            "(DELETE /mcp with its Mcp-Session-Id) or wait for an idle one to expire"
        )
        body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}
        return JSONResponse(body, 429, headers={"Retry-After": "60"})

    def _refuse(self, scope: str) -> JSONResponse:
        description = f"this tool needs the {scope} scope, which the access token lacks"
        challenge = (
            f'Bearer error="insufficient_scope", scope="{scope}", '
            f'resource_metadata="{self._resource_metadata_url}", '
            f'error_description="{description}"'
        )
        return JSONResponse(
            {"error": "insufficient_scope", "error_description": description},
            403,
            headers={"WWW-Authenticate": challenge},
        )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and False if it grew past the SDK's own limit."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body), True  # a disconnect: let the app see an empty request
        body += message.get("body", b"")
        if len(body) > DEFAULT_MAX_REQUEST_BODY_SIZE:
            return bytes(body), False
        if not message.get("more_body", False):
            return bytes(body), True


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def guard_mcp_route(
    app: Any, path: str, resource_metadata_url: str, sessions: SessionCap | None = None
) -> None:
    """Put a ScopeGate in front of the MCP endpoint of the SDK's Starlette app."""
    for route in app.routes:
        if isinstance(route, Route) and route.path == path:
            route.app = ScopeGate(route.app, resource_metadata_url, sessions)
            return
    raise RuntimeError(f"the MCP app has no route {path}; cannot enforce tool scopes")
