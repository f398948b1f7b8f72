"""The web view: server-rendered pages to sign in, list, search, write, edit and delete notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from vault_mcp.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthorized,
    VaultError,
)
from vault_mcp.runtime import Services
from vault_mcp.web import session
from vault_mcp.web.context import services_of
from vault_mcp.web.errors import status_of

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE_SIZE = 20


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("user", None)
    response = templates.TemplateResponse(
        request, name, {"csrf_token": session.csrf_token(request), **context}, status_code=status
    )
    session.set_csrf_cookie(request, response)
    return response


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return "/notes"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/notes"
    return target


def to_login(request: Request, target: str | None = None) -> Response:
    """To the sign-in page, coming back to `target` (default: this page) afterwards."""
    if target is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def form_with_csrf(request: Request) -> FormData:
    form = await request.form()
    if not session.csrf_ok(request, form.get(session.CSRF_FIELD)):
        raise Forbidden("the form has expired or did not come from this site; reload the page")
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _tags(text: str) -> list[str]:
    return [t for t in (part.strip() for part in text.split(",")) if t]


async def signed_in(request: Request) -> tuple[Services, int, str] | None:
    services = await services_of(request)
    user_id = await session.session_user(request, services)
    if user_id is None:
        return None
    user = await services.users.by_id(user_id)
    return None if user is None else (services, user_id, user.username)


async def home(request: Request) -> Response:
    return RedirectResponse("/notes", status_code=303)


async def login_page(request: Request) -> Response:
    next_path = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "login.html", next=next_path)
    services = await services_of(request)
    try:
        form = await form_with_csrf(request)
        username = _text(form, "username")
        address = request.client.host if request.client else "unknown"
        user_id = await services.auth.check_credentials(username, _text(form, "password"), address)
    except (Forbidden, InvalidInput, Unauthorized, TooManyAttempts) as exc:
        status, _ = status_of(exc)
        return render(request, "login.html", status, error=exc.message, next=next_path)
    token, _ = await services.auth.refresh_tokens.issue(user_id)
    response = RedirectResponse(next_path, status_code=303)
    max_age = int(request.app.state.settings.refresh_ttl.total_seconds())
    session.start_session(request, response, token, max_age)
    return response


async def logout(request: Request) -> Response:
    services = await services_of(request)
    await form_with_csrf(request)
    token = request.cookies.get(session.SESSION_COOKIE)
    if token:
        await services.auth.refresh_tokens.revoke(token)
    response = RedirectResponse("/login", status_code=303)
    session.end_session(response)
    return response


async def notes_page(request: Request) -> Response:
    person = await signed_in(request)
    if person is None:
        return to_login(request)
    services, user_id, username = person
    context: dict[str, Any] = {"user": username, "query": "", "error": None, "draft": {}}
    status = 200
    if request.method == "POST":
        form = await form_with_csrf(request)
        draft = {k: _text(form, k) for k in ("title", "content", "tags")}
        try:
            note = await services.notes.create(
                user_id, draft["title"], draft["content"], _tags(draft["tags"])
            )
            return RedirectResponse(f"/notes/{note.id}", status_code=303)
        except InvalidInput as exc:
            context.update(error=exc.message, draft=draft)
            status = 422
    query = request.query_params.get("q", "").strip()
    if query:
        hits = await services.notes.search(user_id, query, limit=PAGE_SIZE)
        context.update(query=query, hits=hits)
    else:
        page = await services.notes.list(
            user_id, limit=PAGE_SIZE, cursor=request.query_params.get("cursor") or None
        )
        context.update(notes=page.notes, next_cursor=page.next_cursor)
    return render(request, "notes.html", status, **context)


async def note_page(request: Request) -> Response:
    person = await signed_in(request)
    if person is None:
        return to_login(request)
    services, user_id, username = person
    note_id = request.path_params["note_id"]
    error, status = None, 200
    try:
        if request.method == "POST":
            form = await form_with_csrf(request)
            if request.url.path.endswith("/delete"):
                await services.notes.delete(user_id, note_id)
                return RedirectResponse("/notes", status_code=303)
            try:
                await services.notes.update(
                    user_id,
                    note_id,
                    title=_text(form, "title"),
                    content=_text(form, "content"),
                    tags=_tags(_text(form, "tags")),
                )
                return RedirectResponse(f"/notes/{note_id}", status_code=303)
            except InvalidInput as exc:
                error, status = exc.message, 422
        note = await services.notes.get(user_id, note_id)
    except (NotFound, InvalidInput) as exc:
        return render(request, "error.html", 404, user=username, message=exc.message)
    return render(request, "note.html", status, user=username, note=note, error=error)


async def page_error(request: Request, exc: VaultError) -> Response:
    status, _ = status_of(exc)
    return render(request, "error.html", status, message=exc.message)


routes = [
    Route("/", home),
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/notes", notes_page, methods=["GET", "POST"]),
    Route("/notes/{note_id}", note_page, methods=["GET", "POST"]),
    Route("/notes/{note_id}/delete", note_page, methods=["POST"]),
]
