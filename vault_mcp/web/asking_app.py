"""Which app a sign-in is for: the OAuth client behind a `next` of /oauth/authorize."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from vault_mcp.runtime import Services

_AUTHORIZE = "/oauth/authorize"
# The parameters /oauth/authorize reads (vault_mcp.web.oauth.AUTHORIZE_PARAMS), none repeated.
_MAX_PARAMS = 20


async def asking_app(services: Services, next_path: str) -> tuple[str, str] | None:
    """The name and host of the app whose connection request waits behind the sign-in, if
    `next_path` is one that would be accepted; None for any other page."""
    parts = urlsplit(next_path)
    if parts.path != _AUTHORIZE:
        return None
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, max_num_fields=_MAX_PARAMS)
    except ValueError:
        return None
    params = dict(pairs)
    if len(params) != len(pairs):
        return None
    return await services.oauth.asking_app(params)
