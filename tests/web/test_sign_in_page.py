"""The sign-in page: a failed attempt keeps the name, waits read as minutes, and an OAuth
sign-in names the app that asked for it."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from starlette.testclient import TestClient

from tests.web.conftest import PASSWORD
from tests.web.oauth_helpers import Authorization, register
from vault_mcp.auth.throttle import ACCOUNT_FAILURES, in_words

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _try(http: TestClient, name: str, password: str, next_path: str | None = None) -> str:
    page = http.get("/login")
    csrf = _CSRF.search(page.text)
    assert csrf is not None
    target = "/login" if next_path is None else "/login?" + urlencode({"next": next_path})
    response = http.post(
        target, data={"username": name, "password": password, "csrf_token": csrf.group(1)}
    )
    return f"{response.status_code} {response.text}"


def test_a_failed_sign_in_keeps_the_user_name_but_not_the_password(http: TestClient) -> None:
    answer = _try(http, "alice", "wrong password 123")
    assert answer.startswith("401")
    assert 'name="username" autocomplete="username" required value="alice"' in answer
    assert "wrong password 123" not in answer


def test_the_refilled_user_name_is_escaped(http: TestClient) -> None:
    answer = _try(http, '"><script>alert(1)</script>', "whatever pass")
    assert "<script>alert(1)" not in answer
    assert "&#34;&gt;&lt;script&gt;" in answer or "&quot;&gt;&lt;script&gt;" in answer


def test_the_throttle_says_how_many_minutes_to_wait(http: TestClient) -> None:
    for _ in range(ACCOUNT_FAILURES):
        assert _try(http, "alice", "wrong password 123").startswith("401")
    answer = _try(http, "alice", PASSWORD)
    assert answer.startswith("429")
    assert "try again in 15 minutes" in answer and "seconds" not in answer
    api = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert api.status_code == 429
    assert api.json()["error"]["message"].endswith("try again in 15 minutes")
    assert int(api.headers["retry-after"]) > 14 * 60


def test_waits_read_as_a_person_would_say_them() -> None:
    assert in_words(1) == "1 second"
    assert in_words(40) == "40 seconds"
    assert in_words(60) == "1 minute"
    assert in_words(61) == "2 minutes"  # rounded up: never sooner than allowed
    assert in_words(898) == "15 minutes"


def test_an_oauth_sign_in_names_the_app_and_its_host(http: TestClient) -> None:
    client = register(http, client_name="Notes <b>Helper</b>")
    request = Authorization.start(client["client_id"])
    sent = http.get("/oauth/authorize", params=request.params)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/login?next=")
    page = http.get(sent.headers["location"])
    assert "Notes &lt;b&gt;Helper&lt;/b&gt;" in page.text and "<b>Helper" not in page.text
    assert "(127.0.0.1:9999)" in page.text and "asks to connect" in page.text

    next_path = "/oauth/authorize?" + urlencode(request.params)
    failed = _try(http, "alice", "wrong password 123", next_path)
    assert failed.startswith("401") and "Notes &lt;b&gt;Helper" in failed


def test_a_sign_in_for_an_unknown_client_names_no_app(http: TestClient) -> None:
    request = Authorization.start("no-such-client")
    next_path = "/oauth/authorize?" + urlencode(request.params)
    page = http.get("/login", params={"next": next_path})
    assert page.status_code == 200 and "asks to connect" not in page.text
    assert "asks to connect" not in http.get("/login").text
