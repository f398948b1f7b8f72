"""OAuth clients: dynamic registration (RFC 7591) and client ID metadata documents (CIMD).

Registering gives a client nothing by itself: every token still needs a person to sign in
and approve it, and no client is ever registered for more than the default scopes.
"""

from __future__ import annotations

import hmac
import secrets
import time
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vault_mcp.auth.cimd import ClientMetadataFetcher, looks_like_metadata_url
from vault_mcp.auth.models import StoredClient, digest
from vault_mcp.auth.redirects import check_redirect_uri, is_loopback_http
from vault_mcp.auth.scopes import ALL_SCOPES, parse_scopes
from vault_mcp.auth.stores import ClientStore
from vault_mcp.domain import check_text
from vault_mcp.errors import InvalidInput, OAuthError

AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_REDIRECT_URIS = 10
MAX_NAME = 200


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    name: str | None
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    auth_method: str
    secret_hash: bytes | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.client_id

    def host(self, redirect_uri: str) -> str:
        """Who the client really is: its metadata document's host, or else the host its
        codes go to (a registered name is whatever the registrant typed)."""
        if looks_like_metadata_url(self.client_id):
            return urlsplit(self.client_id).netloc
        return urlsplit(redirect_uri).netloc

    def secret_matches(self, secret: str | None) -> bool:
        if self.secret_hash is None or secret is None:
            return False
        return hmac.compare_digest(self.secret_hash, digest(secret))


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_client_metadata", description)


def _check_texts(metadata: dict[str, Any]) -> None:
    """Every string of the registration (fields and list items) is text the database can
    store: the response is kept as written, so one NUL anywhere would fail the insert."""
    for field, value in metadata.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                try:
                    check_text(str(field), item)
                except InvalidInput as exc:
                    raise _invalid(exc.message) from None


def _storable(text: str) -> bool:
    """Non-empty text a lookup can send; a client_id with a NUL names no client."""
    try:
        return bool(check_text("client_id", text))
    except InvalidInput:
        return False


def _string_list(value: object, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(f"{name} must be a list of strings")
    return tuple(value)


def _name(metadata: dict[str, Any]) -> str | None:
    name = metadata.get("client_name")
    if name is None:
        return None
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise _invalid(f"client_name must be a string of at most {MAX_NAME} characters")
    # The name is shown to the person deciding whether to let the app in: control and
    # format characters (U+202E reverses the host printed after it) could make it lie.
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise _invalid("client_name must not contain control or text-direction characters")
    return name.strip() or None


def _scopes(metadata: dict[str, Any]) -> tuple[str, ...]:
    """The requested scopes this server knows; all of them if none is named (never more)."""
    requested = metadata.get("scope")
    if requested is not None and not isinstance(requested, str):
        raise _invalid("scope must be a space-separated string")
    known = tuple(s for s in parse_scopes(requested) if s in ALL_SCOPES)
    return known or ALL_SCOPES


class ClientRegistry:
    def __init__(
        self,
        store: ClientStore,
        fetcher: ClientMetadataFetcher,
        redirect_allowlist: tuple[str, ...] = (),
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._allowlist = redirect_allowlist

    def redirect_is_vetted(self, uri: str) -> bool:
        """Whether an error may be sent to `uri` unasked: it is on the operator's allow-list
        (every registered URI is, when there is one), or on this very machine."""
        return bool(self._allowlist) or is_loopback_http(uri)

    def _redirect_uris(self, metadata: dict[str, Any]) -> tuple[str, ...]:
        uris = metadata.get("redirect_uris")
        if not isinstance(uris, list) or not uris:
            raise OAuthError("invalid_redirect_uri", "redirect_uris must be a non-empty list")
        if len(uris) > MAX_REDIRECT_URIS:
            raise OAuthError("invalid_redirect_uri", f"at most {MAX_REDIRECT_URIS} redirect URIs")
        return tuple(check_redirect_uri(uri, self._allowlist) for uri in uris)

    async def register(self, metadata: object) -> dict[str, Any]:
        """Register a client (RFC 7591 §3); the response carries its client_id (and secret)."""
        if not isinstance(metadata, dict):
            raise _invalid("the registration must be a JSON object")
        _check_texts(metadata)
        redirect_uris = self._redirect_uris(metadata)
        grant_types = _string_list(metadata.get("grant_types"), "grant_types", GRANT_TYPES)
        if "authorization_code" not in grant_types or set(grant_types) - set(GRANT_TYPES):
            raise _invalid("grant_types must be authorization_code, optionally with refresh_token")
        response_types = _string_list(metadata.get("response_types"), "response_types", ("code",))
        if set(response_types) != {"code"}:
            raise _invalid('response_types must be ["code"]')
        # RFC 7591 §2: an omitted method means client_secret_basic.
        method = metadata.get("token_endpoint_auth_method") or "client_secret_basic"
        if method not in AUTH_METHODS:
            raise _invalid(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}")

        client_id = secrets.token_urlsafe(24)
        secret = None if method == "none" else secrets.token_urlsafe(32)
        client = StoredClient(
            client_id,
            None if secret is None else digest(secret),
            _name(metadata),
            redirect_uris,
            _scopes(metadata),
            method,
        )
        response: dict[str, Any] = {
            "client_id": client_id,
            "client_id_issued_at": int(time.time()),
            "redirect_uris": list(redirect_uris),
            "grant_types": list(grant_types),
            "response_types": ["code"],
            "token_endpoint_auth_method": method,
            "scope": " ".join(client.scopes),
        }
        if client.name:
            response["client_name"] = client.name
        if isinstance(metadata.get("application_type"), str):
            response["application_type"] = metadata["application_type"]
        await self._store.add(client, response)  # stored without the secret
        if secret is not None:
            response |= {"client_secret": secret, "client_secret_expires_at": 0}
        return response

    async def find(self, client_id: str) -> OAuthClient:
        """The client named by `client_id`: registered here, or described by its URL."""
        if looks_like_metadata_url(client_id):
            return self._from_document(client_id, await self._fetcher.fetch(client_id))
        stored = await self._store.get(client_id) if _storable(client_id) else None
        if stored is None:
            raise OAuthError(
                "invalid_client", "this client is not registered here; register it again", 401
            )
        return OAuthClient(
            stored.client_id,
            stored.name,
            stored.redirect_uris,
            stored.scopes,
            stored.auth_method,
            stored.secret_hash,
        )

    async def describe(self, client_id: str) -> tuple[str | None, str | None]:
        """A connected client's name and host for a listing, without fetching anything."""
        if looks_like_metadata_url(client_id):
            document = self._fetcher.cached(client_id) or {}
            name = document.get("client_name")
            return (name if isinstance(name, str) else None), urlsplit(client_id).netloc
        stored = await self._store.get(client_id) if _storable(client_id) else None
        if stored is None:
            return None, None
        return stored.name, urlsplit(
            stored.redirect_uris[0]
        ).netloc if stored.redirect_uris else None

    def _from_document(self, client_id: str, document: dict[str, Any]) -> OAuthClient:
        try:
            redirect_uris = self._redirect_uris(document)
            name = _name(document)
            scopes = _scopes(document)
        except OAuthError as exc:
            raise OAuthError("invalid_client", f"client metadata document: {exc.message}") from None
        # A document is public, so it can hold no shared secret: its clients are public ones.
        if document.get("token_endpoint_auth_method", "none") != "none":
            raise OAuthError(
                "invalid_client",
                'client metadata documents must use token_endpoint_auth_method "none" here',
            )
        return OAuthClient(client_id, name, redirect_uris, scopes, "none")
