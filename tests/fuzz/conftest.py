"""The fuzz tier's server: the real app under uvicorn on a loopback port (its own thread and
event loop), two accounts, and a tally of what was sent written where the lead can quote it."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.web.conftest import accounts, app_settings  # noqa: F401 - fixtures used below
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app

SUMMARY = Path(__file__).parents[1] / "artifacts" / "fuzz-summary.txt"


@dataclass
class LiveServer:
    base: str
    errors: list[logging.LogRecord] = field(default_factory=list)


class _Errors(logging.Handler):
    """Every ERROR the server logs (an unexpected exception, a crashed session)."""

    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self._into = into

    def emit(self, record: logging.LogRecord) -> None:
        self._into.append(record)


@pytest.fixture
def live_server(app_settings: Settings, accounts: dict[str, int]) -> Iterator[LiveServer]:  # noqa: F811
    app = create_app(app_settings, HashingEmbedder())
    # ws="none": no websocket module is imported (its deprecation warnings would be errors).
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fuzz-uvicorn", daemon=True)
    handler = _Errors([])
    logging.getLogger().addHandler(handler)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        live = LiveServer(f"http://127.0.0.1:{port}", handler._into)
        while httpx.get(f"{live.base}/health", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "the app did not become healthy"
            time.sleep(0.05)
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        logging.getLogger().removeHandler(handler)


def assert_no_server_errors(
    name: str, statuses: Counter[int], started: float, live_server: LiveServer, scope: str = ""
) -> None:
    """Record the run's tally (requests, 5xx, statuses) and fail on any 5xx or logged error."""
    elapsed = time.monotonic() - started
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    record(
        f"{name}: {sum(statuses.values())} requests{scope} in {elapsed:.0f} s, "
        f"5xx: {server_errors}, statuses: {dict(sorted(statuses.items()))}"
    )
    assert server_errors == 0
    assert not live_server.errors, [r.getMessage() for r in live_server.errors]


def record(line: str) -> None:
    """Print a summary line (seen with -s) and append it to tests/artifacts/fuzz-summary.txt."""
    print(line)
    SUMMARY.parent.mkdir(exist_ok=True)
    with SUMMARY.open("a") as out:
        out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {line}\n")
