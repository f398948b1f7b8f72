"""Real nginx from the project's own nginx.conf, in front of a real `vault-mcp serve`.

Only what a test must change is rewritten: the upstream (the test's app on 127.0.0.1), the
listen ports, the certificate paths (a self-signed certificate made with openssl), and the
paths nginx writes to. Everything else — TLS, headers, rate limits, proxying — is the file
that ships.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PgCluster, create_database, drop_database, held
from tests.e2e.conftest import add_user, free_port, running_serve, server_env
from tests.https_server import self_signed_certificate

REPO = Path(__file__).parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
USERNAME, PASSWORD = "operator", "operator passphrase"


def render_nginx_conf(
    prefix: Path,
    backends: Sequence[int],
    http: int,
    https: int,
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    conf = (REPO / "nginx.conf").read_text()
    upstreams = "\n        ".join(f"server 127.0.0.1:{port};" for port in backends)
    rewrites = [
        ("user nginx;", "user root root;"),  # the image's user; this host has none
        ("pid /var/run/nginx.pid;", f"pid {prefix}/nginx.pid;"),
        ("error_log /var/log/nginx/error.log warn;", f"error_log {prefix}/error.log warn;"),
        ("access_log /var/log/nginx/access.log;", f"access_log {prefix}/access.log;"),
        ("server backend:8000;", upstreams),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{https}$request_uri;"),
        ("/etc/nginx/ssl/fullchain.pem", f"{prefix}/cert.pem"),
        ("/etc/nginx/ssl/privkey.pem", f"{prefix}/key.pem"),
        ("root /var/www/certbot;", f"root {prefix}/certbot;"),
        *extra,
    ]
    for old, new in rewrites:
        assert old in conf, f"nginx.conf no longer contains {old!r}; update the test harness"
        conf = conf.replace(old, new)
    return conf


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"nginx exited:\n{log.read_text() if log.exists() else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("nginx did not start listening")


@contextmanager
def running_nginx(
    prefix: Path,
    backends: Sequence[int],
    http: int,
    https: int,
    extra: Sequence[tuple[str, str]] = (),
) -> Iterator[None]:
    (prefix / "certbot").mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_conf(prefix, backends, http, https, extra))
    base = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([*base, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(https, proc, prefix / "error.log")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class Stack:
    https: str  # https://127.0.0.1:PORT, through nginx
    http: str  # the plain-HTTP listener, which only redirects
    ca_file: Path
    env: dict[str, str]
    prefix: Path


@pytest.fixture(scope="module")
async def stack(
    pg_cluster: PgCluster, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """A migrated database, an account, `vault-mcp serve` with the real model, nginx in front."""
    prefix = tmp_path_factory.mktemp("nginx")
    name = await create_database(pg_cluster, template_database)
    https, http = free_port(), free_port()
    public = f"https://127.0.0.1:{https}"
    env = server_env(prefix, pg_cluster.url(name), embedder="auto")
    env["VAULT_PUBLIC_URL"] = public
    await add_user(env, USERNAME, PASSWORD)
    ca_file = self_signed_certificate(prefix)
    try:
        async with held(running_serve(env, startup_seconds=120)) as backend_url:
            backend = int(backend_url.rsplit(":", 1)[1])
            with running_nginx(prefix, [backend], http, https):
                yield Stack(public, f"http://127.0.0.1:{http}", ca_file, env, prefix)
    finally:
        await drop_database(pg_cluster, name)
