"""Two `vault-mcp serve` processes on one PostgreSQL, behind one nginx upstream (the shipped
nginx.conf, round robin): every flow that hops between them works, and every test checks
that both backends really answered.

What must be shared is shared by configuration, as docs/deploy.md says: the database, the
JWT_SECRET, and VAULT_MCP_STATELESS (2025-11-25 sessions would otherwise live in the process
that opened them). Each backend has a data dir of its own.
"""

from __future__ import annotations

import re
import ssl
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import PgCluster, create_database, drop_database, held
from tests.deploy.conftest import running_nginx
from tests.e2e.conftest import add_user, free_port, running_serve, server_env
from tests.https_server import self_signed_certificate
from tests.web.conftest import PASSWORD
from tests.web.oauth_helpers import Authorization, answer, exchange, refresh, register, sign_in

pytestmark = pytest.mark.slow

BACKENDS = 2


@dataclass(frozen=True)
class Replicas:
    https: str  # through nginx
    ca_file: Path
    access_log: Path
    backends: tuple[str, ...]  # host:port of each, as nginx's $upstream_addr names them

    def trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def served(self) -> Counter[str]:
        """How many requests each backend has answered so far (from nginx's access log)."""
        # $upstream_addr is "a:1" or, after a failover, "a:1, b:2": each counts.
        return Counter(
            addr
            for line in self.access_log.read_text().splitlines()
            for addr in line.rsplit(" ", 2)[0].split(", ")
        )

    def assert_both_answered(self, since: Counter[str]) -> None:
        now = self.served()
        answered = {backend: now[backend] - since[backend] for backend in self.backends}
        assert all(answered.values()), f"one backend served everything: {answered}"


@pytest.fixture(scope="module")
async def replicas(
    pg_cluster: PgCluster, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Replicas]:
    prefix = tmp_path_factory.mktemp("replicas")
    name = await create_database(pg_cluster, template_database)
    https, http = free_port(), free_port()
    public = f"https://127.0.0.1:{https}"
    envs = []
    for i in range(BACKENDS):
        (prefix / f"backend{i}").mkdir()
        env = server_env(prefix / f"backend{i}", pg_cluster.url(name))
        env.update(
            VAULT_PUBLIC_URL=public,
            JWT_SECRET="replicas-share-this-secret-" + "s" * 32,
            VAULT_MCP_STATELESS="true",
        )
        envs.append(env)
    for user in ("alice", "throttled"):
        await add_user(envs[0], user, PASSWORD)
    ca_file = self_signed_certificate(prefix)
    access_log = prefix / "access.log"
    extra = [
        # Which backend answered each request, for the assertions that both did.
        ("http {", "http {\n    log_format upstream '$upstream_addr $status $request_uri';"),
        (f"access_log {prefix}/access.log;", f"access_log {access_log} upstream;"),
        # nginx's own sign-in limit (tested in test_nginx.py) would answer before the
        # application's throttle, which is what is tested here.
        ("rate=10r/m", "rate=600r/m"),
    ]
    try:
        async with (
            held(running_serve(envs[0])) as first,
            held(running_serve(envs[1])) as second,
        ):
            ports = [int(base.rsplit(":", 1)[1]) for base in (first, second)]
            with running_nginx(prefix, ports, http, https, extra):
                yield Replicas(public, ca_file, access_log, tuple(f"127.0.0.1:{p}" for p in ports))
    finally:
        await drop_database(pg_cluster, name)


def _client(replicas: Replicas) -> httpx.Client:
    return httpx.Client(base_url=replicas.https, verify=replicas.trust(), timeout=60)


async def test_sign_in_failures_are_counted_across_both_backends(replicas: Replicas) -> None:
    """Five wrong passwords, spread over both processes, lock the account on both: the sixth
    attempt is refused even with the right password."""
    since = replicas.served()
    async with httpx.AsyncClient(verify=replicas.trust(), timeout=60) as http:
        login = f"{replicas.https}/api/v1/auth/login"
        for _ in range(5):
            wrong = await http.post(login, json={"username": "throttled", "password": "wrong"})
            assert wrong.status_code == 401, wrong.text
        refused = await http.post(login, json={"username": "throttled", "password": PASSWORD})
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/json")  # the app, not nginx
    assert int(refused.headers["retry-after"]) > 0
    replicas.assert_both_answered(since)


