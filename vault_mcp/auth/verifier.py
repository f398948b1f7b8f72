"""VaultTokenVerifier: the MCP SDK's TokenVerifier, backed by our access tokens and accounts."""

from __future__ import annotations

from mcp.server.auth.provider import AccessToken

from vault_mcp.errors import VaultError
from vault_mcp.tools.context import ServicesProvider


class VaultTokenVerifier:
    """Accepts a bearer token only if it is ours, unexpired, for this /mcp, and its user exists."""

    def __init__(self, services: ServicesProvider, resource: str) -> None:
        self._services = services
        self._resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            services = await self._services.get()
            claims = await services.auth.authenticate(token)
        except VaultError:
            return None
        return AccessToken(
            token=token,
            client_id=claims.client_id or "vault-mcp",
            scopes=list(claims.scopes),
            expires_at=claims.expires_at,
            resource=self._resource,
            subject=str(claims.user_id),
        )
