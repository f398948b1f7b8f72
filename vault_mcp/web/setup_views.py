"""First run without the manual: on a vault where no account can sign in, /setup creates
the first one for whoever holds the setup code the server printed in its log (as a link
that fills it in), then signs that person in."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from vault_mcp.auth.setup_code import looks_like_a_code
from vault_mcp.errors import Conflict, InvalidInput, TooManyAttempts, Unauthorized
from vault_mcp.web import session
from vault_mcp.web.context import services_of
from vault_mcp.web.errors import retry_headers, status_of
from vault_mcp.web.views import form_with_csrf, render, safe_next

if TYPE_CHECKING:
    from vault_mcp.auth.service import AuthService

log = logging.getLogger(__name__)
# Well inside a code's day (db/setup_codes.py), so a printed code always still works.
REPRINT_AFTER = 12 * 3600.0


class SetupCodeLog:
    """Prints a setup code in the log (WARNING), as a link that fills it in: at start on a
    vault with no account, and again when /setup is opened after the last one has aged
    (codes live a day).

    Every browser needs the code, the one on this machine too: a tunnel that adds no
    header (ssh -R, a bare TCP forward) makes a stranger's connection look exactly like a
    local one, and whoever creates the first account owns the vault. The person who
    started the server has its log, so for them it is one click."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._printed_at: float | None = None
        self._lock = asyncio.Lock()

    async def ensure_printed(self, auth: AuthService) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._printed_at is not None and now - self._printed_at < REPRINT_AFTER:
                return
            code = await auth.new_setup_code()
            self._printed_at = now
        log.warning(
            "no account can sign in yet: open %s/setup?code=%s in a browser to create the "
            "first one (the code works once; or run `vault-mcp user add NAME`, or set "
            "VAULT_ADMIN_PASSWORD to create 'admin' on start)",
            self._base_url,
            code,
        )


def _code_log(request: Request) -> SetupCodeLog:
    codes: SetupCodeLog = request.app.state.setup_codes
    return codes


async def setup_page(request: Request) -> Response:
    services = await services_of(request)
    if not await services.auth.needs_first_account():
        return RedirectResponse("/login", status_code=303)
    await _code_log(request).ensure_printed(services.auth)
    next_path = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        linked = request.query_params.get("code", "")
        code = linked if looks_like_a_code(linked) else ""
        return _page(request, 200, next=next_path, code=code)
    form = await form_with_csrf(request)
    fields = {k: v if isinstance(v := form.get(k, ""), str) else "" for k in _FIELDS}
    try:
        if fields["password"] != fields["repeat"]:
            raise InvalidInput("the two passwords differ")
        address = request.client.host if request.client else "unknown"
        token = await services.auth.create_first_account(
            fields["username"], fields["password"], address, fields["code"]
        )
    except Conflict:
        return RedirectResponse("/login", status_code=303)
    except (InvalidInput, Unauthorized, TooManyAttempts) as exc:
        status, _ = status_of(exc)
        response = _page(
            request,
            status,
            next=next_path,
            error=exc.message,
            username=fields["username"],
            code=fields["code"] if looks_like_a_code(fields["code"]) else "",
        )
        response.headers.update(retry_headers(exc))
        return response
    # Where the person was going (an app's connection request), else the notes with a notice.
    target = "/notes?notice=account-created" if next_path == "/notes" else next_path
    response = RedirectResponse(target, status_code=303)
    max_age = int(request.app.state.settings.refresh_ttl.total_seconds())
    session.start_session(request, response, token, max_age)
    return response


_FIELDS = ("username", "password", "repeat", "code")


def _page(request: Request, status: int, **context: str) -> Response:
    return render(request, "setup.html", status, **context)  # no-store, as every page


routes = [Route("/setup", setup_page, methods=["GET", "POST"])]
