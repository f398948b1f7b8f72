"""The web view's undo in-process: delete asks first, the trash restores, history restores."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.web.test_views import _csrf, _sign_in


def _a_note(http: TestClient, title: str = "Ferry", content: str = "leaves at dawn") -> str:
    token = _csrf(http.get("/notes").text)
    created = http.post(
        "/notes", data={"title": title, "content": content, "tags": "", "csrf_token": token}
    )
    assert created.status_code == 303
    return str(created.headers["location"])  # /notes/<id>


def test_delete_asks_first_then_the_note_waits_in_the_trash(http: TestClient) -> None:
    _sign_in(http)
    path = _a_note(http)
    note_page = http.get(path).text
    assert f'action="{path}/delete"' in note_page and 'method="get"' in note_page
    confirm = http.get(f"{path}/delete")
    assert confirm.status_code == 200
    assert "Delete “Ferry”?" in confirm.text and "restore it for 30 days" in confirm.text
    assert http.get(path).status_code == 200  # asking deleted nothing
    deleted = http.post(f"{path}/delete", data={"csrf_token": _csrf(confirm.text)})
    assert deleted.headers["location"] == "/notes?notice=deleted"

    assert http.get(path).status_code == 404
    assert http.get(f"{path}/history").status_code == 404
    assert "Ferry" not in http.get("/notes").text
    assert "Ferry" not in http.get("/notes?q=leaves dawn").text
    trash = http.get("/trash")
    assert trash.status_code == 200 and "Ferry" in trash.text and "leaves at dawn" in trash.text

    note_id = path.rsplit("/", 1)[1]
    restored = http.post(f"/trash/{note_id}/restore", data={"csrf_token": _csrf(trash.text)})
    assert restored.headers["location"] == f"{path}?notice=restored"
    assert "leaves at dawn" in http.get(path).text
    assert "Ferry" in http.get("/notes?q=leaves dawn").text
    assert "The trash is empty" in http.get("/trash").text


def test_delete_for_good_and_empty_the_trash_each_ask_first(http: TestClient) -> None:
    _sign_in(http)
    paths = [_a_note(http, f"Note {i}") for i in range(3)]
    for path in paths:
        http.post(f"{path}/delete", data={"csrf_token": _csrf(http.get(path).text)})
    first = paths[0].rsplit("/", 1)[1]
    ask = http.get(f"/trash/{first}/delete")
    assert "Delete “Note 0” for good?" in ask.text
    assert "Note 0" in http.get("/trash").text
    gone = http.post(f"/trash/{first}/delete", data={"csrf_token": _csrf(ask.text)})
    assert gone.headers["location"] == "/trash"
    trash = http.get("/trash").text
    assert "Note 0" not in trash and "Note 1" in trash and 'action="/trash/empty"' in trash
    ask = http.get("/trash/empty")
    assert "Empty the trash?" in ask.text and "Note 1" in http.get("/trash").text
    emptied = http.post("/trash/empty", data={"csrf_token": _csrf(ask.text)})
    assert emptied.headers["location"] == "/trash"
    assert "The trash is empty" in http.get("/trash").text


def test_a_note_history_shows_and_restores_an_earlier_version(http: TestClient) -> None:
    _sign_in(http)
    path = _a_note(http, "Plan", "first draft")
    token = _csrf(http.get(path).text)
    http.post(
        path, data={"title": "Plan", "content": "second draft", "tags": "", "csrf_token": token}
    )
    assert f'href="{path}/history"' in http.get(path).text
    history = http.get(f"{path}/history").text
    [version] = re.findall(rf'href="{path}/history/(\d+)"', history)
    assert "first draft" in history
    page = http.get(f"{path}/history/{version}")
    assert page.status_code == 200 and "first draft" in page.text
    restored = http.post(f"{path}/history/{version}", data={"csrf_token": _csrf(page.text)})
    assert restored.headers["location"] == f"{path}?notice=restored"
    assert "first draft" in http.get(path).text
    assert "second draft" in http.get(f"{path}/history").text  # the replaced text is kept
    # U+FF11 (fullwidth 1) is a digit to str.isdigit().
    for missing in ("999999", "99999999999999999999", "9" * 4400, "-1", "\uff11", "x"):
        assert http.get(f"{path}/history/{missing}").status_code == 404
    # Before sign-in too: the path is never parsed ahead of the session check.
    http.cookies.clear()
    assert http.get(f"{path}/history/{'9' * 4400}").status_code in (303, 404)


def test_trash_pages_need_a_session_a_csrf_token_and_your_own_notes(http: TestClient) -> None:
    assert http.get("/trash").headers["location"] == "/login?next=/trash"
    _sign_in(http, "alice")
    path = _a_note(http, "Alice's")
    note_id = path.rsplit("/", 1)[1]
    http.post(f"{path}/delete", data={"csrf_token": _csrf(http.get(path).text)})
    assert http.post(f"/trash/{note_id}/restore", data={"csrf_token": "forged"}).status_code == 403
    assert http.post("/trash/empty", data={"csrf_token": "forged"}).status_code == 403
    http.post("/logout", data={"csrf_token": _csrf(http.get("/trash").text)})

    _sign_in(http, "bob")
    token = _csrf(http.get("/trash").text)
    assert "Alice" not in http.get("/trash").text
    assert http.post(f"/trash/{note_id}/restore", data={"csrf_token": token}).status_code == 404
    assert http.get(f"/trash/{note_id}/delete").status_code == 404
    assert http.post(f"/trash/{note_id}/delete", data={"csrf_token": token}).status_code == 404
    assert http.get(f"{path}/delete").status_code == 404
    http.post("/trash/empty", data={"csrf_token": token})
    http.post("/logout", data={"csrf_token": token})

    _sign_in(http, "alice")
    assert "Alice&#39;s" in http.get("/trash").text  # still there, and escaped
