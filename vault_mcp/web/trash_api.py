"""The REST routes of the trash: list it, restore a note, delete one for good, empty it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vault_mcp.domain import MAX_LIMIT, Note
from vault_mcp.runtime import Services
from vault_mcp.tools.models import NoteOut
from vault_mcp.tools.trash import TrashList
from vault_mcp.web.openapi import Endpoint, Operation

# What api.py lends (its table lists these routes; taking its helpers as arguments keeps the
# import one way): the request's services and user, a query's validation, a note's JSON.
User = Callable[[Request], Awaitable[tuple[Services, int]]]
Validated = Callable[[type[Any], Any, str], Any]
NoteJson = Callable[[Services, Note], dict[str, Any]]


class TrashQuery(BaseModel):
    """GET /api/v1/trash: a page of trashed notes, most recently deleted first."""

    limit: int | None = Field(
        None,
        description="20 notes a page if omitted.",
        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},  # checked by the domain
    )
    cursor: str | None = Field(None, description="The next_cursor of the previous page.")


class TrashEmptied(BaseModel):
    deleted: int = Field(description="How many notes were deleted for good.")


def endpoints(
    user: User,
    validated: Validated,
    note_json: NoteJson,
    token: dict[int, str],
    down: dict[int, str],
    note_id: dict[str, Any],
) -> list[Endpoint]:
    async def trash(request: Request) -> Response:
        services, owner = await user(request)
        if request.method == "DELETE":
            deleted = await services.recovery.empty_trash(owner)
            return JSONResponse(TrashEmptied(deleted=deleted).model_dump())
        names = ("limit", "cursor")
        raw = {k: request.query_params[k] for k in names if k in request.query_params}
        query = validated(TrashQuery, raw, "the query")
        limit = 20 if query.limit is None else query.limit
        page = await services.recovery.list_trash(owner, limit, query.cursor)
        return JSONResponse(TrashList.of(page).model_dump(mode="json"))

    async def trashed_note(request: Request) -> Response:
        services, owner = await user(request)
        await services.recovery.forget(owner, request.path_params["note_id"])
        return Response(status_code=204)

    async def restore(request: Request) -> Response:
        services, owner = await user(request)
        note = await services.recovery.restore(owner, request.path_params["note_id"])
        return JSONResponse(note_json(services, note))

    not_trashed = {404: "Not in the trash", 422: "Not a note id"}
    return [
        Endpoint(
            "/api/v1/trash",
            trash,
            {
                "GET": Operation(
                    "List the trash: deleted notes, most recently deleted first",
                    200,
                    {**token, 422: "Invalid parameter", **down},
                    returns=(TrashList,),
                    query=TrashQuery,
                ),
                "DELETE": Operation(
                    "Empty the trash: delete every trashed note for good",
                    200,
                    {**token, **down},
                    returns=(TrashEmptied,),
                ),
            },
        ),
        Endpoint(
            "/api/v1/trash/{note_id}",
            trashed_note,
            {
                "DELETE": Operation(
                    "Delete a trashed note for good",
                    204,
                    {**token, **not_trashed, **down},
                    description="Deleted for good",
                )
            },
            path_params={"note_id": note_id},
        ),
        Endpoint(
            "/api/v1/trash/{note_id}/restore",
            restore,
            {
                "POST": Operation(
                    "Restore a trashed note (a note already restored is returned as it is)",
                    200,
                    {**token, **not_trashed, 409: "Another note has its id now", **down},
                    returns=(NoteOut,),
                )
            },
            path_params={"note_id": note_id},
        ),
    ]
