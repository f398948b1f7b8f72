"""First run in a real browser (Debian's Chromium) against `vault-mcp serve` on a vault with
no account: from this machine the setup page asks for a name and password only; through a
proxy it asks for the code the server printed in its log. Screenshots are kept."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, async_playwright

from tests.e2e.conftest import running_serve, server_env
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow]

_CODE = re.compile(r"enter the code ([A-Z0-9]{4}-[A-Z0-9]{4})")


async def _create(page: Page, base: str, name: str) -> None:
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", "a long first password")
    await page.fill("input[name=repeat]", "a long first password")
    await page.click("button:has-text('Create the account')")
    await page.wait_for_url(f"{base}/notes?notice=account-created")
    assert name in await page.inner_text("header")


async def test_the_first_account_is_made_in_the_browser_on_this_machine(
    tmp_path: Path, database_url: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with running_serve(server_env(tmp_path, database_url)) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        await page.goto(f"{base}/notes")
        assert page.url == f"{base}/setup"
        assert await page.locator("input[name=code]").count() == 0
        await page.screenshot(path=str(ARTIFACTS / "setup-page.png"), full_page=True)
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.screenshot(path=str(ARTIFACTS / "setup-page-mobile.png"), full_page=True)
        await _create(page, base, "erin")
        await page.goto(f"{base}/setup")
        assert urlsplit(page.url).path == "/login"  # set up once; the page is gone
        await browser.close()


async def test_through_a_proxy_the_setup_page_wants_the_code_from_the_log(
    tmp_path: Path, database_url: str
) -> None:
    async with running_serve(server_env(tmp_path, database_url)) as base, async_playwright() as p:
        ARTIFACTS.mkdir(exist_ok=True)
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # What the shipped nginx.conf adds: uvicorn then sees the browser's own address.
        context = await browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
        page = await context.new_page()
        await page.goto(f"{base}/setup")
        assert await page.locator("input[name=code]").count() == 1
        log = (tmp_path / f"serve-{urlsplit(base).port}.log").read_text()
        codes = _CODE.findall(log)
        assert codes and "WARNING" in log.split(codes[0])[0].splitlines()[-1]
        await page.fill("input[name=code]", "ABCD-EFGH")
        await page.fill("input[name=username]", "erin")
        await page.fill("input[name=password]", "a long first password")
        await page.fill("input[name=repeat]", "a long first password")
        await page.click("button:has-text('Create the account')")
        await page.wait_for_selector("p.error:has-text('the setup code is wrong')")
        await page.screenshot(path=str(ARTIFACTS / "setup-page-with-code.png"), full_page=True)
        assert await page.input_value("input[name=username]") == "erin"
        await page.fill("input[name=code]", codes[-1])
        await _create(page, base, "erin")
        await browser.close()
