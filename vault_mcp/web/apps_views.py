"""The connected-apps page: the OAuth clients and personal tokens that can reach the
account, each with a Revoke button that stops it at once."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from vault_mcp.errors import NotFound
from vault_mcp.web.views import form_with_csrf, render, signed_in, to_login


async def apps_page(request: Request) -> Response:
    person = await signed_in(request)
    if person is None:
        return to_login(request)
    services, user_id, username = person
    apps = await services.oauth.connected_apps(user_id)
    account = await services.auth.user(user_id)
    tokens = [] if account is None else await services.auth.personal_tokens(account)
    return render(request, "apps.html", user=username, apps=apps, tokens=tokens)


async def revoke(request: Request) -> Response:
    """POST app=<client_id> or token=<id>: that one stops working for this account now."""
    person = await signed_in(request)
    if person is None:
        return to_login(request, "/apps")
    services, user_id, username = person
    form = await form_with_csrf(request)
    app, token = form.get("app"), form.get("token")
    try:
        if isinstance(app, str) and app:
            await services.auth.disconnect_app(user_id, app)
        elif isinstance(token, str) and _is_uuid(token):
            account = await services.auth.user(user_id)
            if account is None:
                raise NotFound("that account no longer exists")
            await services.auth.revoke_personal_token(account, token)
        else:
            raise NotFound("no app or token with that id is connected to your account")
    except NotFound:
        message = "Nothing with that id is connected to your account (already revoked?)."
        return render(request, "error.html", 404, user=username, message=message)
    return RedirectResponse("/apps?notice=revoked", status_code=303)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


routes = [
    Route("/apps", apps_page),
    Route("/apps/revoke", revoke, methods=["POST"]),
]
