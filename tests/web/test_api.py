"""The REST API: notes CRUD, list and search, error shapes, limits, and owner scoping."""

from __future__ import annotations

import uuid

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.conftest import initialize_request
from tests.web.conftest import auth, login
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app
from vault_mcp.web.api_models import LoginBody, NoteCreateBody, NotePatchBody, Tokens


def _error(response, status: int, code: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return str(body["error"]["message"])


def test_create_read_patch_delete(http: TestClient, alice: dict[str, str]) -> None:
    created = http.post(
        "/api/v1/notes", headers=alice, json={"title": "Fox", "content": "brown fox", "tags": ["a"]}
    )
    assert created.status_code == 201
    note = created.json()
    assert created.headers["location"] == f"/api/v1/notes/{note['id']}"
    assert note["url"].endswith(f"/notes/{note['id']}")
    assert http.get(f"/api/v1/notes/{note['id']}", headers=alice).json() == note
    patched = http.patch(f"/api/v1/notes/{note['id']}", headers=alice, json={"tags": []})
    assert patched.status_code == 200 and patched.json()["tags"] == []
    assert http.delete(f"/api/v1/notes/{note['id']}", headers=alice).status_code == 204
    _error(http.get(f"/api/v1/notes/{note['id']}", headers=alice), 404, "not_found")


def test_list_pages_and_search_by_q(http: TestClient, alice: dict[str, str]) -> None:
    for i in range(3):
        http.post(
            "/api/v1/notes", headers=alice, json={"title": f"n{i}", "content": f"word{i} text"}
        )
    first = http.get("/api/v1/notes?limit=2", headers=alice).json()
    assert [n["title"] for n in first["notes"]] == ["n2", "n1"]
    rest = http.get(f"/api/v1/notes?limit=2&cursor={first['next_cursor']}", headers=alice).json()
    assert [n["title"] for n in rest["notes"]] == ["n0"] and rest["next_cursor"] is None
    found = http.get("/api/v1/notes?q=word1", headers=alice).json()
    assert found["results"][0]["title"] == "n1"
    assert set(found["results"][0]) == {
        "id",
        "title",
        "snippet",
        "section",
        "score",
        "tags",
        "url",
        "created_at",
        "updated_at",
    }
    since = found["results"][0]["updated_at"]
    dated = http.get("/api/v1/notes", params={"q": "word1", "since": since}, headers=alice)
    assert [r["title"] for r in dated.json()["results"]] == ["n1"]
    bad = http.get("/api/v1/notes", params={"q": "word1", "since": "last week"}, headers=alice)
    assert bad.status_code == 422 and "since" in bad.json()["error"]["message"]


def test_long_notes_are_listed_by_their_start_and_read_in_pages(
    http: TestClient, alice: dict[str, str]
) -> None:
    from vault_mcp.domain import PREVIEW_CHARS, READ_PAGE_CHARS

    text = "".join(f"{i:07d} " for i in range(12_500))  # 100k characters
    note = http.post("/api/v1/notes", headers=alice, json={"title": "Long", "content": text})
    assert note.status_code == 201 and len(note.text) < 2 * READ_PAGE_CHARS
    note_id = note.json()["id"]
    [listed] = http.get("/api/v1/notes", headers=alice).json()["notes"]
    assert listed["preview"] == text[:PREVIEW_CHARS] and "content" not in listed
    pages, offset = [], 0
    while offset is not None:
        page = http.get(f"/api/v1/notes/{note_id}?offset={offset}", headers=alice).json()
        pages.append(page["content"])
        offset = page["next_offset"]
    assert "".join(pages) == text and len(pages) == 3
    message = _error(
        http.get(f"/api/v1/notes/{note_id}?offset=x", headers=alice), 422, "invalid_input"
    )
    assert "offset" in message
    _error(
        http.get(f"/api/v1/notes/{note_id}?offset={len(text)}", headers=alice), 422, "invalid_input"
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/api/v1/notes", b"{not json", 400, "bad_request"),
        ("POST", "/api/v1/notes", b'{"title": "t"}', 422, "invalid_input"),
        (
            "POST",
            "/api/v1/notes",
            b'{"title": "t", "content": "c", "extra": 1}',
            422,
            "invalid_input",
        ),
        ("POST", "/api/v1/notes", b'{"title": "", "content": "c"}', 422, "invalid_input"),
        ("GET", "/api/v1/notes?limit=0", None, 422, "invalid_input"),
        ("GET", "/api/v1/notes?limit=ten", None, 422, "invalid_input"),
        ("GET", "/api/v1/notes?q=", None, 422, "invalid_input"),
        ("GET", "/api/v1/notes/not-a-uuid", None, 422, "invalid_input"),
        ("GET", f"/api/v1/notes/{uuid.UUID(int=7)}", None, 404, "not_found"),
        ("PATCH", f"/api/v1/notes/{uuid.UUID(int=7)}", b'{"title": "x"}', 404, "not_found"),
        ("PATCH", "/api/v1/notes/x", b"{}", 422, "invalid_input"),
        ("GET", "/api/v1/nothing-here", None, 404, "not_found"),
        ("PUT", "/api/v1/notes", b"{}", 405, "method_not_allowed"),
    ],
)
def test_errors_have_one_shape_and_the_right_status(
    http: TestClient,
    alice: dict[str, str],
    method: str,
    path: str,
    body: bytes | None,
    status: int,
    code: str,
) -> None:
    response = http.request(
        method, path, headers={**alice, "Content-Type": "application/json"}, content=body
    )
    _error(response, status, code)


def test_an_oversized_body_is_refused_with_413(http: TestClient, alice: dict[str, str]) -> None:
    huge = b'{"title": "t", "content": "' + b"x" * 1_200_000 + b'"}'
    response = http.post(
        "/api/v1/notes", headers={**alice, "Content-Type": "application/json"}, content=huge
    )
    _error(response, 413, "payload_too_large")
    assert http.get("/api/v1/notes", headers=alice).json()["notes"] == []


def test_another_users_note_is_not_found_through_every_route(
    http: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    note = http.post(
        "/api/v1/notes", headers=alice, json={"title": "Diary", "content": "secret words"}
    ).json()
    path = f"/api/v1/notes/{note['id']}"
    _error(http.get(path, headers=bob), 404, "not_found")
    _error(http.patch(path, headers=bob, json={"content": "bob"}), 404, "not_found")
    _error(http.delete(path, headers=bob), 404, "not_found")
    assert http.get("/api/v1/notes", headers=bob).json()["notes"] == []
    assert http.get("/api/v1/notes?q=secret words", headers=bob).json()["results"] == []
    assert http.get(path, headers=alice).json()["content"] == "secret words"


def test_openapi_document_describes_the_api(http: TestClient) -> None:
    doc = http.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/auth/login", "/api/v1/notes", "/api/v1/notes/{note_id}"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_openapi_document_is_generated_from_the_route_table_and_the_models(
    http: TestClient,
) -> None:
    doc = http.get("/api/v1/openapi.json").json()
    documented = {path: set(ops) for path, ops in doc["paths"].items()}
    served = {
        route.path: {m.lower() for m in route.methods or ()} - {"head"}
        for route in http.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith("/api/v1/")
    }
    assert documented == served
    schemas = doc["components"]["schemas"]
    for model in (LoginBody, NoteCreateBody, NotePatchBody, Tokens):
        assert schemas[model.__name__] == model.model_json_schema()
    assert "scope" in schemas["Tokens"]["required"]  # the hand-written document had lost it
    login_answers = doc["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"400", "422", "429"} <= set(login_answers)


def test_every_response_carries_the_security_headers(http: TestClient) -> None:
    for path in ("/health/live", "/api/v1/openapi.json", "/login"):
        headers = http.get(path).headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_behind_a_proxy_the_public_host_reaches_mcp(
    app_settings: Settings, accounts: dict[str, int]
) -> None:
    """nginx sends `Host: vault.example.com` (no port): not a 421, and tokens name that URL."""
    settings = app_settings.model_copy(update={"public_url": "https://vault.example.com"})
    app = create_app(settings, HashingEmbedder())
    with TestClient(app, base_url="https://vault.example.com") as proxied:
        token = login(proxied, "alice")["access_token"]
        response = proxied.post(
            "/mcp",
            headers={**auth(token), "Accept": "application/json, text/event-stream"},
            json=initialize_request("proxied"),
        )
        assert response.status_code == 200, response.text
        note = proxied.post(
            "/api/v1/notes", headers=auth(token), json={"title": "t", "content": "c"}
        )
        assert note.json()["url"].startswith("https://vault.example.com/notes/")
