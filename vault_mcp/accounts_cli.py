"""`vault-mcp user add|list|passwd|delete`: manage the accounts that can sign in over HTTP."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from vault_mcp.auth.passwords import check_password_strength, hash_password
from vault_mcp.db.refresh_tokens import PgRefreshTokenStore
from vault_mcp.db.users import PgUserRepository, validate_username
from vault_mcp.errors import InvalidInput, NotFound
from vault_mcp.runtime import open_database
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
    async with open_database(settings) as pool:
        await PgUserRepository(pool).create(username, await hash_password(password))
    return f"created user {username!r}; sign in at {settings.base_url()}/login"


async def list_all(settings: Settings) -> str:
    async with open_database(settings) as pool:
        users = await PgUserRepository(pool).all()
    if not users:
        return "no users yet; create one with `vault-mcp user add NAME`"
    width = max(len(u.username) for u in users)
    lines = [f"{'user':<{width}}  {'notes':>6}  sign-in   created"]
    for u in users:
        login = "password" if u.can_log_in else "none    "
        lines.append(f"{u.username:<{width}}  {u.notes:>6}  {login}  {u.created_at:%Y-%m-%d}")
    return "\n".join(lines)


async def passwd(settings: Settings, username: str, password: str) -> str:
    async with open_database(settings) as pool:
        user_id = await PgUserRepository(pool).set_password(username, await hash_password(password))
        # A new password ends every session signed in with the old one.
        await PgRefreshTokenStore(pool, settings.refresh_ttl).revoke_user(user_id)
    return f"password of {username!r} changed; its other sessions are signed out"


async def delete(settings: Settings, username: str, confirm: Callable[[str], bool]) -> str:
    async with open_database(settings) as pool:
        users = PgUserRepository(pool)
        user = await users.by_name(username)
        if user is None:
            raise NotFound(f"no user named {username!r}")
        notes = await users.count_notes(user.id)
        if notes and not confirm(f"Delete user {username!r} and their {notes} note(s)? [y/N] "):
            return "nothing deleted"
        await users.delete(user.id)
    return f"deleted user {username!r} and {notes} note(s)"
