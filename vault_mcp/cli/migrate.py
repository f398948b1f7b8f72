"""`vault-mcp migrate`: apply pending database migrations, say which, exit."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    migrate = commands.add_parser("migrate", help="apply pending database migrations and exit")
    migrate.set_defaults(handler=run)


async def _migrate(settings: Settings) -> list[str]:
    from vault_mcp.runtime import database_dsn, prepare_schema

    async with database_dsn(settings) as dsn:
        return await prepare_schema(dsn, apply=True)


def run(settings: Settings, _: argparse.Namespace) -> int:
    applied = asyncio.run(_migrate(settings))
    for name in applied:
        print(f"applied {name}")
    print("schema is up to date" if not applied else f"{len(applied)} migration(s) applied")
    return 0
