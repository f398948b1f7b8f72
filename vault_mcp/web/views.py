"""The web view: server-rendered pages to sign in, list, search, write, edit and delete notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from vault_mcp.errors import (
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    TooManyAttempts,
    Unauthorized,
    VaultError,
)
from vault_mcp.runtime import Services
from vault_mcp.service import PREPARING
from vault_mcp.web import session
from vault_mcp.web.asking_app import asking_app
from vault_mcp.web.authn import SessionUser
from vault_mcp.web.context import read_body, services_of
from vault_mcp.web.errors import retry_headers, status_of
from vault_mcp.web.listing import list_href, list_page
from vault_mcp.web.markdown import marked, plain_text, render_note, snippet_text

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["plain"] = plain_text
templates.env.filters["snippet"] = snippet_text
templates.env.filters["marked"] = marked
templates.env.globals["list_href"] = list_href
PAGE_SIZE = 20
# Forms are read by us, capped, before anything looks at them (Starlette's own parser holds
# 1,000 fields of 1 MB each, and spools files to disk). A small form (sign-in, sign-out,
# consent) fits in 16 KiB; a note's form in its content limit percent-encoded (3 characters
# a byte at worst) with room for the title and tags.
SMALL_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 20
_FORM_SLACK = 64 * 1024
# What a redirect may ask a page to say (`?notice=<key>`): a page shows only these words,
# never text from the address.
NOTICES = {
    "signed-out": "You are signed out.",
    "deleted": "Note moved to the trash.",
    "restored": "Note restored.",
    "revoked": "Revoked: that app can no longer reach your vault.",
    "account-created": "Your account is ready.",
}


def _model_is_being_prepared(request: Request) -> str | None:
    """What to say while the one-time ONNX export of a new data dir runs, else None."""
    handle = getattr(request.app.state, "services", None)
    if getattr(handle, "embedder_state", None) != "preparing":
        return None
    return PREPARING[0].upper() + PREPARING[1:] + "."


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("user", None)
    context.setdefault("notice", NOTICES.get(request.query_params.get("notice", "")))
    context.setdefault("preparing", _model_is_being_prepared(request))
    response = templates.TemplateResponse(
        request, name, {"csrf_token": session.csrf_token(request), **context}, status_code=status
    )
    session.set_csrf_cookie(request, response)
    # Every page is a signed-in one or the sign-in page: none may be kept, so that Back
    # after signing out shows no note.
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str:
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


async def read_form(request: Request, max_bytes: int = SMALL_FORM_BYTES) -> FormData:
    """The url-encoded form, refused with 413 once it passes `max_bytes` or MAX_FORM_FIELDS
    (before a byte of it is parsed), and with 400 if it is anything else (no file uploads)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadRequest("send the form url-encoded (application/x-www-form-urlencoded)")
    body = await read_body(request, max_bytes)
    try:
        pairs: list[tuple[str, str | UploadFile]] = parse_qsl(  # type: ignore[assignment]
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except UnicodeDecodeError:
        raise BadRequest("the form is not UTF-8") from None
    except ValueError:
        raise PayloadTooLarge(f"the form has more than {MAX_FORM_FIELDS} fields") from None
    return FormData(pairs)


def note_form_bytes(request: Request) -> int:
    return 3 * (int(request.app.state.settings.max_content_bytes) + _FORM_SLACK)


async def form_with_csrf(request: Request, max_bytes: int = SMALL_FORM_BYTES) -> FormData:
    form = await read_form(request, max_bytes)
    if not session.csrf_ok(request, form.get(session.CSRF_FIELD)):
        raise Forbidden("the form has expired or did not come from this site; reload the page")
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _tags(text: str) -> list[str]:
    return [t for t in (part.strip() for part in text.split(",")) if t]


async def signed_in(request: Request) -> tuple[Services, int, str] | None:
    """The services and the signed-in person (their id and name), from the one
    authentication backend; None without a live session."""
    user = request.scope.get("user")
    if not isinstance(user, SessionUser):
        return None
    return await services_of(request), user.principal.user_id, user.username


async def home(request: Request) -> Response:
    return RedirectResponse("/notes", status_code=303)


async def login_page(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    services = await services_of(request)
    if await services.auth.needs_first_account():  # first run: make the account, then go on
        target = "" if next_path == "/notes" else f"?next={quote(next_path)}"
        return RedirectResponse(f"/setup{target}", status_code=303)
    if request.method == "GET":
        app = await asking_app(services, next_path)
        return render(request, "login.html", next=next_path, app=app)
    username = ""
    try:
        form = await form_with_csrf(request)
        username = _text(form, "username")
        address = request.client.host if request.client else "unknown"
        token = await services.auth.start_web_session(username, _text(form, "password"), address)
    except (Forbidden, InvalidInput, Unauthorized, TooManyAttempts) as exc:
        status, _ = status_of(exc)
        # The name is given back (the password never is), so a typo costs one field.
        app = await asking_app(services, next_path)
        response = render(
            request,
            "login.html",
            status,
            error=exc.message,
            username=username,
            next=next_path,
            app=app,
        )
        response.headers.update(retry_headers(exc))
        return response
    response = RedirectResponse(next_path, status_code=303)
    max_age = int(request.app.state.settings.refresh_ttl.total_seconds())
    session.start_session(request, response, token, max_age)
    return response


async def logout(request: Request) -> Response:
    services = await services_of(request)
    await form_with_csrf(request)
    token = session.session_cookie(request)
    if token:
        await services.auth.end_web_session(token)
    response = RedirectResponse("/login?notice=signed-out", status_code=303)
    session.end_session(request, response)
    return response


async def notes_page(request: Request) -> Response:
    person = await signed_in(request)
    if person is None:
        return to_login(request)
    services, user_id, username = person
    if request.method == "POST":
        form = await form_with_csrf(request, note_form_bytes(request))
        draft = {k: _text(form, k) for k in ("title", "content", "tags")}
        try:
            note = await services.notes.create(
                user_id, draft["title"], draft["content"], _tags(draft["tags"])
            )
            return RedirectResponse(f"/notes/{note.id}", status_code=303)
        except InvalidInput as exc:
            return render(request, "new.html", 422, user=username, error=exc.message, draft=draft)
    query = request.query_params.get("q", "").strip()
    if query:
        hits = await services.notes.search(user_id, query, limit=PAGE_SIZE)
        return render(request, "notes.html", user=username, query=query, hits=hits, draft={})
    page = await list_page(services, user_id, request.query_params, PAGE_SIZE)
    return render(request, "notes.html", user=username, query="", page=page, draft={})


async def new_note_page(request: Request) -> Response:
    person = await signed_in(request)
    if person is None:
        return to_login(request)
    return render(request, "new.html", user=person[2], error=None, draft={})


async def note_page(request: Request) -> Response:
    person = await signed_in(request)
    if person is None:
        return to_login(request)
    services, user_id, username = person
    note_id = request.path_params["note_id"]
    error, status, draft = None, 200, None
    try:
        if request.method == "POST":
            form = await form_with_csrf(request, note_form_bytes(request))
            if request.url.path.endswith("/delete"):
                await services.notes.delete(user_id, note_id)  # to the trash
                return RedirectResponse("/notes?notice=deleted", status_code=303)
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
                # The form comes back as it was sent, not as stored: nothing typed is lost.
                error, status = exc.message, 422
                draft = {k: _text(form, k) for k in ("title", "content", "tags")}
        note = await services.notes.get(user_id, note_id)
    except (NotFound, InvalidInput) as exc:
        return render(
            request, "error.html", 404, user=username, title="Not found", message=exc.message
        )
    if draft is None:
        draft = {"title": note.title, "content": note.content, "tags": ", ".join(note.tags)}
    body = await run_in_threadpool(render_note, note.content)
    return render(
        request, "note.html", status, user=username, note=note, body=body, error=error, draft=draft
    )


def _username(request: Request) -> str | None:
    user = request.scope.get("user")
    return user.username if isinstance(user, SessionUser) else None


async def missing_page(request: Request) -> Response:
    """An address with no page here, said in the site's own style."""
    return render(
        request,
        "error.html",
        404,
        user=_username(request),
        title="Not found",
        message="There is no page at this address.",
    )


async def page_error(request: Request, exc: VaultError) -> Response:
    status, _ = status_of(exc)
    response = render(request, "error.html", status, user=_username(request), message=exc.message)
    response.headers.update(retry_headers(exc))
    return response


routes = [
    Route("/", home),
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/notes", notes_page, methods=["GET", "POST"]),
    Route("/notes/new", new_note_page),
    Route("/notes/{note_id}", note_page, methods=["GET", "POST"]),
    Route("/notes/{note_id}/delete", note_page, methods=["POST"]),
]
