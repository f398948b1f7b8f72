"""Health probes: /health/live (the process answers) and /health (database and embedder)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from vault_mcp.errors import EmbedderUnavailable, StorageUnavailable
from vault_mcp.service import PREPARING
from vault_mcp.web.context import handle_of


async def live(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _unhealthy(body: dict[str, Any], retry_after: int | None) -> JSONResponse:
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return JSONResponse(body, status_code=503, headers=headers)


async def health(request: Request) -> JSONResponse:
    """200 when notes can be written and searched ("loading" while the model loads: calls
    wait for it); 503 whenever they cannot, with why, so an orchestrator's check sees it."""
    handle = handle_of(request)
    embedder = handle.embedder_state
    if handle.state != "ready":
        # starting, retrying (the last attempt's error said) or failed (for good: a schema
        # or configuration a person must fix, so no Retry-After).
        body: dict[str, Any] = {
            "status": handle.state,
            "database": "starting" if handle.state == "starting" else "unavailable",
            "embedder": embedder,
        }
        if handle.last_error:
            body["error"] = handle.last_error
        final = handle.state == "failed"
        return _unhealthy(body, None if final else StorageUnavailable.retry_after)
    services = await handle.get()
    if not await services.database_ok():
        return _unhealthy(
            {"status": "unavailable", "database": "unreachable", "embedder": embedder},
            StorageUnavailable.retry_after,
        )
    if embedder == "failed":
        return _unhealthy(
            {
                "status": "unavailable",
                "database": "ok",
                "embedder": "failed",
                "error": "the embedding model could not be loaded; retrying (see the server log)",
            },
            EmbedderUnavailable.retry_after,
        )
    if embedder == "preparing":
        return JSONResponse(
            {"status": "loading", "database": "ok", "embedder": embedder, "message": PREPARING}
        )
    status = "loading" if embedder == "loading" else "ok"
    return JSONResponse({"status": status, "database": "ok", "embedder": embedder})
