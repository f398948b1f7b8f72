"""`vault-mcp smoke --url URL`: check a deployment end to end from outside."""

from __future__ import annotations

import argparse
from typing import Any

from vault_mcp.settings import Settings


def register(commands: Any) -> None:
    smoke = commands.add_parser(
        "smoke", help="check a deployment end to end: health, login, notes, search, MCP"
    )
    smoke.add_argument(
        "--url", required=True, help="the deployment, e.g. https://vault.example.com"
    )
    tls = smoke.add_mutually_exclusive_group()
    tls.add_argument("--insecure", action="store_true", help="skip TLS certificate checks")
    tls.add_argument("--ca-file", help="trust this CA (or self-signed) certificate")
    smoke.set_defaults(handler=run)


def run(_: Settings, args: argparse.Namespace) -> int:
    from vault_mcp import smoke as smoke_check

    return smoke_check.main(args.url, args.insecure, args.ca_file)
