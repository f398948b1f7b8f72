"""The web view in a real browser (Debian's Chromium, driven by Playwright) against `vault-mcp
serve` with the real model: sign in, write, find by meaning, open, edit, sign out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import Dialog, async_playwright

from tests.e2e.conftest import add_user, running_serve, server_env

pytestmark = [pytest.mark.slow, pytest.mark.model]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
# The flags this sandbox needs: no setuid sandbox as root, and no background calls out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_a_person_signs_in_writes_finds_edits_and_signs_out(
    tmp_path: Path, database_url: str
) -> None:
    env = server_env(tmp_path, database_url, embedder="auto")
    await add_user(env, "ada", "a long passphrase")
    dialogs: list[str] = []
    async with running_serve(env, startup_seconds=120) as base, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 860})

        async def record(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", record)

        await page.goto(f"{base}/notes")
        assert page.url.startswith(f"{base}/login")
        await page.fill("input[name=username]", "ada")
        await page.fill("input[name=password]", "a long passphrase")
        await page.click("button:has-text('Sign in')")
        await page.wait_for_url(f"{base}/notes")

        async def write(title: str, content: str, tags: str = "") -> None:
            await page.goto(f"{base}/notes")
            await page.fill("input[name=title]", title)
            await page.fill("textarea[name=content]", content)
            await page.fill("input[name=tags]", tags)
            await page.click("button:has-text('Save note')")
            await page.wait_for_selector("article h1")

        await write("Dentist", "Appointment on Tuesday at 9:30 for a cleaning.", "health")
        await write("Sourdough", "Feed the starter twice a day with flour and water.", "cooking")
        await write("Script test", '<script>alert("pwned")</script> should show as text')
        assert await page.inner_text("article .content") == (
            '<script>alert("pwned")</script> should show as text'
        )

        await page.fill("input[name=q]", "when do I see the tooth doctor")
        await page.click("button:has-text('Search')")
        await page.wait_for_selector("ol.notes li")
        first = page.locator("ol.notes li a.title").first
        assert await first.inner_text() == "Dentist"
        await first.click()
        await page.wait_for_selector("article h1:has-text('Dentist')")

        await page.fill("textarea[name=content]", "Moved to Wednesday at 10:00.")
        await page.click("button:has-text('Save changes')")
        await page.wait_for_selector("article .content:has-text('Wednesday')")

        await page.goto(f"{base}/notes")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "notes-page.png"), full_page=True)
        assert await page.locator("ol.notes li").count() == 3

        await page.click("button:has-text('Sign out')")
        await page.wait_for_url(f"{base}/login?notice=signed-out")
        await page.goto(f"{base}/notes")
        assert page.url.startswith(f"{base}/login")
        await browser.close()
    assert dialogs == [], "a script in a note ran in the page"
