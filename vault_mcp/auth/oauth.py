"""OAuthServer: the authorization-code flow with PKCE, refresh, and revocation (OAuth 2.1).

The web layer parses HTTP and renders pages; everything that decides goes through here.
Access tokens are the same JWTs /mcp already verifies, with the resource as their audience;
refresh tokens are the accounts' own, rotated, with reuse detection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from vault_mcp.auth.clients import AUTH_METHODS, ClientRegistry, OAuthClient
from vault_mcp.auth.models import CodeGrant, ConnectedApp, Grant
from vault_mcp.auth.redirects import redirect_matches
from vault_mcp.auth.scopes import ALL_SCOPES, parse_scopes, unknown_scopes
from vault_mcp.auth.service import AuthService
from vault_mcp.auth.stores import CodeStore
from vault_mcp.errors import OAuthError, Unauthorized

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a sha256, unpadded
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1
# Asked for by some clients out of OpenID habit; refresh tokens are always issued here.
_IGNORED_SCOPES = ("offline_access",)
MAX_STATE = 1000


class RedirectedError(OAuthError):
    """An authorization error told to the client at its redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, error: str, description: str, location: str) -> None:
        super().__init__(error, description)
        self.location = location


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked /oauth/authorize request, waiting for the person's answer."""

    client: OAuthClient
    redirect_uri: str
    redirect_uri_given: bool
    state: str | None
    code_challenge: str
    scopes: tuple[str, ...]
    resource: str


