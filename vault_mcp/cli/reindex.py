"""`vault-mcp reindex`: re-split and re-embed notes indexed by an older version."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    again = commands.add_parser(
        "reindex", help="re-split and re-embed notes indexed by an older version (resumable)"
    )
    again.add_argument("--user", help="only this account's notes (default: every account)")
    again.add_argument(
        "--all", action="store_true", help="redo every note, e.g. after changing the model"
    )
    again.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from vault_mcp.reindex import reindex_notes

    report = asyncio.run(reindex_notes(settings, args.user, everything=args.all))
    print(
        f"reindexed {report.reindexed} note(s) of {report.accounts} account(s)"
        + (f"; {report.left} kept changing, run again to finish them" if report.left else "")
    )
    return 0
