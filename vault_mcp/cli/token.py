"""`vault-mcp token create|list|revoke`: personal access tokens for scripts and CLI clients."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    token = commands.add_parser(
        "token", help="manage personal access tokens (for scripts and CLI MCP clients)"
    )
    token.set_defaults(handler=run)
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    make = actions.add_parser("create", help="create a token (printed once)")
    make.add_argument("--name", required=True, help="what the token is for, e.g. 'backup script'")
    make.add_argument(
        "--scope",
        action="append",
        default=[],
        choices=["notes:read", "notes:write"],
        help="repeatable; default: both",
    )
    make.add_argument("--expires", help="lifetime such as 90d or 12h, or 'never' (the default)")
    listing = actions.add_parser("list", help="list live tokens")
    drop = actions.add_parser("revoke", help="revoke a token by name or id")
    drop.add_argument("token", help="the token's name or id (see `token list`)")
    for sub in (make, listing, drop):
        sub.add_argument("--user", help="the account (default: the only one that can sign in)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from vault_mcp import tokens_cli

    action = args.token_command
    if action == "create":
        token, about = asyncio.run(
            tokens_cli.create(settings, args.user, args.name, args.scope, args.expires)
        )
        print(about, file=sys.stderr)
        print(token)  # alone on stdout, so `TOKEN=$(vault-mcp token create …)` works
        return 0
    if action == "revoke":
        message = asyncio.run(tokens_cli.revoke(settings, args.user, args.token))
    else:
        message = asyncio.run(tokens_cli.list_all(settings, args.user))
    print(message)
    return 0
