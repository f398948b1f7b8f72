"""The connected-apps page: what can reach an account, and revoking it stops it at once."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import asyncpg
import pytest
from starlette.testclient import TestClient

from tests.conftest import initialize_request
from tests.web.conftest import auth, run
from tests.web.oauth_helpers import refresh, register, sign_in, tokens_for
from vault_mcp.__main__ import main

MCP_HEADERS = {"Accept": "application/json, text/event-stream"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def make_token(
    monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> Callable[[str, str], str]:
    """`vault-mcp token create --name NAME --user USER`: the token it prints."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULT_EMBEDDER", "hashing")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    def create(name: str, user: str) -> str:
        assert main(["token", "create", "--name", name, "--user", user]) == 0
        return capsys.readouterr().out.strip()

    return create


def _mcp(http: TestClient, token: str) -> int:
    response = http.post(
        "/mcp", headers={**auth(token), **MCP_HEADERS}, json=initialize_request("app")
    )
    return response.status_code


def _revoke(http: TestClient, **field: str) -> tuple[int, str]:
    page = http.get("/apps")
    csrf = _CSRF.search(page.text)
    assert csrf is not None
    response = http.post("/apps/revoke", data={**field, "csrf_token": csrf.group(1)})
    return response.status_code, response.headers.get("location", "")


def _query(database_url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database_url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return list(run(go()))


def test_the_apps_page_needs_a_session(http: TestClient) -> None:
    response = http.get("/apps")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/apps"


def test_a_revoked_app_is_refused_at_mcp_with_its_old_token_and_cannot_refresh(
    http: TestClient,
) -> None:
    client = register(http, client_name="Claude <desktop>")
    sign_in(http)
    tokens = tokens_for(http, client["client_id"])
    assert _mcp(http, tokens["access_token"]) == 200

    page = http.get("/apps")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Claude &lt;desktop&gt;" in page.text and "127.0.0.1:9999" in page.text
    assert "notes:read" in page.text and "last used" in page.text

    assert _revoke(http, app=client["client_id"]) == (303, "/apps?notice=revoked")
    assert _mcp(http, tokens["access_token"]) == 401
    answer = refresh(http, client["client_id"], tokens["refresh_token"])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert "Claude &lt;desktop&gt;" not in http.get("/apps").text


def test_an_app_use_is_written_at_most_once_a_minute(http: TestClient, database_url: str) -> None:
    client = register(http)
    sign_in(http)
    tokens = tokens_for(http, client["client_id"])
    live = "SELECT last_used_at FROM refresh_tokens WHERE client_id = $1 AND rotated_at IS NULL"
    assert [r["last_used_at"] for r in _query(database_url, live, client["client_id"])] == [None]
    assert _mcp(http, tokens["access_token"]) == 200
    [first] = _query(database_url, live, client["client_id"])
    assert first["last_used_at"] is not None
    assert _mcp(http, tokens["access_token"]) == 200
    assert _query(database_url, live, client["client_id"]) == [first]


def test_a_personal_token_revoked_on_the_apps_page_gets_401(
    http: TestClient, make_token: Callable[[str, str], str], database_url: str
) -> None:
    token = make_token("backup script", "alice")
    assert _mcp(http, token) == 200
    sign_in(http)
    page = http.get("/apps").text
    assert "backup script" in page and "never used" not in page  # used just now
    [row] = _query(database_url, "SELECT id FROM personal_access_tokens")
    assert _revoke(http, token=str(row["id"])) == (303, "/apps?notice=revoked")
    assert _mcp(http, token) == 401
    assert http.get("/api/v1/notes", headers=auth(token)).status_code == 401


def test_another_accounts_apps_are_not_listed_and_cannot_be_revoked(
    http: TestClient, make_token: Callable[[str, str], str], database_url: str
) -> None:
    client = register(http, client_name="Alice connector")
    sign_in(http, "alice")
    tokens = tokens_for(http, client["client_id"])
    token = make_token("alice backup", "alice")
    [row] = _query(database_url, "SELECT id FROM personal_access_tokens")

    http.cookies.clear()
    sign_in(http, "bob")
    page = http.get("/apps").text
    assert "Alice connector" not in page and "alice backup" not in page
    assert _revoke(http, app=client["client_id"])[0] == 404
    assert _revoke(http, token=str(row["id"]))[0] == 404
    assert _revoke(http, token="not-a-uuid")[0] == 404
    assert _revoke(http, app="x\x00y")[0] in (404, 422)
    assert _mcp(http, tokens["access_token"]) == 200
    assert _mcp(http, token) == 200


def test_revoking_needs_the_forms_csrf_token(http: TestClient) -> None:
    client = register(http)
    sign_in(http)
    tokens = tokens_for(http, client["client_id"])
    forged = http.post("/apps/revoke", data={"app": client["client_id"], "csrf_token": "x"})
    assert forged.status_code == 403
    assert _mcp(http, tokens["access_token"]) == 200
