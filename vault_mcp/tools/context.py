"""What every tool needs from a call: the services, the acting owner, and error translation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from vault_mcp.auth.scopes import require_scope
from vault_mcp.errors import Unauthorized, VaultError
from vault_mcp.service import OwnerId

if TYPE_CHECKING:
    from vault_mcp.runtime import Services


class ServicesProvider(Protocol):
    async def get(self) -> Services: ...


ToolContext = Context[ServicesProvider, Any]


async def services_of(ctx: ToolContext, scope: str) -> tuple[Services, OwnerId]:
    """The services, and the owner the call acts for: the token's user, else VAULT_USER.

    Over HTTP the token must carry `scope` (the HTTP gate refuses earlier with a 403; this is
    the second lock). Over stdio there is no token: the local user may do everything.
    """
    return await services_for(ctx.request_context.lifespan_context, scope)


async def services_for(provider: ServicesProvider, scope: str) -> tuple[Services, OwnerId]:
    """services_of for a handler that has the lifespan's provider rather than a tool context."""
    services = await provider.get()
    token = get_access_token()
    if token is not None and token.subject is not None:
        require_scope(token.scopes, scope)
        return services, int(token.subject)
    if services.owner is None:  # HTTP without a token never reaches a tool; refuse anyway
        raise Unauthorized("this call carries no access token")
    return services, services.owner


@contextmanager
def tool_errors() -> Iterator[None]:
    """Our errors become tool errors the model can read and act on.

    The SDK shows the model only "Error executing tool …" for any other exception (a bug's
    details stay in the server log), so every expected failure must pass through here.
    """
    try:
        yield
    except VaultError as exc:
        raise ToolError(exc.message) from exc
