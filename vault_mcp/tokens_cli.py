"""`vault-mcp token create|list|revoke`: personal access tokens for scripts and CLI clients."""

from __future__ import annotations

from vault_mcp.errors import InvalidInput
from vault_mcp.runtime import open_accounts
from vault_mcp.settings import Settings, parse_duration


async def create(
    settings: Settings, username: str | None, name: str, scopes: list[str], expires: str | None
) -> tuple[str, str]:
    """(the token, a line about it for stderr). The token is printed once and never again."""
    try:
        lifetime = None if expires in (None, "never") else parse_duration(expires)
    except ValueError as exc:
        raise InvalidInput(f"--expires: {exc}") from None
    async with open_accounts(settings) as auth:
        owner = await auth.account(username)
        token, record = await auth.create_personal_token(owner, name, tuple(scopes), lifetime)
    until = f"until {record.expires_at:%Y-%m-%d}" if record.expires_at else "until revoked"
    about = (
        f"created token {name!r} for {owner.username!r} ({' '.join(record.scopes)}, {until}); "
        "it is shown only now. Send it as `Authorization: Bearer <token>`."
    )
    return token, about


async def list_all(settings: Settings, username: str | None) -> str:
    async with open_accounts(settings) as auth:
        owner = await auth.account(username)
        tokens = await auth.personal_tokens(owner)
    if not tokens:
        return (
            f"{owner.username!r} has no live tokens; create one with "
            "`vault-mcp token create --name N`"
        )
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
    async with open_accounts(settings) as auth:
        owner = await auth.account(username)
        await auth.revoke_personal_token(owner, name_or_id)
    return f"revoked token {name_or_id!r} of {owner.username!r}"
