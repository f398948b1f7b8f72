"""First run in a real browser (Debian's Chromium) against `vault-mcp serve` on a vault with
no account: the link the server printed in its log opens the setup page with its code filled
in; without it (from here or through a proxy) the code is asked for. Screenshots are kept."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, async_playwright

from tests.e2e.conftest import running_serve, server_env
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_browser_pages import SCREENSHOTS

pytestmark = [pytest.mark.slow]

_LINK = re.compile(r"open (http://\S+/setup\?code=([A-Z0-9]{5}-[A-Z0-9]{5})) in a browser")


async def _create(page: Page, base: str, name: str) -> None:
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", "a long first password")
    await page.fill("input[name=repeat]", "a long first password")
    await page.click("button:has-text('Create the account')")
    await page.wait_for_url(f"{base}/notes?notice=account-created")
    assert name in await page.inner_text("header")


async def test_the_link_in_the_log_makes_the_first_account_in_one_form(
    tmp_path: Path, database_url: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with running_serve(server_env(tmp_path, database_url)) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        await page.goto(f"{base}/notes")
        assert page.url == f"{base}/setup"  # no account yet: the way in is the setup page
        log = (tmp_path / f"serve-{urlsplit(base).port}.log").read_text()
        [(link, code), *_] = _LINK.findall(log)
        await page.goto(link)
        assert await page.input_value("input[name=code]") == code  # filled in by the link
        await page.screenshot(path=str(SCREENSHOTS / "setup-desktop.png"), full_page=True)
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.screenshot(path=str(SCREENSHOTS / "setup-phone.png"), full_page=True)
        assert int(await page.evaluate("document.documentElement.scrollWidth - innerWidth")) == 0
        await _create(page, base, "erin")
        await page.goto(f"{base}/setup")
        assert urlsplit(page.url).path == "/login"  # set up once; the page is gone
        await browser.close()


async def test_through_a_proxy_the_setup_page_wants_the_code_from_the_log(
    tmp_path: Path, database_url: str
) -> None:
    async with running_serve(server_env(tmp_path, database_url)) as base, async_playwright() as p:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # What the shipped nginx.conf adds: uvicorn then sees the browser's own address.
        context = await browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
        page = await context.new_page()
        await page.goto(f"{base}/setup")
        assert await page.locator("input[name=code]").count() == 1
        log = (tmp_path / f"serve-{urlsplit(base).port}.log").read_text()
        codes = [code for _, code in _LINK.findall(log)]
        assert codes and "WARNING" in log.split(codes[0])[0].splitlines()[-1]
        await page.fill("input[name=code]", "ABCDE-FGHJK")
        await page.fill("input[name=username]", "erin")
        await page.fill("input[name=password]", "a long first password")
        await page.fill("input[name=repeat]", "a long first password")
        await page.click("button:has-text('Create the account')")
        await page.wait_for_selector("p.error:has-text('the setup code is wrong')")
        wrong_code = SCREENSHOTS / "setup-wrong-code-desktop.png"
        await page.screenshot(path=str(wrong_code), full_page=True)
        assert await page.input_value("input[name=username]") == "erin"
        await page.fill("input[name=code]", codes[-1])
        await _create(page, base, "erin")
        await browser.close()