def test_a_web_session_works_on_either_backend(replicas: Replicas) -> None:
    since = replicas.served()
    with _client(replicas) as http:
        sign_in(http, "alice")
        form = http.get("/notes")
        assert form.status_code == 200 and "alice" in form.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        # The form came from one backend; the POST (and the page after it) from the other.
        created = http.post(
            "/notes",
            data={
                "title": "Replica",
                "content": "written via round robin",
                "tags": "",
                "csrf_token": csrf.group(1),
            },
        )
        assert created.status_code == 303, created.text
        for _ in range(4):
            page = http.get(created.headers["location"])
            assert page.status_code == 200 and "written via round robin" in page.text
    replicas.assert_both_answered(since)


def test_an_oauth_flow_completes_while_hopping_between_backends(replicas: Replicas) -> None:
    """Registration, consent, code exchange, refresh and replay detection each land wherever
    round robin sends them: everything they share is in the database."""
    since = replicas.served()
    with _client(replicas) as http:
        client = register(http, client_name="Replica client")
        sign_in(http, "alice")
        auth = Authorization.start(client["client_id"], resource=f"{replicas.https}/mcp")
        callback = answer(http, auth)
        assert callback["iss"] == replicas.https and callback["state"] == auth.params["state"]
        issued = exchange(http, auth, callback["code"], resource=f"{replicas.https}/mcp")
        assert issued.status_code == 200, issued.text
        renewed = refresh(http, client["client_id"], issued.json()["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        # A replayed code is refused, and revokes what it was exchanged for: on both.
        replay = exchange(http, auth, callback["code"], resource=f"{replicas.https}/mcp")
        assert replay.status_code == 400, replay.text
        revoked = refresh(http, client["client_id"], renewed.json()["refresh_token"])
        assert revoked.status_code == 400, revoked.text
    replicas.assert_both_answered(since)


async def _token(replicas: Replicas) -> str:
    async with httpx.AsyncClient(verify=replicas.trust(), timeout=60) as http:
        response = await http.post(
            f"{replicas.https}/api/v1/auth/login",
            json={"username": "alice", "password": PASSWORD},
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _authed(replicas: Replicas, token: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        verify=replicas.trust(), headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


async def test_a_2025_11_25_client_needs_no_affinity_when_stateless(replicas: Replicas) -> None:
    """The handshake on one backend, the calls on both: with VAULT_MCP_STATELESS no session
    id is issued, so no backend answers "unknown session"."""
    token = await _token(replicas)
    since = replicas.served()
    async with (
        _authed(replicas, token) as http,
        streamable_http_client(f"{replicas.https}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        created = await session.call_tool(
            "create_note", {"title": "Hop", "content": "a session-less session"}
        )
        assert not created.is_error, created.content
        nid = created.structured_content["id"]
        for _ in range(4):
            read_back = await session.call_tool("read_note", {"id": nid})
            assert read_back.structured_content["content"] == "a session-less session"
        found = await session.call_tool("search_notes", {"query": "session-less"})
        assert found.structured_content["results"][0]["id"] == nid
    replicas.assert_both_answered(since)


async def test_a_2026_07_28_client_reads_its_writes_on_both_backends(replicas: Replicas) -> None:
    token = await _token(replicas)
    since = replicas.served()
    async with (
        _authed(replicas, token) as http,
        Client(streamable_http_client(f"{replicas.https}/mcp", http_client=http)) as modern,
    ):
        created = await modern.call_tool("create_note", {"title": "Modern", "content": "hop"})
        assert not created.is_error, created.content
        nid = created.structured_content["id"]
        for _ in range(4):
            read_back = await modern.call_tool("read_note", {"id": nid})
            assert read_back.structured_content["title"] == "Modern"
    replicas.assert_both_answered(since)
