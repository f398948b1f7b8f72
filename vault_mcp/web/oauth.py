"""The OAuth 2.1 endpoints: discovery, registration, the consent page, token and revocation.

HTTP only: every decision is OAuthServer's (vault_mcp.auth.oauth).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from vault_mcp.auth.oauth import AuthorizationRequest, RedirectedError
from vault_mcp.auth.redirects import origin_of
from vault_mcp.auth.scopes import ALL_SCOPES, READ, WRITE
from vault_mcp.errors import OAuthError
from vault_mcp.untrusted_json import parse_json
from vault_mcp.web.context import read_body, services_of
from vault_mcp.web.security import CONTENT_SECURITY_POLICY
from vault_mcp.web.views import form_with_csrf, render, signed_in, to_login

MAX_BODY = 16 * 1024
SCOPE_WORDING = {
    READ: "read and search your notes",
    WRITE: "create, change and delete your notes",
}
# The request parameters the consent form carries back to the POST.
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "resource",
)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(exc: OAuthError) -> JSONResponse:
    """The error body of RFC 6749 §5.2 (and RFC 7591 §3.2.2)."""
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="vault-mcp"'
    return JSONResponse(
        {"error": exc.error, "error_description": exc.message}, exc.status, headers=headers
    )


# -- discovery ---------------------------------------------------------------------------------


async def authorization_server_metadata(request: Request) -> Response:
    services = await services_of(request)
    return JSONResponse(services.oauth.metadata(), headers={"Access-Control-Allow-Origin": "*"})


async def protected_resource_metadata(request: Request) -> Response:
    """RFC 9728, served here rather than by the SDK so it lists every scope a token may
    carry (the SDK lists the scopes it requires for every request, and we require none)."""
    services = await services_of(request)
    body = {
        "resource": services.oauth.resource,
        "authorization_servers": [services.oauth.issuer],
        "scopes_supported": list(ALL_SCOPES),
        "bearer_methods_supported": ["header"],
        "resource_name": "vault-mcp",
    }
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})


# -- registration ------------------------------------------------------------------------------


async def register(request: Request) -> Response:
    services = await services_of(request)
    try:
        metadata = parse_json(await read_body(request, MAX_BODY))
    except ValueError as exc:
        return oauth_error(OAuthError("invalid_client_metadata", f"the body is not JSON: {exc}"))
    try:
        registered = await services.oauth.register(metadata)
    except OAuthError as exc:
        return oauth_error(exc)
    return JSONResponse(registered, 201, headers=_NO_STORE)


# -- authorization (the person's part) ---------------------------------------------------------


def _consent_policy(redirect_uri: str) -> str:
    """The page's CSP, letting its form's redirect reach the client's callback: browsers
    apply form-action to where a submitted form is redirected."""
    origin = origin_of(redirect_uri)
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


def _refusal_page(request: Request, exc: OAuthError) -> Response:
    return render(
        request,
        "error.html",
        400,
        title="Cannot connect",
        message=f"This connection request cannot be used: {exc.message}.",
    )


async def authorize(request: Request) -> Response:
    services = await services_of(request)
    decision = None
    if request.method == "POST":
        form = await form_with_csrf(request)
        params = {k: v for k in AUTHORIZE_PARAMS if isinstance(v := form.get(k), str)}
        decision = form.get("decision")
    else:
        params = {k: v for k, v in request.query_params.items() if k in AUTHORIZE_PARAMS}
        if len(dict(request.query_params)) != len(request.query_params.multi_items()):
            # RFC 6749 §3.1 (and one resource only, RFC 8707): no parameter twice.
            return _refusal_page(request, OAuthError("invalid_request", "a parameter is repeated"))
    try:
        auth_request = await services.oauth.authorization_request(params)
    except RedirectedError as exc:
        return RedirectResponse(exc.location, 302)
    except OAuthError as exc:
        return _refusal_page(request, exc)

    person = await signed_in(request)
    if person is None:
        return to_login(request, "/oauth/authorize?" + urlencode(params))
    _, user_id, username = person
    if request.method == "GET":
        return _consent_page(request, auth_request, params, username)
    if decision == "approve":
        location = await services.oauth.approve(auth_request, user_id)
    else:
        location = services.oauth.deny(auth_request)
    return RedirectResponse(location, 303)


def _consent_page(
    request: Request, auth_request: AuthorizationRequest, params: dict[str, str], username: str
) -> Response:
    response = render(
        request,
        "consent.html",
        user=username,
        client_name=auth_request.client.display_name,
        client_id=auth_request.client.client_id,
        client_host=auth_request.client.host(auth_request.redirect_uri),
        redirect_host=urlsplit(auth_request.redirect_uri).netloc,
        scopes=[(s, SCOPE_WORDING[s]) for s in auth_request.scopes],
        params=params,
    )
    response.headers["Content-Security-Policy"] = _consent_policy(auth_request.redirect_uri)
    return response


# -- token and revocation (the client's part) --------------------------------------------------


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "the Basic credentials cannot be read", 401) from None
    return unquote(client_id), unquote(secret)  # RFC 6749 §2.3.1 form-encodes both


async def _form_fields(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "send the parameters form-encoded (RFC 6749 §4.1.3)")
    try:
        pairs = parse_qsl((await read_body(request, MAX_BODY)).decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "the body is not UTF-8") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:  # RFC 6749 §3.2: parameters must not be repeated
            raise OAuthError("invalid_request", f"the parameter {name!r} is repeated")
        fields[name] = value
    return fields


async def token(request: Request) -> Response:
    services = await services_of(request)
    try:
        fields = await _form_fields(request)
        body: dict[str, Any] = await services.oauth.token(fields, _basic_credentials(request))
    except OAuthError as exc:
        return oauth_error(exc)
    return JSONResponse(body, headers=_NO_STORE)


async def revoke(request: Request) -> Response:
    services = await services_of(request)
    try:
        fields = await _form_fields(request)
        await services.oauth.revoke(fields, _basic_credentials(request))
    except OAuthError as exc:
        return oauth_error(exc)
    return Response(status_code=200, headers=_NO_STORE)


routes = [
    Route("/.well-known/oauth-authorization-server", authorization_server_metadata),
    Route("/.well-known/openid-configuration", authorization_server_metadata),
    Route("/.well-known/oauth-protected-resource", protected_resource_metadata),
    Route("/.well-known/oauth-protected-resource/mcp", protected_resource_metadata),
    Route("/oauth/register", register, methods=["POST"]),
    Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
]
