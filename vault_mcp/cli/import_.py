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
        "import",
        help="import Markdown/text files (front matter read) or a JSON export as notes",
    )
    bring.add_argument(
        "path",
        help="a folder (searched recursively), a Markdown/text file, or a .json export "
        "(vault-mcp's or mcp-memory-service's)",
    )
    bring.add_argument("--user", help="the account that will own the notes (default: $VAULT_USER)")
    bring.add_argument("--tag", action="append", default=[], help="tag every note (repeatable)")
    bring.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from vault_mcp.importer import import_notes

    report = asyncio.run(import_notes(settings, Path(args.path), args.user, args.tag))
    for reason in report.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    for note_id in report.conflicts:
        print(
            f"refused note {note_id}: the vault has a different note with this id, live or "
            "in the trash (not overwritten; delete it for good first, or import into "
            "another account)",
            file=sys.stderr,
        )
    print(
        f"imported {report.written} note(s) from {report.found} {report.unit}; "
        f"{report.duplicates} already in the vault, {len(report.skipped)} skipped"
        + (f", {len(report.conflicts)} refused" if report.conflicts else "")
    )
    return 1 if report.conflicts else 0
