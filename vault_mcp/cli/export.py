"""`vault-mcp export PATH`: every note of an account, as Markdown files or one JSON document."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    out = commands.add_parser(
        "export",
        help="write every note of an account: a folder of Markdown files or one JSON document",
    )
    out.add_argument("path", help="a new or empty folder (markdown), or a file name (json)")
    out.add_argument(
        "--format",
        choices=["markdown", "json"],
        help="markdown: one .md per note with YAML front matter; json: one document "
        "(default: json if PATH ends in .json, else markdown)",
    )
    out.add_argument(
        "--user", help="the account (default: $VAULT_USER's, else the only one that signs in)"
    )
    out.add_argument(
        "--force", action="store_true", help="write into a non-empty folder / replace the file"
    )
    out.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from vault_mcp.exporter import Format, export_notes

    target = Path(args.path)
    fmt: Format = args.format or ("json" if target.suffix.lower() == ".json" else "markdown")
    report = asyncio.run(export_notes(settings, target, fmt, args.user, force=args.force))
    print(f"exported {report.written} note(s) of {report.account!r} to {target} ({fmt})")
    return 0
