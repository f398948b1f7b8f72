"""The embedded PostgreSQL 16 + pgvector (pgserver), shared by the processes on one data dir."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import psutil

from vault_mcp.errors import StorageUnavailable

log = logging.getLogger(__name__)


def _import_pgserver() -> Any:
    # pgserver picks its lock directory at import and warns when XDG_RUNTIME_DIR is unset;
    # the fallback it takes is fine, so the warning is noise for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call at INFO
    return pgserver


def _forget_dead_holders(pgserver: Any, pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up (e.g. `kill -9`).

    pgserver stops the server when its last registered process exits; a dead pid left in
    the list would keep it from ever stopping.
    """
    handles = pgdata / ".handle_pids.json"
    with pgserver.postgres_server.PostgresServer._lock:
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
        pgserver = _import_pgserver()
        try:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            if self.pgdata.exists():
                _forget_dead_holders(pgserver, self.pgdata)
            self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
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
