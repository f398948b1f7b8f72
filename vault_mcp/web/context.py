"""What a request handler needs from the app: the services handle, and the services once open."""

from __future__ import annotations

from starlette.requests import Request

from vault_mcp.runtime import Services, ServicesHandle


def handle_of(request: Request) -> ServicesHandle:
    handle: ServicesHandle = request.app.state.services
    return handle


async def services_of(request: Request) -> Services:
    """The services, waiting for them while the app is still starting."""
    return await handle_of(request).get()
