"""Fetches OAuth client ID metadata documents (CIMD): the client_id is an https URL whose
JSON names the client and its redirect URIs.

Fetching a URL a stranger chose is a server-side request forgery risk, so the fetch is
narrow: https only, a public address only (unless the operator allows private ones), no
redirects, a short timeout, a size cap; and a good document is cached for a while.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

import httpx2

from vault_mcp.auth.redirects import split_url
from vault_mcp.errors import OAuthError
from vault_mcp.untrusted_json import parse_json

MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 5.0
CACHE_SECONDS = 600.0
CACHE_ENTRIES = 256


def looks_like_metadata_url(client_id: str) -> bool:
    return client_id.startswith("https://")


def _refuse(client_id: str, why: str) -> OAuthError:
    return OAuthError("invalid_client", f"client metadata document {client_id!r}: {why}")


def check_metadata_url(client_id: str) -> None:
    """The URL rules of the CIMD draft: https, a host, a path, no fragment or credentials."""
    parts = split_url(client_id) if len(client_id) <= 2000 else None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        raise _refuse(client_id, "the client_id must be an https URL")
    try:
        parts.hostname.encode("idna")  # a label over 63 characters cannot be looked up
    except UnicodeError:
        raise _refuse(client_id, f"{parts.hostname!r} is not a valid host name") from None
    if parts.path in ("", "/") or "/./" in parts.path or "/../" in parts.path:
        raise _refuse(client_id, "the URL needs a path, without dot segments")
    if parts.fragment or parts.username or parts.password:
        raise _refuse(client_id, "the URL may not carry a fragment or credentials")


class ClientMetadataFetcher:
    def __init__(self, *, allow_private_addresses: bool = False) -> None:
        self._allow_private = allow_private_addresses
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._tls: ssl.SSLContext | None = None

    async def fetch(self, client_id: str) -> dict[str, Any]:
        """The document at `client_id`, whose own client_id must be that URL."""
        cached = self._cache.get(client_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        check_metadata_url(client_id)
        await self._check_address(client_id)
        document = await self._download(client_id)
        if not isinstance(document, dict):
            raise _refuse(client_id, "the document is not a JSON object")
        if document.get("client_id") != client_id:
            raise _refuse(client_id, "the document's client_id is not its own URL")
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.pop(next(iter(self._cache)))  # the oldest entry
        self._cache[client_id] = (time.monotonic() + CACHE_SECONDS, document)
        return document

    async def _check_address(self, client_id: str) -> None:
        parts = urlsplit(client_id)
        host, port = parts.hostname or "", parts.port or 443
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):  # UnicodeError: the name has no IDNA form
            raise _refuse(client_id, f"the host {host!r} does not resolve") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global and not self._allow_private:
                raise _refuse(
                    client_id,
                    f"{host!r} resolves to a private address ({address}); this server only "
                    "fetches client metadata from public addresses",
                )

    async def _download(self, client_id: str) -> Any:
        if self._tls is None:
            # The system's trust store (SSL_CERT_FILE is honoured, as everywhere in OpenSSL).
            self._tls = ssl.create_default_context()
        try:
            async with (
                httpx2.AsyncClient(
                    verify=self._tls, follow_redirects=False, timeout=TIMEOUT_SECONDS
                ) as http,
                http.stream("GET", client_id, headers={"Accept": "application/json"}) as response,
            ):
                if response.is_redirect:
                    raise _refuse(client_id, "the document URL redirects; it must not")
                if response.status_code != 200:
                    raise _refuse(client_id, f"fetching it answered HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_BYTES:
                    raise _refuse(client_id, f"the document is over {MAX_BYTES:,} bytes")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise _refuse(client_id, f"the document is over {MAX_BYTES:,} bytes")
        except httpx2.HTTPError as exc:
            raise _refuse(client_id, f"it could not be fetched ({type(exc).__name__})") from None
        try:
            return parse_json(bytes(body))
        except ValueError:
            raise _refuse(client_id, "the document is not valid JSON") from None
