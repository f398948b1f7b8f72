"""First run without the manual: /setup creates the first account for the holder of the
one-time code the server printed in its log (as a link that fills it in); then it is gone."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from tests.conftest import OpenedServices
from tests.web.conftest import BASE, run
from tests.web.oauth_helpers import Authorization, register
from vault_mcp.auth.throttle import ACCOUNT_FAILURES
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.errors import Conflict, Unauthorized
from vault_mcp.settings import Settings
from vault_mcp.web import create_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CODE = re.compile(r"/setup\?code=([A-Z0-9]{5}-[A-Z0-9]{5}) in a browser")
LOOPBACK = ("127.0.0.1", 50123)
NEW_PASSWORD = "a long first password"


@pytest.fixture
def fresh(app_settings: Settings) -> Iterator[Any]:
    """A vault with no account; `open(client=…, base_url=…, **settings)` a browser on it."""
    opened: list[TestClient] = []

    def open_browser(
        client: tuple[str, int] = ("203.0.113.7", 40000), base_url: str = BASE, **settings: Any
    ) -> TestClient:
        app = create_app(app_settings.model_copy(update=settings), HashingEmbedder())
        browser = TestClient(app, base_url=base_url, client=client, follow_redirects=False)
        opened.append(browser.__enter__())
        return browser

    yield open_browser
    for browser in opened:
        browser.__exit__(None, None, None)


def _submit(browser: TestClient, **fields: str) -> Any:
    page = browser.get("/setup")
    assert page.status_code == 200, page.text
    csrf = _CSRF.search(page.text)
    assert csrf is not None
    form = {"username": "erin", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD, **fields}
    return browser.post("/setup", data={**form, "csrf_token": csrf.group(1)})


def _printed_code(caplog: pytest.LogCaptureFixture, browser: TestClient) -> str:
    """The code of the link the server printed (by the time /setup answers, it has)."""
    browser.get("/setup")
    codes = _CODE.findall(caplog.text)
    assert codes, caplog.text
    return str(codes[-1])


def _accounts(database_url: str) -> list[str]:
    async def go() -> list[str]:
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch("SELECT username FROM users WHERE password_hash IS NOT NULL")
            return [r["username"] for r in rows]
        finally:
            await conn.close()

    return list(run(go()))


def test_an_accountless_vault_leads_to_the_setup_page(fresh: Any) -> None:
    browser = fresh(LOOPBACK)
    to_login = browser.get("/notes")
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login")
    to_setup = browser.get(to_login.headers["location"])
    assert to_setup.status_code == 303 and to_setup.headers["location"] == "/setup"
    page = browser.get("/setup")
    assert "Welcome to your vault" in page.text and 'name="code"' in page.text


def test_the_link_from_the_log_fills_in_the_code_and_signs_the_new_account_in(
    fresh: Any, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        browser = fresh(LOOPBACK)
        code = _printed_code(caplog, browser)
    linked = browser.get(f"/setup?code={code}")
    assert f'value="{code}"' in linked.text  # one click from the log, nothing to type
    assert 'value="<' not in browser.get("/setup?code=<script>").text  # only a code fills it
    created = _submit(browser, code=code)
    assert created.status_code == 303
    assert created.headers["location"] == "/notes?notice=account-created"
    assert "vault_session=" in created.headers["set-cookie"]
    notes = browser.get("/notes")
    assert notes.status_code == 200 and "erin" in notes.text
    assert _accounts(database_url) == ["erin"]

    gone = browser.get("/setup")
    assert gone.status_code == 303 and gone.headers["location"] == "/login"
    assert browser.get("/login").status_code == 200  # the sign-in page is back


def test_setup_errors_say_what_is_wrong_and_keep_the_name(fresh: Any, database_url: str) -> None:
    browser = fresh(LOOPBACK)
    short = _submit(browser, password="short", repeat="short")
    assert short.status_code == 422 and "too short" in short.text
    assert 'value="erin"' in short.text and 'value="short"' not in short.text
    differ = _submit(browser, repeat="something else entirely")
    assert differ.status_code == 422 and "the two passwords differ" in differ.text
    bad_name = _submit(browser, username="no spaces allowed")
    assert bad_name.status_code == 422 and "not a valid user name" in bad_name.text
    assert _accounts(database_url) == []


@pytest.mark.parametrize(
    ("client", "base_url", "headers", "settings"),
    [
        # This machine too: a tunnel that adds no header (ssh -R) looks exactly like it.
        (LOOPBACK, BASE, {}, {}),
        (("203.0.113.7", 40000), BASE, {}, {}),  # another machine
        (LOOPBACK, BASE, {"X-Forwarded-For": "203.0.113.7"}, {}),  # through a proxy
        (LOOPBACK, "http://rebound.example:8000", {}, {}),  # a DNS-rebinding page
        (LOOPBACK, BASE, {}, {"public_url": "https://vault.example.com"}),
    ],
    ids=["this-machine", "remote", "x-forwarded-for", "foreign-host", "public-url"],
)
def test_without_the_code_no_browser_may_create_the_account(
    fresh: Any,
    database_url: str,
    client: tuple[str, int],
    base_url: str,
    headers: dict[str, str],
    settings: dict[str, Any],
) -> None:
    browser = fresh(client, base_url, **settings)
    browser.headers.update(headers)
    assert 'name="code"' in browser.get("/setup").text
    refused = _submit(browser)
    assert refused.status_code == 401 and "the setup code is wrong" in refused.text
    assert 'value="erin"' in refused.text
    assert _accounts(database_url) == []


def test_the_code_from_the_log_works_once_from_anywhere(
    fresh: Any, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        browser = fresh()
        browser.get("/setup")  # the code is in the log by the time the page is
    codes = _CODE.findall(caplog.text)
    assert codes and "/setup" in caplog.text
    assert _submit(browser, code="ABCDE-FGHJK").status_code == 401
    typed = codes[-1].lower().replace("-", " ")  # any case, any separator
    created = _submit(browser, code=typed)
    assert created.status_code == 303
    assert created.headers["location"] == "/notes?notice=account-created"
    assert _accounts(database_url) == ["erin"]

    again = fresh(("198.51.100.9", 40000))
    assert again.get("/setup").headers["location"] == "/login"
    page = again.get("/login")
    csrf = _CSRF.search(page.text)
    assert csrf is not None
    replay = again.post(
        "/setup",
        data={
            "username": "mallory",
            "password": NEW_PASSWORD,
            "repeat": NEW_PASSWORD,
            "code": codes[-1],
            "csrf_token": csrf.group(1),
        },
    )
    assert replay.status_code == 303 and replay.headers["location"] == "/login"
    assert _accounts(database_url) == ["erin"]


def test_wrong_codes_are_throttled(fresh: Any) -> None:
    browser = fresh()
    for _ in range(ACCOUNT_FAILURES):
        assert _submit(browser, code="ABCDE-FGHJK").status_code == 401
    throttled = _submit(browser, code="ABCDE-FGHJK")
    assert throttled.status_code == 429 and "try again in 15 minutes" in throttled.text
    assert int(throttled.headers["retry-after"]) > 14 * 60


async def test_two_first_accounts_at_once_make_one(services: OpenedServices) -> None:
    code = await services.auth.new_setup_code()
    results = await asyncio.gather(
        *(
            services.auth.create_first_account(name, NEW_PASSWORD, "127.0.0.1", code)
            for name in ("ann", "ben", "cat", "dan")
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert all(isinstance(r, str | Conflict) for r in results), results
    assert len([u for u in await services.auth.users() if u.can_log_in]) == 1


async def test_the_database_lets_only_one_first_account_through(
    services: OpenedServices,
) -> None:
    """Below the service's own check, where only the database can decide: many at once."""
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
    async with contextlib.AsyncExitStack() as stack:  # eight open connections: a real race
        for _ in range(8):
            await stack.enter_async_context(services.pool.acquire())
    ids = await asyncio.gather(*(services.users.create_first(f"u{i}", hashed) for i in range(8)))
    assert sum(i is not None for i in ids) == 1, ids


