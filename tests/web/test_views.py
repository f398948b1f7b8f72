"""The web view in-process: sign-in, CSRF, cookies, escaping, redirects."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "the form has no CSRF token"
    return match.group(1)


def _sign_in(http: TestClient, name: str = "alice") -> None:
    page = http.get("/login")
    response = http.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": _csrf(page.text)}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/notes"


def test_pages_need_a_session_and_send_you_back_after_sign_in(http: TestClient) -> None:
    response = http.get("/notes?q=fox")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/notes%3Fq%3Dfox"


def test_sign_in_sets_an_httponly_samesite_session_cookie(http: TestClient) -> None:
    page = http.get("/login")
    csrf_cookie = page.headers["set-cookie"]
    assert "HttpOnly" in csrf_cookie and "SameSite=strict" in csrf_cookie
    response = http.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": _csrf(page.text)}
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("vault_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_a_form_without_the_csrf_token_is_refused(http: TestClient) -> None:
    http.get("/login")  # gets the CSRF cookie, but the form field is missing below
    response = http.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "vault_session" not in response.headers.get("set-cookie", "")
    _sign_in(http)
    forged = http.post("/notes", data={"title": "x", "content": "y", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert "No notes yet" in http.get("/notes").text


def test_a_wrong_password_says_so_without_saying_which(http: TestClient) -> None:
    page = http.get("/login")
    response = http.post(
        "/login",
        data={"username": "alice", "password": "wrong pass", "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 401
    assert "the user name or password is wrong" in response.text


def test_note_text_is_escaped_everywhere(http: TestClient) -> None:
    _sign_in(http)
    page = http.get("/notes")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    created = http.post(
        "/notes",
        data={"title": evil, "content": evil, "tags": evil, "csrf_token": _csrf(page.text)},
    )
    assert created.status_code == 303
    for path in ("/notes", created.headers["location"], "/notes?q=alert"):
        html = http.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_create_edit_and_delete_through_forms(http: TestClient) -> None:
    _sign_in(http)
    token = _csrf(http.get("/notes").text)
    created = http.post(
        "/notes",
        data={"title": "Plan", "content": "first draft", "tags": "a, b", "csrf_token": token},
    )
    note_path = created.headers["location"]
    edited = http.post(
        note_path,
        data={"title": "Plan v2", "content": "second draft", "tags": "b", "csrf_token": token},
    )
    assert edited.status_code == 303
    page = http.get(note_path).text
    assert "Plan v2" in page and "second draft" in page
    deleted = http.post(f"{note_path}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/notes?notice=deleted"
    assert http.get(note_path).status_code == 404


def test_another_users_note_page_is_not_found(http: TestClient) -> None:
    _sign_in(http, "alice")
    token = _csrf(http.get("/notes").text)
    note_path = http.post(
        "/notes", data={"title": "Mine", "content": "alice only", "csrf_token": token}
    ).headers["location"]
    http.post("/logout", data={"csrf_token": token})
    _sign_in(http, "bob")
    response = http.get(note_path)
    assert response.status_code == 404 and "alice only" not in response.text


def test_logout_ends_the_session_on_the_server(http: TestClient) -> None:
    _sign_in(http)
    stolen = http.cookies.get("vault_session")
    token = _csrf(http.get("/notes").text)
    assert http.post("/logout", data={"csrf_token": token}).status_code == 303
    http.cookies.set("vault_session", stolen)  # replaying the old cookie
    assert http.get("/notes").status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(http: TestClient, target: str) -> None:
    page = http.get(f"/login?next={target}")
    response = http.post(
        f"/login?next={target}",
        data={"username": "alice", "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert response.headers["location"] == "/notes"
