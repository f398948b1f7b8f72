"""Helpers for end-to-end tests that spawn the real `vault-mcp` command."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest

from tests.conftest import MODEL_CACHE

VAULT_MCP = shutil.which("vault-mcp", path=str(Path(sys.executable).parent)) or "vault-mcp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(
    tmp_path: Path, database_url: str | None, embedder: str = "hashing"
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "DATABASE_URL"))}
    env.update(
        VAULT_DATA_DIR=str(tmp_path / "data"),
        VAULT_EMBEDDER=embedder,
        VAULT_MODEL_CACHE=str(MODEL_CACHE),
        HF_HUB_OFFLINE="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


async def run_cli(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `vault-mcp ARGS` to completion without blocking the event loop."""
    with anyio.fail_after(120):
        done = await anyio.run_process(
            [VAULT_MCP, *args],
            env=env,
            check=False,
            input=None if stdin is None else stdin.encode(),
        )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


@asynccontextmanager
async def running_serve(
    env: dict[str, str], startup_seconds: float = 60.0, ready: str = "/health"
) -> AsyncIterator[str]:
    """`vault-mcp serve` on a free port; yields its base URL once `ready` answers 200
    (/health/live for a server that is up but not healthy)."""
    port = free_port()
    log_path = Path(env["VAULT_DATA_DIR"]).parent / f"serve-{port}.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would stall the server
        proc = await asyncio.create_subprocess_exec(
            VAULT_MCP,
            "serve",
            "--port",
            str(port),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        async with httpx.AsyncClient() as http:
            while True:
                if proc.returncode is not None:
                    raise AssertionError(f"serve exited early:\n{log_path.read_text()}")
                try:
                    if (await http.get(f"{base}{ready}", timeout=2)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"serve was not healthy in time:\n{log_path.read_text()}")
                await asyncio.sleep(0.1)
        yield base
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        try:
            with anyio.fail_after(30):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def add_user(env: dict[str, str], name: str, password: str) -> None:
    done = await run_cli(["user", "add", name, "--password-stdin"], env, stdin=password + "\n")
    assert done.returncode == 0, done.stderr


async def login(base: str, name: str, password: str) -> dict[str, str]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base}/api/v1/auth/login", json={"username": name, "password": password}
        )
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(token: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def hashing_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return server_env(tmp_path, database_url)
