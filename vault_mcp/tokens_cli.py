"""`vault-mcp token create|list|revoke`: personal access tokens for scripts and CLI clients."""

from __future__ import annotations

from vault_mcp.auth.scopes import ALL_SCOPES, unknown_scopes
from vault_mcp.db.personal_tokens import PgPersonalTokenStore
from vault_mcp.db.pool import Pool
from vault_mcp.db.users import PgUserRepository
from vault_mcp.errors import InvalidInput, NotFound
from vault_mcp.runtime import open_database
from vault_mcp.settings import Settings, parse_duration


async def _owner(pool: Pool, username: str | None) -> tuple[int, str]:
    """The named account, or the only one that can sign in when none is named."""
    users = PgUserRepository(pool)
    if username is not None:
        user = await users.by_name(username)
        if user is None:
            raise NotFound(f"no user {username!r}; see `vault-mcp user list`")
        return user.id, user.username
    accounts = [u for u in await users.all() if u.can_log_in]
    if len(accounts) != 1:
        raise InvalidInput(
            "name the account with --user NAME"
            + ("" if accounts else " (create one first: `vault-mcp user add NAME`)")
        )
    return accounts[0].id, accounts[0].username


def _scopes(requested: list[str]) -> tuple[str, ...]:
    scopes = tuple(sorted(set(requested))) or ALL_SCOPES
    unknown = unknown_scopes(scopes)
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}; choose from {', '.join(ALL_SCOPES)}")
    return scopes


async def create(
    settings: Settings, username: str | None, name: str, scopes: list[str], expires: str | None
) -> tuple[str, str]:
    """(the token, a line about it for stderr). The token is printed once and never again."""
    if not name.strip() or len(name) > 100:
        raise InvalidInput("--name must be 1 to 100 characters")
    try:
        lifetime = None if expires in (None, "never") else parse_duration(expires)
    except ValueError as exc:
        raise InvalidInput(f"--expires: {exc}") from None
    chosen = _scopes(scopes)
    async with open_database(settings) as pool:
        user_id, owner = await _owner(pool, username)
        token, record = await PgPersonalTokenStore(pool).create(user_id, name, chosen, lifetime)
    until = f"until {record.expires_at:%Y-%m-%d}" if record.expires_at else "until revoked"
    about = (
        f"created token {name!r} for {owner!r} ({' '.join(chosen)}, {until}); "
        "it is shown only now. Send it as `Authorization: Bearer <token>`."
    )
    return token, about


async def list_all(settings: Settings, username: str | None) -> str:
    async with open_database(settings) as pool:
        user_id, owner = await _owner(pool, username)
        tokens = await PgPersonalTokenStore(pool).list(user_id)
    if not tokens:
        return f"{owner!r} has no live tokens; create one with `vault-mcp token create --name N`"
    width = max(4, *(len(t.name) for t in tokens))
    lines = [f"{'name':<{width}}  {'scopes':<22}  created     expires     last used   id"]
    for t in tokens:
        expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never     "
        used = f"{t.last_used_at:%Y-%m-%d}" if t.last_used_at else "never     "
        lines.append(
            f"{t.name:<{width}}  {' '.join(t.scopes):<22}  {t.created_at:%Y-%m-%d}  "
            f"{expires}  {used}  {t.id}"
        )
    return "\n".join(lines)


async def revoke(settings: Settings, username: str | None, name_or_id: str) -> str:
    async with open_database(settings) as pool:
        user_id, owner = await _owner(pool, username)
        await PgPersonalTokenStore(pool).revoke(user_id, name_or_id)
    return f"revoked token {name_or_id!r} of {owner!r}"
