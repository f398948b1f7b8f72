"""A head start: an existing data dir's embedded database starts before the SDK is imported.

Importing the MCP SDK takes most of the time to `initialize`; starting an existing embedded
PostgreSQL is pg_ctl in a process of its own, needing none of it. Started in a thread at
once, it comes up meanwhile, and the services take it instead of starting their own.
Measured, and left out: a new data dir's initdb (seconds of CPU) and the model's load (its
imports hold the GIL) slowed `initialize` by more than they sped the first search up on two
cores; both start with the services, as before.
"""

from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from vault_mcp.settings import Settings

if TYPE_CHECKING:
    from vault_mcp.db.embedded import EmbeddedPostgres

Started = concurrent.futures.Future[tuple["EmbeddedPostgres", str]]

# The embedded server each data dir's head start is starting: taken (once) by database_dsn.
_servers: dict[Path, Started] = {}


def head_start(settings: Settings) -> None:
    """Start the data dir's embedded database in a thread now, if it has one already (not
    with DATABASE_URL, nor on a new data dir)."""
    if settings.database_url or not (settings.data_dir / "pgdata" / "PG_VERSION").is_file():
        return
    future: Started = concurrent.futures.Future()

    def start() -> None:
        from vault_mcp.db.embedded import EmbeddedPostgres

        try:
            server = EmbeddedPostgres(settings.data_dir)
            future.set_result((server, server.start()))
        except BaseException as exc:  # told to database_dsn, whose attempt it fails
            future.set_exception(exc)

    _servers[settings.data_dir] = future
    # Daemon: a start that hangs must never keep the process alive.
    threading.Thread(target=start, name="vault-database-start", daemon=True).start()


def started_server(data_dir: Path) -> Started | None:
    """The head start's server for `data_dir`, to the first caller only (a retry starts its
    own)."""
    return _servers.pop(data_dir, None)