def with_query(uri: str, params: Mapping[str, str | None]) -> str:
    """`uri` with `params` added to its query (existing parameters kept, RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OAuthServer:
    def __init__(
        self,
        clients: ClientRegistry,
        codes: CodeStore,
        auth: AuthService,
        *,
        issuer: str,
        resource: str,
    ) -> None:
        self._clients = clients
        self._codes = codes
        self._auth = auth
        self.issuer = issuer
        self.resource = resource

    async def register(self, metadata: object) -> dict[str, Any]:
        """Dynamic client registration (RFC 7591)."""
        return await self._clients.register(metadata)

    # -- /oauth/authorize -------------------------------------------------------------------

    async def authorization_request(self, params: Mapping[str, str]) -> AuthorizationRequest:
        """Check an authorization request.

        Raises OAuthError when the client or redirect URI cannot be trusted (the person is
        told; nothing is sent to the client), RedirectedError for anything the client should
        hear about at its redirect URI.
        """
        client_id = params.get("client_id", "")
        if not client_id:
            raise OAuthError("invalid_request", "the request names no client_id")
        client = await self._clients.find(client_id)
        requested_redirect = params.get("redirect_uri")
        if requested_redirect:
            if not redirect_matches(client.redirect_uris, requested_redirect):
                raise OAuthError(
                    "invalid_request", "the redirect_uri is not one this client registered"
                )
            redirect_uri = requested_redirect
        elif len(client.redirect_uris) == 1:
            redirect_uri = client.redirect_uris[0]
        else:
            raise OAuthError("invalid_request", "the request must name its redirect_uri")

        state = params.get("state") or None
        if state is not None and len(state) > MAX_STATE:
            raise OAuthError("invalid_request", "the state parameter is too long")

        def refuse(error: str, description: str) -> OAuthError:
            if not self._clients.redirect_is_vetted(redirect_uri):
                # Anyone may register any https callback when the operator set no
                # allow-list: sending errors there unasked would make this an open
                # redirector (RFC 9700 §4.11.2), so the person is told on a page instead.
                return OAuthError(error, description)
            location = with_query(
                redirect_uri,
                {
                    "error": error,
                    "error_description": description,
                    "state": state,
                    "iss": self.issuer,
                },
            )
            return RedirectedError(error, description, location)

        if params.get("response_type") != "code":
            raise refuse("unsupported_response_type", 'response_type must be "code"')
        challenge = params.get("code_challenge", "")
        if not challenge:
            raise refuse("invalid_request", "PKCE is required: send a code_challenge")
        if params.get("code_challenge_method") != "S256":
            raise refuse("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.match(challenge):
            raise refuse("invalid_request", "code_challenge is not a base64url SHA-256 digest")
        try:
            scopes = self._requested_scopes(params.get("scope"), client.scopes)
            resource = self._resource(params.get("resource"))
        except OAuthError as exc:
            raise refuse(exc.error, exc.message) from None
        return AuthorizationRequest(
            client,
            redirect_uri,
            bool(requested_redirect),
            state,
            challenge,
            scopes,
            resource,
        )

    def _requested_scopes(self, requested: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
        """The scopes asked for, or (when none are: ChatGPT omits them on reconnect) the
        client's registered ones; never more than the client may have."""
        scopes = tuple(s for s in parse_scopes(requested) if s not in _IGNORED_SCOPES)
        if not scopes:
            return allowed
        unknown = unknown_scopes(scopes)
        if unknown:
            raise OAuthError("invalid_scope", f"unknown scope {unknown[0]!r}")
        beyond = [s for s in scopes if s not in allowed]
        if beyond:
            raise OAuthError("invalid_scope", f"this client may not ask for {beyond[0]!r}")
        return scopes

    def _resource(self, requested: str | None) -> str:
        """RFC 8707: tokens from here are only for this server's /mcp."""
        if requested is None or requested.rstrip("/") == self.resource:
            return self.resource
        raise OAuthError("invalid_target", f"this server issues tokens for {self.resource} only")

    async def approve(self, request: AuthorizationRequest, user_id: int) -> str:
        """Issue a code for the signed-in person's approval; where to send the browser."""
        code = secrets.token_urlsafe(32)
        await self._codes.add(
            code,
            CodeGrant(
                request.client.client_id,
                user_id,
                request.redirect_uri if request.redirect_uri_given else None,
                request.code_challenge,
                request.resource,
                request.scopes,
                fresh=True,
            ),
        )
        return with_query(
            request.redirect_uri, {"code": code, "state": request.state, "iss": self.issuer}
        )

    def deny(self, request: AuthorizationRequest) -> str:
        return with_query(
            request.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "the person declined",
                "state": request.state,
                "iss": self.issuer,
            },
        )

    # -- /oauth/token -----------------------------------------------------------------------

    async def token(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        """The token endpoint: the response body, or an OAuthError for RFC 6749 §5.2."""
        client = await self._authenticate_client(form, basic)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return await self._exchange_code(client, form)
        if grant_type == "refresh_token":
            return await self._refresh(client, form)
        raise OAuthError(
            "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
        )

    async def _authenticate_client(
        self, form: Mapping[str, str], basic: tuple[str, str] | None
    ) -> OAuthClient:
        client_id, secret = (
            basic if basic else (form.get("client_id", ""), form.get("client_secret"))
        )
        if not client_id:
            raise OAuthError("invalid_client", "the request names no client", 401)
        if basic and form.get("client_id") not in (None, client_id):
            raise OAuthError("invalid_request", "two different client_ids in one request")
        try:
            client = await self._clients.find(client_id)
        except OAuthError as exc:
            raise OAuthError("invalid_client", exc.message, 401) from None
        if client.auth_method != "none" and not client.secret_matches(secret):
            raise OAuthError("invalid_client", "the client secret is missing or wrong", 401)
        return client

    async def _exchange_code(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        code = form.get("code", "")
        if not code:
            raise OAuthError("invalid_request", "the request carries no code")

        def matches(grant: CodeGrant) -> None:
            if grant.client_id != client.client_id:
                raise OAuthError("invalid_grant", "the code was issued to another client")
            if not grant.fresh:
                raise OAuthError("invalid_grant", "the code has expired; authorize again")
            if grant.redirect_uri is not None and form.get("redirect_uri") != grant.redirect_uri:
                raise OAuthError("invalid_grant", "redirect_uri differs from the authorization's")
            verifier = form.get("code_verifier", "")
            if not _VERIFIER.match(verifier):
                raise OAuthError("invalid_grant", "a valid PKCE code_verifier is required")
            if not hmac.compare_digest(s256(verifier), grant.code_challenge):
                raise OAuthError("invalid_grant", "the code_verifier does not match the challenge")
            if "resource" in form and form["resource"].rstrip("/") != grant.resource:
                raise OAuthError("invalid_target", "resource differs from the authorization's")

        # RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for; the store
        # spends, checks, issues and binds in one transaction so a racing replay cannot miss.
        try:
            refresh_token, issued = await self._codes.exchange(code, matches)
        except Unauthorized as exc:
            raise OAuthError("invalid_grant", exc.message) from None
        return self._token_response(issued, refresh_token)

    async def _refresh(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        token = form.get("refresh_token", "")
        if not token:
            raise OAuthError("invalid_request", "the request carries no refresh_token")
        narrowed = tuple(s for s in parse_scopes(form.get("scope")) if s not in _IGNORED_SCOPES)

        def within_grant(grant: Grant) -> None:
            beyond = [s for s in narrowed if s not in grant.scopes]
            if beyond:
                raise OAuthError("invalid_scope", f"{beyond[0]!r} was not granted; authorize again")
            if "resource" in form and form["resource"].rstrip("/") != grant.resource:
                raise OAuthError("invalid_target", "resource differs from the authorization's")

        try:
            rotated, grant = await self._auth.rotate_grant(token, client.client_id, within_grant)
        except Unauthorized as exc:
            raise OAuthError("invalid_grant", exc.message) from None
        return self._token_response(grant, rotated, narrowed or None)

    def _token_response(
        self, grant: Grant, refresh_token: str, scopes: tuple[str, ...] | None = None
    ) -> dict[str, Any]:
        pair = self._auth.pair(grant, refresh_token, scopes)
        return {
            "access_token": pair.access_token,
            "token_type": "Bearer",
            "expires_in": pair.expires_in,
            "refresh_token": pair.refresh_token,
            "scope": pair.scope,
        }

    # -- /oauth/revoke ----------------------------------------------------------------------

    async def revoke(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> None:
        """RFC 7009: revoke a refresh or access token of this client, and its whole sign-in.
        Unknown or foreign tokens are ignored (the answer is the same either way)."""
        client = await self._authenticate_client(form, basic)
        token = form.get("token", "")
        if not token:
            raise OAuthError("invalid_request", "the request carries no token")
        await self._auth.revoke_grant(token, client.client_id)

    # -- connected apps (the account's page) ------------------------------------------------

    async def connected_apps(self, user_id: int) -> list[ConnectedApp]:
        """The account's connected clients, each with the name and host it is known by."""
        apps = []
        for app in await self._auth.connected_apps(user_id):
            name, host = await self._clients.describe(app.client_id)
            apps.append(replace(app, name=name, host=host))
        return apps

    async def asking_app(self, params: Mapping[str, str]) -> tuple[str, str] | None:
        """The name and host of the client behind a pending authorization request, or None
        if the request would be refused anyway (the sign-in page names no one then)."""
        try:
            request = await self.authorization_request(params)
        except OAuthError:
            return None
        return request.client.display_name, request.client.host(request.redirect_uri)

    # -- discovery --------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 authorization-server metadata; every URL from the public base URL."""
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "registration_endpoint": f"{base}/oauth/register",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "scopes_supported": list(ALL_SCOPES),
            "client_id_metadata_document_supported": True,
            "authorization_response_iss_parameter_supported": True,
        }
