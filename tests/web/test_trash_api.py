"""The trash over REST: a deleted note is gone from every notes route until restored."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.web.test_api import _error


def _note(http: TestClient, who: dict[str, str], title: str = "Ferry") -> dict:
    created = http.post(
        "/api/v1/notes", headers=who, json={"title": title, "content": "the ferry leaves at dawn"}
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_a_deleted_note_is_in_the_trash_and_in_no_notes_route(
    http: TestClient, alice: dict[str, str]
) -> None:
    note = _note(http, alice)
    path = f"/api/v1/notes/{note['id']}"
    assert http.delete(path, headers=alice).status_code == 204
    _error(http.get(path, headers=alice), 404, "not_found")
    _error(http.patch(path, headers=alice, json={"title": "x"}), 404, "not_found")
    _error(http.delete(path, headers=alice), 404, "not_found")
    assert http.get("/api/v1/notes", headers=alice).json()["notes"] == []
    assert http.get("/api/v1/notes?q=ferry dawn", headers=alice).json()["results"] == []
    [trashed] = http.get("/api/v1/trash", headers=alice).json()["notes"]
    assert (trashed["id"], trashed["title"]) == (note["id"], "Ferry")

    restored = http.post(f"/api/v1/trash/{note['id']}/restore", headers=alice)
    assert restored.status_code == 200 and restored.json() == note
    assert http.get(path, headers=alice).json() == note
    [hit] = http.get("/api/v1/notes?q=ferry dawn", headers=alice).json()["results"]
    assert hit["id"] == note["id"]
    assert http.get("/api/v1/trash", headers=alice).json()["notes"] == []


def test_delete_forever_and_empty_the_trash(http: TestClient, alice: dict[str, str]) -> None:
    notes = [_note(http, alice, f"n{i}") for i in range(3)]
    for note in notes:
        http.delete(f"/api/v1/notes/{note['id']}", headers=alice)
    first = f"/api/v1/trash/{notes[0]['id']}"
    assert http.delete(first, headers=alice).status_code == 204
    _error(http.delete(first, headers=alice), 404, "not_found")
    _error(http.post(f"{first}/restore", headers=alice), 404, "not_found")
    page = http.get("/api/v1/trash?limit=1", headers=alice).json()
    assert [n["title"] for n in page["notes"]] == ["n2"] and page["next_cursor"]
    emptied = http.delete("/api/v1/trash", headers=alice)
    assert emptied.status_code == 200 and emptied.json() == {"deleted": 2}
    assert http.get("/api/v1/trash", headers=alice).json() == {"notes": [], "next_cursor": None}


def test_bad_trash_requests_name_the_problem(http: TestClient, alice: dict[str, str]) -> None:
    assert "is not a note id" in _error(
        http.post("/api/v1/trash/nope/restore", headers=alice), 422, "invalid_input"
    )
    assert "cursor" in _error(
        http.get("/api/v1/trash?cursor=%25", headers=alice), 422, "invalid_input"
    )
    assert "limit" in _error(http.get("/api/v1/trash?limit=0", headers=alice), 422, "invalid_input")
    _error(http.get("/api/v1/trash/x/restore", headers=alice), 405, "method_not_allowed")
    _error(http.get("/api/v1/trash"), 401, "unauthorized")


def test_another_user_cannot_see_restore_or_empty_your_trash(
    http: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    note = _note(http, alice)
    http.delete(f"/api/v1/notes/{note['id']}", headers=alice)
    assert http.get("/api/v1/trash", headers=bob).json()["notes"] == []
    _error(http.post(f"/api/v1/trash/{note['id']}/restore", headers=bob), 404, "not_found")
    _error(http.delete(f"/api/v1/trash/{note['id']}", headers=bob), 404, "not_found")
    assert http.delete("/api/v1/trash", headers=bob).json() == {"deleted": 0}
    assert len(http.get("/api/v1/trash", headers=alice).json()["notes"]) == 1
