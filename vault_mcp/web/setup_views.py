"""First run without the manual: on a vault where no account can sign in, /setup creates
the first one, for a browser on this machine or for anyone holding the setup code the
server printed in its log; then signs that person in."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from vault_mcp.errors import Conflict, InvalidInput, TooManyAttempts, Unauthorized
from vault_mcp.web import session
from vault_mcp.web.context import services_of
from vault_mcp.web.errors import retry_headers, status_of
from vault_mcp.web.views import _safe_next, form_with_csrf, render

if TYPE_CHECKING:
    from vault_mcp.auth.service import AuthService

log = logging.getLogger(__name__)

# Any of these says a proxy stands between the browser and us: the peer's loopback address
# is then the proxy's, not the browser's (uvicorn's proxy_headers already swaps the address
# for X-Forwarded-For's when the proxy is 127.0.0.1; the shipped nginx.conf sends it).
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
_NO_STORE = {"Cache-Control": "no-store"}


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def on_this_machine(request: Request) -> bool:
    """Whether the browser surely runs on this machine and needs no setup code. All of:
    - the connection comes from a loopback address, with no proxy header at all;
    - the Host it asked for is a loopback name (a DNS-rebinding page on evil.example,
      resolved to 127.0.0.1, would send its own name);
    - the vault's public URL is a loopback one: once the operator says the vault is reached
      from elsewhere, a tunnel or proxy that adds no header (ssh -R, a bare TCP forward)
      would make every stranger look local, so the code is asked for.
    """
    client = request.client
    if client is None or not _is_loopback(client.host):
        return False
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False
    public = urlsplit(request.app.state.settings.base_url()).hostname
    return _is_loopback(request.url.hostname) and _is_loopback(public)


class SetupCodeLog:
    """Prints a setup code in the log (WARNING) once per process, when it is first needed:
    at start on a vault with no account, or when a browser from elsewhere opens /setup."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._printed = False
        self._lock = asyncio.Lock()

    async def ensure_printed(self, auth: AuthService) -> None:
        async with self._lock:
            if self._printed:
                return
            code = await auth.new_setup_code()
            self._printed = True
        log.warning(
            "no account can sign in yet: open %s/setup in a browser and enter the code %s "
            "(single use; or create one with `vault-mcp user add NAME`, or set "
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
    local = on_this_machine(request)
    if not local:
        await _code_log(request).ensure_printed(services.auth)
    next_path = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return _page(request, 200, local, next=next_path)
    form = await form_with_csrf(request)
    fields = {k: v if isinstance(v := form.get(k, ""), str) else "" for k in _FIELDS}
    try:
        if fields["password"] != fields["repeat"]:
            raise InvalidInput("the two passwords differ")
        address = request.client.host if request.client else "unknown"
        token = await services.auth.create_first_account(
            fields["username"], fields["password"], address, None if local else fields["code"]
        )
    except Conflict:
        return RedirectResponse("/login", status_code=303)
    except (InvalidInput, Unauthorized, TooManyAttempts) as exc:
        status, _ = status_of(exc)
        response = _page(
            request, status, local, next=next_path, error=exc.message, username=fields["username"]
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


def _page(request: Request, status: int, local: bool, **context: str) -> Response:
    response = render(request, "setup.html", status, local=local, **context)
    response.headers.update(_NO_STORE)
    return response


routes = [Route("/setup", setup_page, methods=["GET", "POST"])]