def test_an_app_connecting_to_a_fresh_vault_gets_its_consent_page_after_setup(
    fresh: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        browser = fresh(LOOPBACK)
        code = _printed_code(caplog, browser)
    client = register(browser)
    request = Authorization.start(client["client_id"])
    to_login = browser.get("/oauth/authorize", params=request.params)
    to_setup = browser.get(to_login.headers["location"])
    assert to_setup.headers["location"].startswith("/setup?next=/oauth/authorize")
    page = browser.get(to_setup.headers["location"])
    csrf = _CSRF.search(page.text)
    assert csrf is not None
    form = {"username": "erin", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD, "code": code}
    created = browser.post(to_setup.headers["location"], data={**form, "csrf_token": csrf.group(1)})
    assert created.status_code == 303
    assert created.headers["location"].startswith("/oauth/authorize?")
    consent = browser.get(created.headers["location"])
    assert consent.status_code == 200 and "Connect Test client" in consent.text


@pytest.mark.parametrize(
    "fields",
    [
        {"code": "AB\x00CD-EFGHJ"},
        {"username": "er\x00in"},
        {"code": "A" * 10_000},
    ],
    ids=["nul-code", "nul-name", "long-code"],
)
def test_hostile_setup_forms_get_a_message_not_a_500(
    fresh: Any, database_url: str, fields: dict[str, str]
) -> None:
    answer = _submit(fresh(), **fields)
    assert answer.status_code in (401, 413, 422), answer.text
    assert 'role="alert"' in answer.text or answer.status_code == 413
    assert _accounts(database_url) == []


async def test_a_setup_code_stops_working_after_a_day(services: OpenedServices) -> None:
    code = await services.auth.new_setup_code()
    await services.pool.execute("UPDATE setup_codes SET created_at = now() - interval '25 hours'")
    fresh_code = await services.auth.new_setup_code()  # also drops the expired one
    assert await services.pool.fetchval("SELECT count(*) FROM setup_codes") == 1
    with pytest.raises(Unauthorized):
        await services.auth.create_first_account("ann", NEW_PASSWORD, "127.0.0.1", code)
    assert await services.auth.create_first_account("ann", NEW_PASSWORD, "127.0.0.1", fresh_code)
