"""Fetches OAuth client ID metadata documents (CIMD): the client_id is an https URL whose
JSON names the client and its redirect URIs.

Fetching a URL a stranger chose is a server-side request forgery risk, so the fetch is
narrow: https only, a public address only (unless the operator allows private ones), no
redirects, one overall deadline, a size cap. The name is resolved once, in the form the
connection uses (IDNA 2008, as httpx encodes it), every address is vetted, and the
connection goes to the vetted address (TLS still checks the certificate for the name), so
DNS cannot answer differently between the check and the connect. Good documents are cached
for a while, failures for a minute, so a stranger cannot make this server fetch in a loop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2
from httpcore2 import AsyncNetworkBackend, AsyncNetworkStream

from vault_mcp.errors import OAuthError
from vault_mcp.untrusted_json import parse_json

MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 5.0  # for the whole fetch: resolving, connecting and reading
CACHE_SECONDS = 600.0
FAILURE_CACHE_SECONDS = 60.0
CACHE_ENTRIES = 256

Resolver = Callable[[str, int], Awaitable[list[str]]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 forms that carry an IPv4 address inside (NAT64, 6to4, Teredo): Python 3.11's
# is_global judges the IPv6 wrapper, not the address a gateway would forward to.
_TUNNELS = tuple(
    ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32")
)


def looks_like_metadata_url(client_id: str) -> bool:
    return client_id.startswith("https://")


def _refuse(client_id: str, why: str) -> OAuthError:
    return OAuthError("invalid_client", f"client metadata document {client_id[:200]!r}: {why}")


def is_public_address(address: Address) -> bool:
    """A globally routable unicast address, looking through IPv4-in-IPv6 forms."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if any(address in network for network in _TUNNELS):
            return False
    return address.is_global and not address.is_multicast


