"""`vault-mcp import PATH`: notes from a folder of Markdown/text files or an export."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    bring = commands.add_parser(
        "import", help="import a folder of Markdown/text files as notes (title: first heading)"
    )
    bring.add_argument("path", help="a folder (searched recursively) or a single file")
    bring.add_argument("--user", help="the account that will own the notes (default: $VAULT_USER)")
    bring.add_argument("--tag", action="append", default=[], help="tag every note (repeatable)")
    bring.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from vault_mcp.importer import import_notes

    report = asyncio.run(import_notes(settings, Path(args.path), args.user, args.tag))
    for reason in report.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    print(
        f"imported {report.written} note(s) from {report.found} file(s); "
        f"{report.duplicates} already in the vault, {len(report.skipped)} skipped"
    )
    return 0
