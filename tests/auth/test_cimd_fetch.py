"""The CIMD fetch as an attacker would try it: rebinding DNS, IDNA spellings, IPv4 hidden in
IPv6, a document that trickles in, and the same bad URL asked for again and again."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.https_server import https_server, self_signed_certificate
from vault_mcp.auth.cimd import ClientMetadataFetcher, is_public_address
from vault_mcp.errors import OAuthError


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "ff02::1",
    ],
)
def test_private_addresses_hidden_in_other_forms_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


class Resolver:
    """A DNS server the test controls: answers from a table, and counts the questions."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self._answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        replies = self._answers.get(host)
        if not replies:
            raise OSError("no such host")
        return replies.pop(0) if len(replies) > 1 else replies[0]


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, dict]]:
    """A loopback HTTPS server whose certificate names cimd.test (trusted via SSL_CERT_FILE)."""
    cert = self_signed_certificate(tmp_path, names=("cimd.test", "xn--fa-hia.test"))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    routes: dict = {}
    with https_server(tmp_path, routes) as base:
        yield int(base.rsplit(":", 1)[1]), routes


def _document(client_id: str) -> bytes:
    return json.dumps({"client_id": client_id, "redirect_uris": ["https://a.test/cb"]}).encode()


async def test_the_fetch_connects_to_the_address_it_vetted(served: tuple[int, dict]) -> None:
    """Answered once with loopback (allowed here), then with an address that is not: the
    fetch must connect where the check looked, and ask DNS once."""
    port, routes = served
    client_id = f"https://cimd.test:{port}/client.json"
    routes["/client.json"] = lambda: (200, {}, _document(client_id))
    dns = Resolver({"cimd.test": [["127.0.0.1"], ["10.9.9.9"]]})
    fetcher = ClientMetadataFetcher(allow_private_addresses=True, resolve=dns)
    document = await fetcher.fetch(client_id)
    assert document["client_id"] == client_id
    assert dns.asked == ["cimd.test"]


async def test_a_name_that_rebinds_to_a_private_address_is_refused_before_connecting(
    served: tuple[int, dict],
) -> None:
    port, _ = served
    dns = Resolver({"cimd.test": [["93.184.215.14", "127.0.0.1"]]})
    fetcher = ClientMetadataFetcher(resolve=dns)
    with pytest.raises(OAuthError, match="private address"):
        await fetcher.fetch(f"https://cimd.test:{port}/client.json")


async def test_an_idna_name_is_checked_in_the_form_the_connection_uses(
    served: tuple[int, dict],
) -> None:
    """`faß` is `fass` in IDNA 2003 (Python's socket) but `xn--fa-hia` in IDNA 2008 (httpx):
    the check must vet the name that is actually connected to."""
    port, routes = served
    client_id = f"https://faß.test:{port}/client.json"
    routes["/client.json"] = lambda: (200, {}, _document(client_id))
    dns = Resolver({"xn--fa-hia.test": [["127.0.0.1"]], "fass.test": [["93.184.215.14"]]})
    fetcher = ClientMetadataFetcher(allow_private_addresses=True, resolve=dns)
    assert (await fetcher.fetch(client_id))["client_id"] == client_id
    assert dns.asked == ["xn--fa-hia.test"]
    strict = ClientMetadataFetcher(resolve=dns)
    with pytest.raises(OAuthError, match="private address"):
        await strict.fetch(client_id)


async def test_a_document_that_trickles_in_is_cut_off_at_one_overall_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte every 50 ms never trips a per-read timeout; the whole fetch has one deadline."""
    cert = self_signed_certificate(tmp_path, names=("cimd.test",))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with tls.wrap_socket(conn, server_side=True) as secure:
            secure.recv(4096)
            secure.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(400):  # 20 s at most
                if stop.wait(0.05):
                    return
                try:
                    secure.sendall(b" ")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        fetcher = ClientMetadataFetcher(
            allow_private_addresses=True,
            resolve=Resolver({"cimd.test": [["127.0.0.1"]]}),
            timeout=1.0,
        )
        with pytest.raises(OAuthError, match="took over 1 s"):
            await fetcher.fetch(f"https://cimd.test:{port}/client.json")
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


async def test_a_failed_fetch_is_remembered_so_it_is_not_repeated(
    served: tuple[int, dict],
) -> None:
    port, routes = served
    hits: list[int] = []

    def missing() -> tuple[int, dict[str, str], bytes]:
        hits.append(1)
        return 404, {}, b""

    routes["/client.json"] = missing
    fetcher = ClientMetadataFetcher(
        allow_private_addresses=True, resolve=Resolver({"cimd.test": [["127.0.0.1"]]})
    )
    for _ in range(5):
        with pytest.raises(OAuthError, match="HTTP 404"):
            await fetcher.fetch(f"https://cimd.test:{port}/client.json")
    assert len(hits) == 1
