"""The REST API under /api/v1: login, refresh, logout, and notes (list, search, CRUD)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from vault_mcp.auth.scopes import READ, WRITE
from vault_mcp.domain import Note, NotePreview, SearchHit
from vault_mcp.errors import BadRequest, InvalidInput
from vault_mcp.runtime import Services
from vault_mcp.tools.models import NoteList, NoteListItem, NoteOut, SearchResult, SearchResults
from vault_mcp.untrusted_json import parse_json
from vault_mcp.web import trash_api
from vault_mcp.web.api_models import (
    LoginBody,
    NoteCreateBody,
    NotePatchBody,
    NoteReadQuery,
    NotesQuery,
    RefreshBody,
    Tokens,
)
from vault_mcp.web.authn import bearer_principal
from vault_mcp.web.context import read_body, services_of
from vault_mcp.web.errors import error_response
from vault_mcp.web.export import ENDPOINT as EXPORT_ENDPOINT
from vault_mcp.web.openapi import Endpoint, Operation, openapi_document

B = TypeVar("B", bound=BaseModel)

# JSON overhead on top of the largest note content a request may carry.
_BODY_SLACK = 64 * 1024


async def _parse(request: Request, model: type[B], max_bytes: int) -> B:
    body = await read_body(request, max_bytes)
    try:
        data = parse_json(body)
    except ValueError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    return _validated(model, data, "the request body")


def _validated(model: type[B], data: Any, what: str) -> B:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidInput(f"{what} is not valid: {problems}") from None


def _notes_query(request: Request) -> NotesQuery:
    params = request.query_params
    names = ("q", "limit", "cursor", "since", "until")
    raw: dict[str, Any] = {k: params[k] for k in names if k in params}
    return _validated(NotesQuery, {**raw, "tag": params.getlist("tag")}, "the query")


async def _user(request: Request) -> tuple[Services, int]:
    """The services and the user of the request's bearer token (an access token or a
    personal one, as the authentication backend found it), which must carry the scope the
    method needs."""
    principal = bearer_principal(request, READ if request.method == "GET" else WRITE)
    return await services_of(request), principal.user_id


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# The same shapes as the MCP tools' structured output, so both doors agree by construction.
def _note_json(services: Services, note: Note, offset: int = 0) -> dict[str, Any]:
    return NoteOut.of(note, services.note_url(note.id), offset).model_dump(mode="json")


def _listed_json(services: Services, note: NotePreview) -> dict[str, Any]:
    return NoteListItem.of(note, services.note_url(note.id)).model_dump(mode="json")


def _hit_json(services: Services, hit: SearchHit) -> dict[str, Any]:
    return SearchResult.of(hit, services.note_url(hit.note.id)).model_dump(mode="json")


def _tokens(pair: object) -> Response:  # an AuthService TokenPair
    body = Tokens.model_validate(pair, from_attributes=True).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def login(request: Request) -> Response:
    services = await services_of(request)
    body = await _parse(request, LoginBody, _BODY_SLACK)
    pair = await services.auth.login(body.username, body.password, _client_address(request))
    return _tokens(pair)


async def refresh(request: Request) -> Response:
    services = await services_of(request)
    body = await _parse(request, RefreshBody, _BODY_SLACK)
    pair = await services.auth.refresh(body.refresh_token)
    return _tokens(pair)


async def logout(request: Request) -> Response:
    services = await services_of(request)
    body = await _parse(request, RefreshBody, _BODY_SLACK)
    await services.auth.logout(body.refresh_token)
    return Response(status_code=204)


async def notes_collection(request: Request) -> Response:
    services, user = await _user(request)
    if request.method == "POST":
        limit = request.app.state.settings.max_content_bytes + _BODY_SLACK
        body = await _parse(request, NoteCreateBody, limit)
        note = await services.notes.create(user, body.title, body.content, body.tags)
        return JSONResponse(
            _note_json(services, note),
            status_code=201,
            headers={"Location": f"/api/v1/notes/{note.id}"},
        )
    query = _notes_query(request)
    if query.q is not None:
        limit = 10 if query.limit is None else query.limit
        hits = await services.notes.search(
            user, query.q, limit=limit, tags=query.tag, since=query.since, until=query.until
        )
        return JSONResponse({"results": [_hit_json(services, h) for h in hits]})
    if len(query.tag) > 1:
        raise InvalidInput("a list filters by one tag; a search (q=...) may require several")
    page = await services.notes.list(
        user,
        limit=20 if query.limit is None else query.limit,
        cursor=query.cursor,
        tag=query.tag[0] if query.tag else None,
        since=query.since,
        until=query.until,
    )
    return JSONResponse(
        {"notes": [_listed_json(services, n) for n in page.notes], "next_cursor": page.next_cursor}
    )


async def note_item(request: Request) -> Response:
    services, user = await _user(request)
    note_id = request.path_params["note_id"]
    if request.method == "GET":
        query = _validated(NoteReadQuery, dict(request.query_params), "the query")
        note = await services.notes.get(user, note_id)
        return JSONResponse(_note_json(services, note, query.offset))
    if request.method == "DELETE":
        await services.notes.delete(user, note_id)
        return Response(status_code=204)
    limit = request.app.state.settings.max_content_bytes + _BODY_SLACK
    body = await _parse(request, NotePatchBody, limit)
    note = await services.notes.update(
        user, note_id, title=body.title, content=body.content, tags=body.tags
    )
    return JSONResponse(_note_json(services, note))


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(ENDPOINTS, request.app.state.settings.base_url()))


async def no_such_route(request: Request) -> Response:
    # Reached for any /api path no route below fully matched; a path match with the wrong
    # method is a 405, not a 404.
    for route in _api_routes:
        match, _ = route.matches(request.scope)
        if match is Match.PARTIAL:
            allowed = ", ".join(sorted(route.methods or ()))
            response = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}"
            )
            response.headers["Allow"] = allowed
            return response
    return error_response(404, "not_found", f"no API route {request.url.path}")


_BAD_JSON = {400: "The body is not JSON", 413: "The body is too large", 422: "Invalid body"}
_TOKEN = {401: "Missing, invalid or expired token", 403: "The token lacks the scope"}
_DOWN = {503: "The database or the model is not available yet"}
_NOTE_ID = {"schema": {"type": "string", "format": "uuid"}, "description": "The note's id."}

# The one route table: Starlette's routes and the OpenAPI document are both built from it.
ENDPOINTS = [
    Endpoint(
        "/api/v1/auth/login",
        login,
        {
            "POST": Operation(
                "Exchange a user name and password for tokens",
                200,
                {
                    **_BAD_JSON,
                    401: "Wrong user name or password",
                    429: "Too many failed attempts; see Retry-After",
                    **_DOWN,
                },
                returns=(Tokens,),
                body=LoginBody,
                public=True,
            )
        },
    ),
    Endpoint(
        "/api/v1/auth/refresh",
        refresh,
        {
            "POST": Operation(
                "Rotate a refresh token into a new token pair",
                200,
                {**_BAD_JSON, 401: "Invalid, expired or reused refresh token", **_DOWN},
                returns=(Tokens,),
                body=RefreshBody,
                public=True,
            )
        },
    ),
    Endpoint(
        "/api/v1/auth/logout",
        logout,
        {
            "POST": Operation(
                "Revoke a refresh token and every token rotated from the same sign-in",
                204,
                {**_BAD_JSON, **_DOWN},
                body=RefreshBody,
                public=True,
                description="Signed out",
            )
        },
    ),
    Endpoint(
        "/api/v1/notes",
        notes_collection,
        {
            "GET": Operation(
                "List notes newest first, or search them by meaning with q",
                200,
                {**_TOKEN, 422: "Invalid parameter", **_DOWN},
                returns=(NoteList, SearchResults),
                query=NotesQuery,
                description="A page of notes, or search results when q is given",
            ),
            "POST": Operation(
                "Create a note",
                201,
                {**_BAD_JSON, **_TOKEN, **_DOWN},
                returns=(NoteOut,),
                body=NoteCreateBody,
                description="Created",
            ),
        },
    ),
    Endpoint(
        "/api/v1/notes/{note_id}",
        note_item,
        {
            "GET": Operation(
                "Read a note (a long one a page at a time: see next_offset)",
                200,
                {**_TOKEN, 404: "No such note", 422: "Not a note id or offset", **_DOWN},
                returns=(NoteOut,),
                query=NoteReadQuery,
            ),
            "PATCH": Operation(
                "Change a note's title, content or tags",
                200,
                {
                    **_BAD_JSON,
                    **_TOKEN,
                    404: "No such note",
                    409: "The note kept changing; try again",
                    **_DOWN,
                },
                returns=(NoteOut,),
                body=NotePatchBody,
            ),
            "DELETE": Operation(
                "Delete a note: it moves to the trash (see /api/v1/trash)",
                204,
                {**_TOKEN, 404: "No such note", 422: "Not a note id", **_DOWN},
                description="Moved to the trash",
            ),
        },
        path_params={"note_id": _NOTE_ID},
    ),
    EXPORT_ENDPOINT,
    *trash_api.endpoints(_user, _validated, _note_json, _TOKEN, _DOWN, _NOTE_ID),
    Endpoint(
        "/api/v1/openapi.json",
        openapi,
        {"GET": Operation("This document", 200, {}, public=True)},
    ),
]
_api_routes = [endpoint.route() for endpoint in ENDPOINTS]
routes = [
    *_api_routes,
    Route("/api/{rest:path}", no_such_route, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
]
