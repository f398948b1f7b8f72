"""Deleting and getting a note back in a real browser (Debian's Chromium), at a desktop's and
a phone's width: the question before deleting, the trash, restoring, and a note's history.
Screenshots are kept in tests/artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page

from tests.e2e.test_browser_pages import SCREENSHOTS, WIDTHS, a_vault, chromium, overflow, write
from tests.e2e.test_browser_pages import sign_in as sign_in_as_ada

pytestmark = pytest.mark.slow


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert await overflow(page) == 0, f"{name} is wider than the window"


async def test_a_deleted_note_waits_in_the_trash_and_comes_back(
    tmp_path: Path, database_url: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with a_vault(tmp_path, database_url) as (base, api), chromium() as browser:
        for name, width in WIDTHS.items():
            note = await write(
                api, f"Boiler service {name}", "Serviced in **March**; next one due.", ["home"]
            )
            page = await browser.new_page(viewport={"width": width, "height": 900})
            await sign_in_as_ada(page, base)
            await page.goto(f"{base}/notes/{note}")

            # An edit keeps the text it replaced.
            await page.fill("textarea[name=content]", "Serviced in **April** by a new firm.")
            await page.click("button:has-text('Save changes')")
            await page.wait_for_url(f"{base}/notes/{note}")
            await page.click("a:has-text('History')")
            await page.wait_for_url(f"{base}/notes/{note}/history")
            await shot(page, f"history-{name}")
            assert "March" in await page.locator("ol.notes").inner_text()

            # Deleting asks first; then the note is gone from the list, with a notice.
            await page.goto(f"{base}/notes/{note}")
            await page.click("button:has-text('Delete this note')")
            # A GET form with no fields: the address ends in "?".
            await page.wait_for_url(re.compile(rf"{re.escape(base)}/notes/{note}/delete\??$"))
            await shot(page, f"confirm-delete-{name}")
            await page.click("form.actions button.delete")
            await page.wait_for_url(f"{base}/notes?notice=deleted")
            assert "moved to the trash" in (await page.locator(".notice").inner_text()).lower()
            assert f"Boiler service {name}" not in await page.locator("main").inner_text()

            await page.goto(f"{base}/trash")
            await shot(page, f"trash-{name}")
            item = page.locator("ol.notes li", has_text=f"Boiler service {name}")
            assert await item.count() == 1
            await item.locator("button:has-text('Restore')").click()
            await page.wait_for_url(f"{base}/notes/{note}?notice=restored")
            assert "April" in await page.locator("article .content").inner_text()
            await page.close()
        # Restored with its passages: search finds it again.
        found = await api.get("/api/v1/notes", params={"q": "new firm boiler"})
        assert {r["title"] for r in found.json()["results"]} >= {
            f"Boiler service {name}" for name in WIDTHS
        }
