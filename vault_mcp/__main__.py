"""The `vault-mcp` command: build the parser, read settings once, run the chosen command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from vault_mcp import __version__
from vault_mcp.cli import COMMANDS
from vault_mcp.cli.process import exit_now
from vault_mcp.errors import VaultError
from vault_mcp.settings import Settings


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vault-mcp", description="A personal knowledge vault for AI assistants (MCP server)."
    )
    parser.add_argument("--version", action="version", version=f"vault-mcp {__version__}")
    parser.set_defaults(handler=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the command, return its exit code (for tests: the process lives on)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.handler is None:  # no command: say what there is, never pick one
        parser.print_help(sys.stderr)
        return 2
    overrides = {
        key: value for key in ("host", "port") if (value := getattr(args, key, None)) is not None
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        print(f"vault-mcp: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    try:
        return int(args.handler(settings, args))
    except VaultError as exc:
        print(f"vault-mcp: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    """The `vault-mcp` script. With `argv` None this is the process's own command line, and
    the process ends here (see `exit_now`: a model still loading must not abort it)."""
    if argv is not None:
        return run(argv)
    try:
        code = run()
    except SystemExit as exc:  # argparse's --help, --version and usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except BaseException:  # a bug, or stdout gone: told, and still no interpreter teardown
        logging.getLogger("vault_mcp").exception("vault-mcp stopped on an unexpected error")
        code = 1
    exit_now(code)


if __name__ == "__main__":
    main()
