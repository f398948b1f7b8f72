"""The `vault-mcp` commands: one module each, registering its own subparser and handler.

Each module has `register(commands)`, which adds its subparser and sets
`handler=run` (`run(settings, args) -> exit code`). `vault_mcp.__main__` builds the parser
from `COMMANDS`, reads the settings once and calls the chosen handler.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import ModuleType

from vault_mcp.cli import (
    export,
    import_,
    migrate,
    reindex,
    serve,
    smoke,
    stdio,
    token,
    user,
)
from vault_mcp.settings import Settings

Handler = Callable[[Settings, argparse.Namespace], int]

# In the order `vault-mcp --help` lists them.
COMMANDS: tuple[ModuleType, ...] = (
    serve,
    stdio,
    migrate,
    import_,
    export,
    reindex,
    smoke,
    user,
    token,
)

__all__ = ["COMMANDS", "Handler"]
