"""The REST API under /api/v1: login, refresh, logout, and notes (list, search, CRUD)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from vault_mcp.auth.scopes import READ, WRITE
from vault_mcp.domain import Note, SearchHit
from vault_mcp.errors import BadRequest, Forbidden, InvalidInput, Unauthorized
from vault_mcp.runtime import Services
from vault_mcp.tools.models import NoteOut, SearchResult
from vault_mcp.untrusted_json import parse_json
from vault_mcp.web.context import read_body, services_of
from vault_mcp.web.errors import error_response
from vault_mcp.web.openapi import openapi_document

B = TypeVar("B", bound=BaseModel)

# JSON overhead on top of the largest note content a request may carry.
_BODY_SLACK = 64 * 1024


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    username: str
    password: str


class RefreshBody(_Body):
    refresh_token: str


class NoteCreateBody(_Body):
    title: str
    content: str
    tags: list[str] = []


class NotePatchBody(_Body):
    title: str | None = None
    content: str | None = None
    tags: list[str] | None = None


async def _parse(request: Request, model: type[B], max_bytes: int) -> B:
    body = await read_body(request, max_bytes)
    try:
        data = parse_json(body)
    except ValueError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidInput(f"the request body is not valid: {problems}") from None


async def _user(request: Request) -> tuple[Services, int]:
    """The services and the user of the request's bearer token (an access token or a
    personal one), which must carry the scope the method needs."""
    services = await services_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("sign in first: send `Authorization: Bearer <access token>`")
    claims = await services.auth.authenticate(token.strip())
    needed = READ if request.method == "GET" else WRITE
    if needed not in claims.scopes:
        raise Forbidden(f"this token does not carry the {needed} scope")
    return services, claims.user_id


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# The same shapes as the MCP tools' structured output, so both doors agree by construction.
def _note_json(services: Services, note: Note) -> dict[str, Any]:
    return NoteOut.of(note, services.note_url(note.id)).model_dump(mode="json")


def _hit_json(services: Services, hit: SearchHit) -> dict[str, Any]:
    return SearchResult.of(hit, services.note_url(hit.note.id)).model_dump(mode="json")


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw[:20]!r}") from None


async def login(request: Request) -> Response:
    services = await services_of(request)
    body = await _parse(request, LoginBody, _BODY_SLACK)
    pair = await services.auth.login(body.username, body.password, _client_address(request))
    return JSONResponse(pair.__dict__, headers={"Cache-Control": "no-store"})


async def refresh(request: Request) -> Response:
    services = await services_of(request)
    body = await _parse(request, RefreshBody, _BODY_SLACK)
    pair = await services.auth.refresh(body.refresh_token)
    return JSONResponse(pair.__dict__, headers={"Cache-Control": "no-store"})


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
    query = request.query_params.get("q")
    limit = _int_param(request, "limit", 10 if query is not None else 20)
    if query is not None:
        tags = request.query_params.getlist("tag")
        hits = await services.notes.search(user, query, limit=limit, tags=tags)
        return JSONResponse({"results": [_hit_json(services, h) for h in hits]})
    page = await services.notes.list(
        user,
        limit=limit,
        cursor=request.query_params.get("cursor"),
        tag=request.query_params.get("tag"),
    )
    return JSONResponse(
        {"notes": [_note_json(services, n) for n in page.notes], "next_cursor": page.next_cursor}
    )


async def note_item(request: Request) -> Response:
    services, user = await _user(request)
    note_id = request.path_params["note_id"]
    if request.method == "GET":
        return JSONResponse(_note_json(services, await services.notes.get(user, note_id)))
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
    return JSONResponse(openapi_document(request.app.state.settings.base_url()))


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


_api_routes = [
    Route("/api/v1/auth/login", login, methods=["POST"]),
    Route("/api/v1/auth/refresh", refresh, methods=["POST"]),
    Route("/api/v1/auth/logout", logout, methods=["POST"]),
    Route("/api/v1/notes", notes_collection, methods=["GET", "POST"]),
    Route("/api/v1/notes/{note_id}", note_item, methods=["GET", "PATCH", "DELETE"]),
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
]
routes = [
    *_api_routes,
    Route("/api/{rest:path}", no_such_route, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
]
