"""The web view's undo: the delete confirmation, the trash page, and a note's history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from vault_mcp.errors import InvalidInput, NotFound
from vault_mcp.runtime import Services
from vault_mcp.web.markdown import render_note
from vault_mcp.web.views import PAGE_SIZE, form_with_csrf, render, signed_in, to_login

Page = Callable[[Request, Services, int, str], Awaitable[Response]]


def _signed_in_page(page: Page) -> Callable[[Request], Awaitable[Response]]:
    """The page for the signed-in person (else to sign-in); an unknown or malformed note
    or version is the site's 404 page."""

    async def endpoint(request: Request) -> Response:
        person = await signed_in(request)
        if person is None:
            return to_login(request)
        services, user_id, username = person
        try:
            return await page(request, services, user_id, username)
        except (NotFound, InvalidInput) as exc:
            return render(request, "error.html", 404, user=username, message=exc.message)

    return endpoint


def _to(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


async def confirm_delete(request: Request, services: Services, user: int, name: str) -> Response:
    # The POST goes to views.note_page, which moves the note to the trash.
    note = await services.notes.get(user, request.path_params["note_id"])
    days = services.recovery.retention.days
    return render(
        request,
        "confirm.html",
        user=name,
        heading=f"Delete “{note.title}”?",
        message=f"It moves to the trash, where you can restore it for {days} days.",
        action=f"/notes/{note.id}/delete",
        button="Move to the trash",
        cancel=f"/notes/{note.id}",
    )


async def trash_page(request: Request, services: Services, user: int, name: str) -> Response:
    cursor = request.query_params.get("cursor") or None
    page = await services.recovery.list_trash(user, PAGE_SIZE, cursor)
    days = services.recovery.retention.days
    return render(request, "trash.html", user=name, page=page, days=days, first=cursor is None)


async def restore(request: Request, services: Services, user: int, name: str) -> Response:
    await form_with_csrf(request)
    note = await services.recovery.restore(user, request.path_params["note_id"])
    return _to(f"/notes/{note.id}?notice=restored")


async def delete_forever(request: Request, services: Services, user: int, name: str) -> Response:
    note_id = request.path_params["note_id"]
    if request.method == "POST":
        await form_with_csrf(request)
        await services.recovery.forget(user, note_id)
        return _to("/trash")
    trashed = await services.recovery.find_trashed(user, note_id)
    return render(
        request,
        "confirm.html",
        user=name,
        heading=f"Delete “{trashed.note.title}” for good?",
        message="It cannot be restored afterwards.",
        action=f"/trash/{trashed.note.id}/delete",
        button="Delete for good",
        cancel="/trash",
    )


async def empty_trash(request: Request, services: Services, user: int, name: str) -> Response:
    if request.method == "POST":
        await form_with_csrf(request)
        await services.recovery.empty_trash(user)
        return _to("/trash")
    return render(
        request,
        "confirm.html",
        user=name,
        heading="Empty the trash?",
        message="Every note in the trash is deleted for good; none can be restored afterwards.",
        action="/trash/empty",
        button="Empty the trash",
        cancel="/trash",
    )


async def history_page(request: Request, services: Services, user: int, name: str) -> Response:
    note = await services.notes.get(user, request.path_params["note_id"])
    versions = await services.recovery.history(user, str(note.id))
    return render(request, "history.html", user=name, note=note, versions=versions)


def _version_id(request: Request) -> int:
    """The version in the path, read here and not by a route converter: Starlette's `int`
    converter runs int() while matching, before sign-in, and 4,300+ digits raise there."""
    text = request.path_params["version"]
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise NotFound("no such version of this note")
    return int(text)


async def version_page(request: Request, services: Services, user: int, name: str) -> Response:
    note_id, version_id = request.path_params["note_id"], _version_id(request)
    if request.method == "POST":
        await form_with_csrf(request)
        note = await services.recovery.restore_version(user, note_id, version_id)
        return _to(f"/notes/{note.id}?notice=restored")
    version = await services.recovery.version(user, note_id, version_id)
    body = await run_in_threadpool(render_note, version.content)  # as the note page shows it
    return render(request, "version.html", user=name, version=version, body=body)


routes = [
    Route("/notes/{note_id}/delete", _signed_in_page(confirm_delete), methods=["GET"]),
    Route("/notes/{note_id}/history", _signed_in_page(history_page), methods=["GET"]),
    Route(
        "/notes/{note_id}/history/{version}",
        _signed_in_page(version_page),
        methods=["GET", "POST"],
    ),
    Route("/trash", _signed_in_page(trash_page), methods=["GET"]),
    Route("/trash/empty", _signed_in_page(empty_trash), methods=["GET", "POST"]),
    Route("/trash/{note_id}/restore", _signed_in_page(restore), methods=["POST"]),
    Route("/trash/{note_id}/delete", _signed_in_page(delete_forever), methods=["GET", "POST"]),
]
