"""Which redirect URIs a client may register, and whether a requested one matches (RFC 8252)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from vault_mcp.errors import OAuthError

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
MAX_URI_LENGTH = 2000
# A DNS name or an IP literal: the origin ends up in the consent page's CSP, so nothing else.
_HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]+$|^[0-9a-f:.]+$")


def split_url(uri: str) -> SplitResult | None:
    """The parts of `uri`, or None when it does not parse: urlsplit raises on a broken IPv6
    literal (`http://[::1/cb`) and `.port` on a port that is not a number up to 65535."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return parts


def is_loopback_http(uri: str) -> bool:
    parts = split_url(uri)
    return parts is not None and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def check_redirect_uri(uri: object, allowlist: Iterable[str] = ()) -> str:
    """`uri` if a client may register it: https, or http on a loopback address (RFC 8252 §7.3),
    absolute, without a fragment; and on the operator's allow-list when there is one."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH:
        raise OAuthError("invalid_redirect_uri", "each redirect URI must be a non-empty string")
    if any(c <= " " or c == "\x7f" for c in uri):  # RFC 3986 has no raw controls or spaces
        raise OAuthError("invalid_redirect_uri", f"{uri!r} contains a space or control character")
    parts = split_url(uri)
    if parts is None:
        raise OAuthError("invalid_redirect_uri", f"{uri!r} is not a valid URL")
    if parts.fragment or "#" in uri:
        raise OAuthError("invalid_redirect_uri", f"{uri!r}: a redirect URI has no fragment")
    if not parts.hostname or not _HOSTNAME.match(parts.hostname):
        raise OAuthError("invalid_redirect_uri", f"{uri!r} is not an absolute URL with a host")
    if parts.username is not None or parts.password is not None:
        raise OAuthError("invalid_redirect_uri", f"{uri!r}: a redirect URI has no credentials")
    if parts.scheme != "https" and not is_loopback_http(uri):
        raise OAuthError(
            "invalid_redirect_uri",
            f"{uri!r}: redirect URIs must use https, or http on a loopback address",
        )
    allowed = list(allowlist)
    if allowed and not redirect_matches(allowed, uri):
        raise OAuthError(
            "invalid_redirect_uri",
            f"{uri!r} is not among the redirect URIs this server's operator allows",
        )
    return uri


def origin_of(uri: str) -> str:
    """scheme://host[:port] of a redirect URI that passed check_redirect_uri."""
    parts = urlsplit(uri)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def redirect_matches(registered: Iterable[str], requested: str) -> bool:
    """Exact match; for loopback http URIs any port, since native apps pick one at run time.
    A requested URI that does not parse (a port past 65535, say) matches nothing."""
    if requested in registered:
        return True
    want = split_url(requested)
    if want is None or not is_loopback_http(requested):
        return False
    for uri in registered:
        have = split_url(uri)
        if (
            have is not None
            and is_loopback_http(uri)
            and (have.hostname, have.path, have.query) == (want.hostname, want.path, want.query)
        ):
            return True
    return False
