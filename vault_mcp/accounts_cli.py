"""`vault-mcp user add|list|passwd|delete`: manage the accounts that can sign in over HTTP."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from vault_mcp.auth.models import validate_username
from vault_mcp.auth.passwords import check_password_strength
from vault_mcp.errors import InvalidInput
from vault_mcp.runtime import open_accounts
from vault_mcp.settings import Settings


def read_new_password(from_stdin: bool, prompt: Callable[[str], str] = getpass.getpass) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = prompt("New password: ")
        if prompt("Repeat it: ") != password:
            raise InvalidInput("the two passwords differ; nothing was changed")
    check_password_strength(password)
    return password


async def add(settings: Settings, username: str, password: str) -> str:
    username = validate_username(username)
    async with open_accounts(settings) as auth:
        await auth.add_user(username, password)
    return f"created user {username!r}; sign in at {settings.base_url()}/login"


async def list_all(settings: Settings) -> str:
    async with open_accounts(settings) as auth:
        users = await auth.users()
    if not users:
        return "no users yet; create one with `vault-mcp user add NAME`"
    width = max(len(u.username) for u in users)
    lines = [f"{'user':<{width}}  {'notes':>6}  sign-in   created"]
    for u in users:
        login = "password" if u.can_log_in else "none    "
        lines.append(f"{u.username:<{width}}  {u.notes:>6}  {login}  {u.created_at:%Y-%m-%d}")
    return "\n".join(lines)


async def passwd(settings: Settings, username: str, password: str) -> str:
    async with open_accounts(settings) as auth:
        await auth.change_password(username, password)
    return (
        f"password of {username.strip()!r} changed; its sessions, connected apps and "
        "personal tokens are revoked"
    )


async def delete(settings: Settings, username: str, confirm: Callable[[str], bool]) -> str:
    def ask(notes: int) -> bool:
        return confirm(
            f"Delete user {username!r} and their {notes} note(s), the trash included? [y/N] "
        )

    async with open_accounts(settings) as auth:
        notes = await auth.delete_user(username, ask)
    if notes is None:
        return "nothing deleted"
    return f"deleted user {username!r} and {notes} note(s)"
