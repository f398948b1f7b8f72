"""The export download: every note of the caller, as one JSON document or a zip of Markdown.

Two doors to one response: `GET /api/v1/export` for a bearer token (scripts; in the OpenAPI
document), and `GET /export` for the web view's signed-in session (a cookie never
authenticates under /api/). Both stream: the notes are read a page at a time and written out
as they come, so an export of 100k notes never sits in memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from vault_mcp.auth.scopes import READ, require_scope
from vault_mcp.errors import InvalidInput
from vault_mcp.runtime import Services
from vault_mcp.transfer.formats import JSON_TAIL, FileNames, json_entry, json_head, note_markdown
from vault_mcp.web.authn import SessionUser, bearer_principal
from vault_mcp.web.context import services_of
from vault_mcp.web.openapi import Endpoint, Operation
from vault_mcp.web.views import to_login


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "markdown"] = Field(
        default="json",
        description="json: one document with every note; markdown: a zip of .md files with "
        "YAML front matter (id, title, tags, created, updated).",
    )


def _query(request: Request) -> ExportQuery:
    try:
        return ExportQuery.model_validate(dict(request.query_params))
    except ValidationError as exc:
        unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        if unknown:
            raise InvalidInput(
                f"unknown query parameter {unknown[0][:40]!r}; the export takes only format"
            ) from None
        raise InvalidInput("format must be json or markdown (e.g. ?format=markdown)") from None


async def _json(services: Services, owner: int) -> AsyncIterator[bytes]:
    yield json_head(datetime.now(UTC)).encode()
    first = True
    async for note in services.archive.notes(owner):
        yield json_entry(note, first).encode()
        first = False
    yield JSON_TAIL.encode()


class _Chunks:
    """A write-only, unseekable file for zipfile (which then writes data descriptors):
    what it is given waits here until the response takes it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


async def _zip(services: Services, owner: int) -> AsyncIterator[bytes]:
    sink, names = _Chunks(), FileNames()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        async for note in services.archive.notes(owner):
            stamp = max(note.updated_at.astimezone(UTC), datetime(1980, 1, 1, tzinfo=UTC))
            entry = zipfile.ZipInfo(names(note.title), stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, note_markdown(note).encode("utf-8"))
            yield sink.take()
    yield sink.take()  # the central directory


async def _download(services: Services, owner: int, query: ExportQuery) -> Response:
    # Once the body streams, the status is sent: a database that is down must answer 503
    # now, not cut a download short.
    await services.archive.count(owner)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    if query.format == "json":
        body, media, name = _json(services, owner), "application/json", f"vault-{day}.json"
    else:
        body, media, name = _zip(services, owner), "application/zip", f"vault-{day}.zip"
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def api_export(request: Request) -> Response:
    principal = bearer_principal(request, READ)
    query = _query(request)
    return await _download(await services_of(request), principal.user_id, query)


async def page_export(request: Request) -> Response:
    user = request.scope.get("user")
    if not isinstance(user, SessionUser):
        return to_login(request, "/notes")
    require_scope(user.principal.scopes, READ)
    query = _query(request)
    return await _download(await services_of(request), user.principal.user_id, query)


_CONTENT = {
    "application/json": {"schema": {"type": "object"}},
    "application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip"}},
}
ENDPOINT = Endpoint(
    "/api/v1/export",
    api_export,
    {
        "GET": Operation(
            "Download every note: one JSON document, or a zip of Markdown files",
            200,
            {
                401: "Missing, invalid or expired token",
                403: "The token lacks the scope",
                422: "Invalid parameter",
                503: "The database or the model is not available yet",
            },
            query=ExportQuery,
            description="The export, as an attachment",
            content=_CONTENT,
        )
    },
)
routes = [Route("/export", page_export)]
