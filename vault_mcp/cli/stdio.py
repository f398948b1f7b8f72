"""`vault-mcp stdio`: MCP over stdin/stdout (Claude Desktop and other local clients)."""

from __future__ import annotations

import argparse
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from vault_mcp.cli.process import exit_now
from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    stdio = commands.add_parser("stdio", help="serve MCP over stdin/stdout (Claude Desktop)")
    stdio.set_defaults(handler=run)


def run(settings: Settings, _: argparse.Namespace) -> int:
    from vault_mcp.runtime import ServicesHandle
    from vault_mcp.tools import build_mcp_server

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[ServicesHandle]:
        async with ServicesHandle(settings) as handle:
            yield handle

    # SIGTERM is how Claude Desktop stops servers. A graceful unwind would wait forever on
    # the thread blocked reading stdin; an unfinished write was never acknowledged, and its
    # transaction rolls back.
    signal.signal(signal.SIGTERM, lambda *_: exit_now(0))
    build_mcp_server(lifespan).run("stdio")
    return 0