def check_metadata_url(client_id: str) -> httpx2.URL:
    """The URL rules of the CIMD draft (https, a host, a path, no fragment or credentials),
    and the URL as the connection will use it."""
    if len(client_id) > 2000:
        raise _refuse(client_id, "the URL is over 2,000 characters")
    try:
        parts = urlsplit(client_id)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
        url = httpx2.URL(client_id)
    except (ValueError, httpx2.InvalidURL):
        raise _refuse(client_id, "the client_id is not a valid URL") from None
    if parts.scheme != "https" or not parts.hostname or url.scheme != "https" or not url.host:
        raise _refuse(client_id, "the client_id must be an https URL")
    try:
        parts.hostname.encode("idna")  # a label over 63 characters cannot be looked up
    except UnicodeError:
        raise _refuse(client_id, f"{parts.hostname!r} is not a valid host name") from None
    if parts.path in ("", "/") or "/./" in parts.path or "/../" in parts.path:
        raise _refuse(client_id, "the URL needs a path, without dot segments")
    if parts.fragment or parts.username or parts.password:
        raise _refuse(client_id, "the URL may not carry a fragment or credentials")
    return url


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _PinnedBackend(AsyncNetworkBackend):
    """Connects to one vetted address whatever host the request names."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        return await self._inner.connect_tcp(
            self._address, port, timeout, local_address, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class ClientMetadataFetcher:
    def __init__(
        self,
        *,
        allow_private_addresses: bool = False,
        resolve: Resolver = system_resolver,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._allow_private = allow_private_addresses
        self._resolve = resolve
        self._timeout = timeout
        self._cache: dict[str, tuple[float, dict[str, Any] | OAuthError]] = {}
        self._tls: ssl.SSLContext | None = None

    async def fetch(self, client_id: str) -> dict[str, Any]:
        """The document at `client_id`, whose own client_id must be that URL."""
        cached = self._cache.get(client_id)
        if cached is not None and cached[0] > time.monotonic():
            if isinstance(cached[1], OAuthError):
                raise cached[1]
            return cached[1]
        try:
            document = await self._fetch(client_id)
        except OAuthError as exc:
            self._remember(client_id, exc, FAILURE_CACHE_SECONDS)
            raise
        self._remember(client_id, document, CACHE_SECONDS)
        return document

    def cached(self, client_id: str) -> dict[str, Any] | None:
        """The document if it is cached and good, without fetching (a listing's names)."""
        cached = self._cache.get(client_id)
        if cached is None or cached[0] <= time.monotonic() or isinstance(cached[1], OAuthError):
            return None
        return cached[1]

    def _remember(self, client_id: str, value: dict[str, Any] | OAuthError, ttl: float) -> None:
        self._cache.pop(client_id, None)
        while len(self._cache) >= CACHE_ENTRIES:
            self._cache.pop(next(iter(self._cache)))  # the oldest entry
        self._cache[client_id] = (time.monotonic() + ttl, value)

    async def _fetch(self, client_id: str) -> dict[str, Any]:
        url = check_metadata_url(client_id)
        try:
            async with asyncio.timeout(self._timeout):
                address = await self._vetted_address(client_id, url)
                body = await self._download(client_id, url, address)
        except TimeoutError:
            raise _refuse(client_id, f"fetching it took over {self._timeout:g} s") from None
        try:
            document = parse_json(body)
        except ValueError:
            raise _refuse(client_id, "the document is not valid JSON") from None
        if not isinstance(document, dict):
            raise _refuse(client_id, "the document is not a JSON object")
        if document.get("client_id") != client_id:
            raise _refuse(client_id, "the document's client_id is not its own URL")
        return document

    async def _vetted_address(self, client_id: str, url: httpx2.URL) -> str:
        host = url.raw_host.decode("ascii")  # IDNA-encoded exactly as the connection sends it
        port = url.port or 443
        try:
            answers = await self._resolve(host, port)
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in answers]
        except (OSError, ValueError, UnicodeError):  # UnicodeError: no IDNA form
            raise _refuse(client_id, f"the host {host!r} does not resolve") from None
        if not addresses:
            raise _refuse(client_id, f"the host {host!r} does not resolve")
        for address in addresses:
            if not self._allow_private and not is_public_address(address):
                raise _refuse(
                    client_id,
                    f"{host!r} resolves to a private address ({address}); this server only "
                    "fetches client metadata from public addresses",
                )
        return str(addresses[0])

    async def _download(self, client_id: str, url: httpx2.URL, address: str) -> bytes:
        if self._tls is None:
            # The system's trust store (SSL_CERT_FILE is honoured, as everywhere in OpenSSL);
            # loading it reads files, so not on the event loop.
            self._tls = await asyncio.to_thread(ssl.create_default_context)
        request_url = httpcore2.URL(
            scheme=b"https", host=url.raw_host, port=url.port, target=url.raw_path
        )
        headers = [(b"Host", url.netloc), (b"Accept", b"application/json")]
        try:
            async with (
                httpcore2.AsyncConnectionPool(
                    ssl_context=self._tls, network_backend=_PinnedBackend(address)
                ) as pool,
                pool.stream("GET", request_url, headers=headers) as response,
            ):
                if 300 <= response.status < 400:
                    raise _refuse(client_id, "the document URL redirects; it must not")
                if response.status != 200:
                    raise _refuse(client_id, f"fetching it answered HTTP {response.status}")
                declared = b""
                for name, value in response.headers:
                    if name.lower() == b"content-length":
                        declared = value
                if declared.isdigit() and int(declared) > MAX_BYTES:
                    raise _refuse(client_id, f"the document is over {MAX_BYTES:,} bytes")
                body = bytearray()
                async for chunk in response.aiter_stream():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise _refuse(client_id, f"the document is over {MAX_BYTES:,} bytes")
        except httpcore2.TimeoutException:
            raise _refuse(client_id, f"fetching it took over {self._timeout:g} s") from None
        except (httpcore2.NetworkError, httpcore2.ProtocolError, ssl.SSLError, OSError) as exc:
            raise _refuse(client_id, f"it could not be fetched ({type(exc).__name__})") from None
        return bytes(body)
