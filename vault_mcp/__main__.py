"""The `vault-mcp` command: parse arguments, read settings once, run the chosen mode."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pydantic import ValidationError

from vault_mcp import __version__
from vault_mcp.errors import InvalidInput, VaultError
from vault_mcp.settings import Settings

log = logging.getLogger("vault_mcp")


def _configure_logging(level: str) -> None:
    # stderr only: in stdio mode stdout carries the protocol. Configured before the SDK's
    # own basicConfig, which then leaves it alone.
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The SDK's transport logs "Terminating session" at INFO for every stateless request.
    noisy = (
        "httpx",
        "httpx2",
        "mcp.server.streamable_http",
        "mcp.server.streamable_http_manager",
        "sentence_transformers",
    )
    for name in noisy:
        logging.getLogger(name).setLevel(logging.WARNING)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_stdio(settings: Settings) -> None:
    from vault_mcp.runtime import ServicesHandle
    from vault_mcp.tools import build_mcp_server

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[ServicesHandle]:
        async with ServicesHandle(settings) as handle:
            yield handle

    signal.signal(signal.SIGTERM, _exit_now)
    build_mcp_server(lifespan).run("stdio")


def _exit_now(*_: object) -> None:
    """SIGTERM in stdio mode (how Claude Desktop stops servers): run the exit hooks and leave.

    A graceful unwind would wait forever on the thread blocked reading stdin. The exit hooks
    stop the embedded PostgreSQL if this process was its last user; an unfinished write was
    never acknowledged, and its transaction rolls back.
    """
    logging.shutdown()
    atexit._run_exitfuncs()
    os._exit(0)


def run_serve(settings: Settings) -> int:
    import uvicorn

    from vault_mcp.web import create_app
    from vault_mcp.web.timeouts import timed_h11

    if not _is_loopback(settings.host) and settings.jwt_secret is None:
        print(
            f"vault-mcp: refusing to listen on {settings.host} without JWT_SECRET: tokens "
            "signed with a key kept only in the data dir would not survive a redeploy and are "
            "easy to lose track of. Set JWT_SECRET to 32+ random characters, e.g. from "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`.",
            file=sys.stderr,
        )
        return 2
    base = settings.base_url()
    log.info("vault-mcp %s: web view at %s/, MCP at %s/mcp", __version__, base, base)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=True,
        lifespan="on",
        # Headers and body must arrive within a deadline (uvicorn has none of its own);
        # an idle keep-alive connection is closed after 5 s.
        http=timed_h11(),
        timeout_keep_alive=5,
    )
    return 0


async def _migrate(settings: Settings) -> list[str]:
    from vault_mcp.runtime import database_dsn, prepare_schema

    async with database_dsn(settings) as dsn:
        return await prepare_schema(dsn, apply=True)


def run_migrate(settings: Settings) -> int:
    applied = asyncio.run(_migrate(settings))
    for name in applied:
        print(f"applied {name}")
    print("schema is up to date" if not applied else f"{len(applied)} migration(s) applied")
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise InvalidInput("refusing to delete notes without a terminal to ask on; pass --yes")
    return input(question).strip().lower() in {"y", "yes"}


def run_user(settings: Settings, args: argparse.Namespace) -> int:
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


def run_token(settings: Settings, args: argparse.Namespace) -> int:
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


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from vault_mcp.importer import import_notes

    report = asyncio.run(import_notes(settings, Path(args.path), args.user, args.tag))
    for reason in report.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    print(
        f"imported {report.written} note(s) from {report.found} file(s); "
        f"{report.duplicates} already in the vault, {len(report.skipped)} skipped"
    )
    return 0


def run_reindex(settings: Settings, args: argparse.Namespace) -> int:
    from vault_mcp.reindex import reindex_notes

    report = asyncio.run(reindex_notes(settings, args.user, everything=args.all))
    print(
        f"reindexed {report.reindexed} note(s) of {report.accounts} account(s)"
        + (f"; {report.left} kept changing, run again to finish them" if report.left else "")
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vault-mcp", description="A personal knowledge vault for AI assistants (MCP server)."
    )
    parser.add_argument("--version", action="version", version=f"vault-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="serve the web view, the REST API and MCP over streamable HTTP (/mcp)"
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1, or $HOST)")
    serve.add_argument("--port", type=int, help="port (default 8000, or $PORT)")
    commands.add_parser("stdio", help="serve MCP over stdin/stdout (Claude Desktop)")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    bring = commands.add_parser(
        "import", help="import a folder of Markdown/text files as notes (title: first heading)"
    )
    bring.add_argument("path", help="a folder (searched recursively) or a single file")
    bring.add_argument("--user", help="the account that will own the notes (default: $VAULT_USER)")
    bring.add_argument("--tag", action="append", default=[], help="tag every note (repeatable)")
    again = commands.add_parser(
        "reindex",
        help="re-split and re-embed notes indexed by an older version (resumable)",
    )
    again.add_argument("--user", help="only this account's notes (default: every account)")
    again.add_argument(
        "--all", action="store_true", help="redo every note, e.g. after changing the model"
    )
    smoke = commands.add_parser(
        "smoke", help="check a deployment end to end: health, login, notes, search, MCP"
    )
    smoke.add_argument(
        "--url", required=True, help="the deployment, e.g. https://vault.example.com"
    )
    tls = smoke.add_mutually_exclusive_group()
    tls.add_argument("--insecure", action="store_true", help="skip TLS certificate checks")
    tls.add_argument("--ca-file", help="trust this CA (or self-signed) certificate")
    user = commands.add_parser("user", help="manage the accounts that sign in over HTTP")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    for name, text in (("add", "create an account"), ("passwd", "change an account's password")):
        sub = user_commands.add_parser(name, help=text)
        sub.add_argument("name")
        sub.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin (one line)"
        )
    user_commands.add_parser("list", help="list the accounts")
    remove = user_commands.add_parser("delete", help="delete an account and its notes")
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="do not ask before deleting notes")
    token = commands.add_parser(
        "token", help="manage personal access tokens (for scripts and CLI MCP clients)"
    )
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    make = token_commands.add_parser("create", help="create a token (printed once)")
    make.add_argument("--name", required=True, help="what the token is for, e.g. 'backup script'")
    make.add_argument(
        "--scope",
        action="append",
        default=[],
        choices=["notes:read", "notes:write"],
        help="repeatable; default: both",
    )
    make.add_argument("--expires", help="lifetime such as 90d or 12h, or 'never' (the default)")
    listing = token_commands.add_parser("list", help="list live tokens")
    drop = token_commands.add_parser("revoke", help="revoke a token by name or id")
    drop.add_argument("token", help="the token's name or id (see `token list`)")
    for sub in (make, listing, drop):
        sub.add_argument("--user", help="the account (default: the only one that can sign in)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        key: value
        for key, value in (
            ("host", getattr(args, "host", None)),
            ("port", getattr(args, "port", None)),
        )
        if value is not None
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"vault-mcp: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    try:
        if args.command == "stdio":
            run_stdio(settings)
            return 0
        if args.command == "serve":
            return run_serve(settings)
        if args.command == "user":
            return run_user(settings, args)
        if args.command == "import":
            return run_import(settings, args)
        if args.command == "token":
            return run_token(settings, args)
        if args.command == "reindex":
            return run_reindex(settings, args)
        if args.command == "smoke":
            from vault_mcp import smoke as smoke_check

            return smoke_check.main(args.url, args.insecure, args.ca_file)
        return run_migrate(settings)
    except VaultError as exc:
        print(f"vault-mcp: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
