"""`vault-mcp user add|list|passwd|delete`: the accounts that sign in over HTTP."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from vault_mcp.errors import InvalidInput
from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    user = commands.add_parser("user", help="manage the accounts that sign in over HTTP")
    user.set_defaults(handler=run)
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    for name, text in (("add", "create an account"), ("passwd", "change an account's password")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("name")
        sub.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin (one line)"
        )
    actions.add_parser("list", help="list the accounts")
    remove = actions.add_parser("delete", help="delete an account and its notes")
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="do not ask before deleting notes")


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise InvalidInput("refusing to delete notes without a terminal to ask on; pass --yes")
    return input(question).strip().lower() in {"y", "yes"}


def run(settings: Settings, args: argparse.Namespace) -> int:
    from vault_mcp import accounts_cli

    action = args.user_command
    if action == "add":
        password = accounts_cli.read_new_password(args.password_stdin)
        message = asyncio.run(accounts_cli.add(settings, args.name, password))
    elif action == "passwd":
        password = accounts_cli.read_new_password(args.password_stdin)
        message = asyncio.run(accounts_cli.passwd(settings, args.name, password))
    elif action == "delete":
        confirm = (lambda _: True) if args.yes else _confirm
        message = asyncio.run(accounts_cli.delete(settings, args.name, confirm))
    else:
        message = asyncio.run(accounts_cli.list_all(settings))
    print(message)
    return 0
