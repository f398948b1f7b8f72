"""Health probes: /health/live (the process answers) and /health (database and embedder)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from vault_mcp.web.context import handle_of


async def live(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def health(request: Request) -> JSONResponse:
    handle = handle_of(request)
    embedder = handle.embedder_state
    if handle.state != "ready":
        # Still starting (or failed to start): not ready to serve notes yet.
        database = "starting" if handle.state == "starting" else "unavailable"
        return JSONResponse(
            {"status": "unavailable", "database": database, "embedder": embedder}, status_code=503
        )
    services = await handle.get()
    if not await services.database_ok():
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "embedder": embedder},
            status_code=503,
        )
    status = "ok" if embedder != "failed" else "degraded"
    return JSONResponse({"status": status, "database": "ok", "embedder": embedder})
