"""The export download: GET /api/v1/export (bearer) and /export (the web view's session)."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import PASSWORD, auth, login
from vault_mcp.__main__ import main

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _create(http: TestClient, token: str, title: str, content: str, tags: list[str]) -> str:
    body = {"title": title, "content": content, "tags": tags}
    response = http.post("/api/v1/notes", headers=auth(token), json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_the_json_download_holds_every_note_of_the_caller_and_no_one_else(
    http: TestClient,
) -> None:
    alice, bob = login(http, "alice")["access_token"], login(http, "bob")["access_token"]
    ids = {_create(http, alice, f"note {i}", f"text {i} ✓", ["t"]) for i in range(3)}
    _create(http, bob, "bob's secret", "not for alice", [])
    response = http.get("/api/v1/export", headers=auth(alice))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert document["format"] == "vault-mcp" and document["version"] == 1
    assert {n["id"] for n in document["notes"]} == ids
    assert "bob's secret" not in response.text


def test_the_markdown_download_is_a_zip_of_front_matter_files(http: TestClient) -> None:
    alice = login(http, "alice")["access_token"]
    note_id = _create(http, alice, "Trip: Köln/Bonn", "# Day 1\n\nDom.", ["reise"])
    _create(http, alice, "Trip: Köln/Bonn", "the same title again", [])
    response = http.get("/api/v1/export?format=markdown", headers=auth(alice))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        names = sorted(archive.namelist())
        assert names == ["Trip Köln Bonn (2).md", "Trip Köln Bonn.md"]
        first = archive.read("Trip Köln Bonn.md").decode()
    assert first.startswith(f"---\nid: {note_id}\ntitle: 'Trip: Köln/Bonn'\ntags:\n- reise\n")
    assert first.endswith("\n---\n# Day 1\n\nDom.")


def test_the_download_needs_a_token_with_notes_read_and_a_known_format(
    http: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert http.get("/api/v1/export").status_code == 401
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULT_EMBEDDER", "hashing")
    args = ["token", "create", "--name", "w", "--scope", "notes:write", "--user", "alice"]
    assert main(args) == 0
    writer = capsys.readouterr().out.strip()
    assert http.get("/api/v1/export", headers=auth(writer)).status_code == 403
    alice = login(http, "alice")["access_token"]
    bad = http.get("/api/v1/export?format=pdf", headers=auth(alice))
    assert bad.status_code == 422
    assert "format must be json or markdown" in bad.json()["error"]["message"]
    odd = http.get("/api/v1/export?fromat=json", headers=auth(alice))
    assert odd.status_code == 422
    assert "unknown query parameter 'fromat'" in odd.json()["error"]["message"]


def test_the_web_view_links_to_its_download_which_needs_the_session(http: TestClient) -> None:
    assert http.get("/export").status_code == 303  # to the sign-in page
    page = http.get("/login")
    signed_in = http.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": _CSRF.findall(page.text)[0],
        },
    )
    assert signed_in.status_code == 303
    notes = http.get("/notes")
    assert 'href="/export?format=markdown"' in notes.text
    download = http.get("/export?format=json")
    assert download.status_code == 200
    assert json.loads(download.content)["notes"] == []
    # A cookie never opens the API door.
    assert http.get("/api/v1/export").status_code == 401
