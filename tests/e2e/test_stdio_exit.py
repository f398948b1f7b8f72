"""`vault-mcp stdio` exits 0 when its client goes away early, whatever is still loading."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import initialize_request
from tests.e2e.conftest import VAULT_MCP, server_env

pytestmark = pytest.mark.slow

SEARCH = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "search_notes", "arguments": {"query": "garden"}},
}


def _spawn(tmp_path: Path, database_url: str) -> subprocess.Popen[bytes]:
    # The real model (onnxruntime): its session is built in a native thread pool for about
    # a second after start, which is when an Inspector-style client has already gone.
    env = server_env(tmp_path, database_url, embedder="onnx")
    return subprocess.Popen(
        [VAULT_MCP, "stdio"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _send(proc: subprocess.Popen[bytes], *messages: dict) -> None:
    assert proc.stdin is not None
    proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
    proc.stdin.flush()


def _finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Close stdin (the client leaves) and wait for the process to end."""
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode(errors="replace")


def test_stdio_exits_0_when_stdin_closes_right_after_initialize(
    tmp_path: Path, database_url: str
) -> None:
    proc = _spawn(tmp_path, database_url)
    _send(proc, initialize_request("leaves-at-once"))
    code, err = _finish(proc)
    assert "terminate called" not in err
    assert code == 0, err[-2000:]


def test_stdio_exits_0_when_stdin_closes_while_a_call_waits_for_the_model(
    tmp_path: Path, database_url: str
) -> None:
    proc = _spawn(tmp_path, database_url)
    _send(proc, initialize_request("leaves-mid-call"))
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline())["id"] == 1  # the server is up, the model loading
    _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"}, SEARCH)
    code, err = _finish(proc)
    assert "terminate called" not in err
    assert code == 0, err[-2000:]


def test_stdio_exits_0_when_stdin_closes_while_onnxruntime_builds_its_session(
    tmp_path: Path, database_url: str
) -> None:
    proc = _spawn(tmp_path, database_url)
    _send(proc, initialize_request("leaves-mid-load"))
    assert proc.stderr is not None
    for line in iter(proc.stderr.readline, b""):  # bounded: the load logs it within seconds
        if b"loading the embedding model" in line:
            break
    code, err = _finish(proc)
    assert "terminate called" not in err
    assert code == 0, err[-2000:]
