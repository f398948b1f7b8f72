"""Throw-away web servers on loopback: HTTPS with a self-signed certificate (openssl), or plain
HTTP (a client's callback)."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

# A route answers (status, headers, body).
Handler = Callable[[], tuple[int, dict[str, str], bytes]]


def self_signed_certificate(prefix: Path, names: tuple[str, ...] = ("localhost",)) -> Path:
    """cert.pem and key.pem for `names` and 127.0.0.1 in `prefix`; the cert's path."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + ",IP:127.0.0.1",
            "-keyout",
            str(prefix / "key.pem"),
            "-out",
            str(prefix / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return prefix / "cert.pem"


@contextmanager
def https_server(prefix: Path, routes: dict[str, Handler]) -> Iterator[str]:
    """Serve `routes` (path → handler) over HTTPS; yields the base URL. Needs cert.pem and
    key.pem in `prefix` (self_signed_certificate)."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(prefix / "cert.pem", prefix / "key.pem")
    with local_server(routes, tls) as base:
        yield base


@contextmanager
def local_server(routes: dict[str, Handler], tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `routes` (path, without the query → handler) on a free loopback port."""

    class Serve(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handler = routes.get(urlsplit(self.path).path)
            status, headers, body = handler() if handler else (404, {}, b"")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
