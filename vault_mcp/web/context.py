"""What a request handler needs from the app: the services handle, and the services once open."""

from __future__ import annotations

from starlette.requests import Request

from vault_mcp.errors import PayloadTooLarge
from vault_mcp.runtime import Services, ServicesHandle


def handle_of(request: Request) -> ServicesHandle:
    handle: ServicesHandle = request.app.state.services
    return handle


async def services_of(request: Request) -> Services:
    """The services, waiting for them while the app is still starting."""
    return await handle_of(request).get()


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with PayloadTooLarge as soon as it passes `max_bytes` (by its
    declared length, or while it streams in): a large body is never held in memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(
            f"the request body is {int(declared):,} bytes; the limit is {max_bytes:,}"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"the request body is over the limit of {max_bytes:,} bytes")
    return bytes(body)
