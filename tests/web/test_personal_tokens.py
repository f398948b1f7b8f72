"""Personal access tokens: made with `vault-mcp token`, shown once, stored hashed, scoped,
listed, revocable and expiring; accepted wherever an access token is."""

from __future__ import annotations

import io
from collections.abc import Callable

import asyncpg
import pytest
from starlette.testclient import TestClient

from tests.conftest import initialize_request
from tests.web.conftest import auth, run
from vault_mcp.__main__ import main

MCP_HEADERS = {"Accept": "application/json, text/event-stream"}
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULT_EMBEDDER", "hashing")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    def run_cli(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


def _fetch(database_url: str, query: str) -> list[asyncpg.Record]:
    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database_url)
        try:
            return list(await conn.fetch(query))
        finally:
            await conn.close()

    return list(run(go()))


def test_a_token_is_printed_once_stored_hashed_and_works_on_rest_and_mcp(
    http: TestClient, cli: Cli, database_url: str
) -> None:
    code, _, err = cli("token", "create", "--name", "backup")
    assert code == 1 and "--user" in err  # two accounts: which one must be said
    code, out, err = cli("token", "create", "--name", "backup", "--user", "alice")
    assert code == 0 and "shown only now" in err
    token = out.strip()
    assert token.startswith("vmcp_pat_") and "\n" not in token

    [row] = _fetch(database_url, "SELECT * FROM personal_access_tokens")
    assert all(token not in str(value) for value in row.values())

    assert http.get("/api/v1/notes", headers=auth(token)).status_code == 200
    session = http.post(
        "/mcp", headers={**auth(token), **MCP_HEADERS}, json=initialize_request("script")
    )
    assert session.status_code == 200, session.text

    code, out, _ = cli("token", "list", "--user", "alice")
    assert code == 0 and "backup" in out and "notes:read notes:write" in out
    code, _, err = cli("token", "create", "--name", "backup", "--user", "alice")
    assert code == 1 and "already exists" in err

    code, out, _ = cli("token", "revoke", "backup", "--user", "alice")
    assert code == 0 and "revoked" in out
    assert http.get("/api/v1/notes", headers=auth(token)).status_code == 401
    assert http.post("/mcp", headers=auth(token), json=initialize_request("x")).status_code == 401


def test_a_read_only_token_cannot_write(http: TestClient, cli: Cli) -> None:
    _, out, _ = cli("token", "create", "--name", "reader", "--scope", "notes:read", "--user", "bob")
    token = out.strip()
    assert http.get("/api/v1/notes", headers=auth(token)).status_code == 200
    write = http.post("/api/v1/notes", headers=auth(token), json={"title": "t", "content": "c"})
    assert write.status_code == 403
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "create_note"}}
    refused = http.post("/mcp", headers={**auth(token), **MCP_HEADERS}, json=call)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def test_an_expired_token_is_refused(http: TestClient, cli: Cli, database_url: str) -> None:
    _, out, _ = cli("token", "create", "--name", "short", "--expires", "1h", "--user", "alice")
    token = out.strip()
    assert http.get("/api/v1/notes", headers=auth(token)).status_code == 200
    _fetch(database_url, "UPDATE personal_access_tokens SET expires_at = now() - interval '1s'")
    assert http.get("/api/v1/notes", headers=auth(token)).status_code == 401
    code, _, err = cli("token", "create", "--name", "x", "--expires", "soon", "--user", "alice")
    assert code == 1 and "'soon' is not a duration" in err


def test_a_password_change_revokes_personal_tokens_sessions_and_oauth_grants(
    http: TestClient, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web.conftest import login
    from tests.web.oauth_helpers import register, sign_in, tokens_for

    _, out, _ = cli("token", "create", "--name", "script", "--user", "alice")
    personal = out.strip()
    rest = login(http, "alice")["access_token"]
    sign_in(http)  # a web session
    oauth = tokens_for(http, register(http)["client_id"])["access_token"]
    for token in (personal, rest, oauth):
        assert http.get("/api/v1/notes", headers=auth(token)).status_code == 200

    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
    code, out, _ = cli("user", "passwd", "alice", "--password-stdin")
    assert code == 0 and "personal tokens are revoked" in out

    for token in (personal, rest, oauth):
        assert http.get("/api/v1/notes", headers=auth(token)).status_code == 401
    assert http.get("/notes").status_code == 303  # the web session is over: to /login
