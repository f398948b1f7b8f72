"""The notes pages in a real browser (Debian's Chromium) at a desktop's and a phone's width:
rendered Markdown, a layout that fits, hostile notes that stay harmless, and Back after
signing out. Screenshots are kept in tests/artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Page, async_playwright

from tests.e2e.conftest import add_user, login, running_serve, server_env
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow

SCREENSHOTS = ARTIFACTS / "screenshots"
PASSWORD = "a long passphrase"
WIDTHS = {"desktop": 1280, "phone": 390}

TRIP = """A three-day walk along the coast path, **light packs**, huts booked.

## Day 1: Porthcurno to Pendeen

- [x] Book the huts
- [x] Check the tide tables
- [ ] Buy a new map (the old one fell apart at https://maps.example.org/coast-path/sheet-102-west-penwith-and-the-lizard-peninsula)
- [ ] Pack the stove

## Costs

| Item | Who | Cost (GBP) | Notes |
|:-----|:---:|-----------:|-------|
| Huts, three nights | Ada | 126.00 | paid in advance, refundable until Friday |
| Train to Penzance | Sam | 58.40 | return, off-peak |
| Food | both | 45.00 | shared stove, dried meals |

## Packing script

```bash
for item in tent stove map; do
  echo "packed: $item"
done
```

> The path is narrow after Pendeen: keep to it in the fog.

Antidisestablishmentarianismwithoutanybreaksatallwhatsoeverinthisverylongword ends here."""

HOSTILE = """Nothing here may run.

<script>alert("script")</script>

<img src=x onerror=alert("img")>

<a href="javascript:alert('raw link')">raw link</a>

[a link](javascript:alert('markdown link'))

[another](JAVASCRIPT:alert('upper'))

[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

![picture](javascript:alert('image'))

<svg onload=alert("svg")></svg>

<iframe src="javascript:alert('frame')"></iframe>

<details open ontoggle=alert("details")>x</details>

[ref]: javascript:alert('reference')

a [ref] link, and <javascript:alert('autolink')>"""


@asynccontextmanager
async def a_vault(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """`vault-mcp serve` with the account ada, and an API client signed in as her."""
    env = server_env(tmp_path, database_url)
    await add_user(env, "ada", PASSWORD)
    async with running_serve(env) as base:
        tokens = await login(base, "ada", PASSWORD)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with httpx.AsyncClient(base_url=base, headers=headers) as api:
            yield base, api


async def write(api: httpx.AsyncClient, title: str, content: str, tags: list[str]) -> str:
    response = await api.post(
        "/api/v1/notes", json={"title": title, "content": content, "tags": tags}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", "ada")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{base}/notes")


async def overflow(page: Page) -> int:
    """How far the page is wider than the window (0: nothing sticks out sideways)."""
    return int(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


async def test_notes_read_well_on_a_desktop_and_a_phone(tmp_path: Path, database_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with a_vault(tmp_path, database_url) as (base, api), chromium() as browser:
        await write(
            api, "Sourdough", "Feed the **starter** twice a day.\n\n- flour\n- water", ["cooking"]
        )
        await write(api, "Dentist", "Appointment on *Tuesday* at 9:30.", ["health"])
        trip = await write(api, "Coast path in May", TRIP, ["travel", "walking"])
        for name, width in WIDTHS.items():
            page = await browser.new_page(viewport={"width": width, "height": 900})
            await sign_in(page, base)
            await page.screenshot(path=str(SCREENSHOTS / f"notes-{name}.png"), full_page=True)
            assert await overflow(page) == 0, f"the list is wider than {width} px"
            search = await page.locator("header input[name=q]").bounding_box()
            assert search is not None and search["width"] >= min(300, width * 0.6)
            new_note = page.locator("a.new-link") if width < 800 else page.locator(".compose h2")
            box = await new_note.bounding_box()
            assert box is not None and box["y"] < 250, "New note is not at the top"

            await page.click("a.title:has-text('Coast path in May')")
            await page.wait_for_url(f"{base}/notes/{trip}")
            await page.screenshot(path=str(SCREENSHOTS / f"note-{name}.png"), full_page=True)
            content = page.locator("article .content")
            assert await content.locator("h2").count() == 3
            assert await content.locator("input[type=checkbox][disabled]").count() == 4
            assert await content.locator("table td").count() == 12
            assert await content.locator("pre code").inner_text() == (
                'for item in tent stove map; do\n  echo "packed: $item"\ndone\n'
            )
            assert await overflow(page) == 0, f"the note is wider than {width} px"
            table = await content.locator("table").bounding_box()
            text = await content.bounding_box()
            assert table is not None and text is not None
            assert table["x"] + table["width"] <= text["x"] + text["width"] + 1

            await page.click("a.tag:has-text('travel')")
            await page.wait_for_url(f"{base}/notes?tag=travel")
            assert await page.locator("ol.notes a.title").all_inner_texts() == ["Coast path in May"]

            await page.fill("header input[name=q]", "starter")
            await page.press("header input[name=q]", "Enter")
            await page.wait_for_selector("ol.notes li")
            await page.screenshot(path=str(SCREENSHOTS / f"search-{name}.png"), full_page=True)
            assert "starter" in await page.locator("ol.notes mark").all_inner_texts()

            await page.goto(f"{base}/notes/new")
            await page.screenshot(path=str(SCREENSHOTS / f"new-note-{name}.png"), full_page=True)
            assert await overflow(page) == 0
            await page.goto(f"{base}/no/such/page")
            assert await page.locator("h1").inner_text() == "Not found"
            await page.screenshot(path=str(SCREENSHOTS / f"not-found-{name}.png"), full_page=True)
            await page.click("button:has-text('Sign out')")
            await page.wait_for_url(f"{base}/login?notice=signed-out")
            await page.screenshot(path=str(SCREENSHOTS / f"signed-out-{name}.png"), full_page=True)
            assert await overflow(page) == 0
            await page.close()


async def test_a_hostile_note_renders_harmless(tmp_path: Path, database_url: str) -> None:
    dialogs: list[str] = []

    async def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    async with a_vault(tmp_path, database_url) as (base, api), chromium() as browser:
        note = await write(api, '<script>alert("title")</script>', HOSTILE, ["<b>x</b>"])
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", record)
        await sign_in(page, base)
        for path in (f"/notes/{note}", "/notes", "/notes?q=alert+script"):
            await page.goto(f"{base}{path}")
            assert await page.locator("script, iframe, svg, img, object, embed").count() == 0
            hrefs = await page.eval_on_selector_all(
                "[href], [src], [action]",
                "els => els.map(e => e.getAttribute('href') || e.getAttribute('src')"
                " || e.getAttribute('action'))",
            )
            assert not [h for h in hrefs if not h.startswith(("/", "http://127.0.0.1"))], hrefs
            handlers = await page.eval_on_selector_all(
                "*",
                "els => els.flatMap(e => [...e.attributes].map(a => a.name))"
                ".filter(n => n.startsWith('on'))",
            )
            assert handlers == []
        await page.goto(f"{base}/notes/{note}")
        assert await page.locator("article .content a").count() == 0  # no link survives
        assert (
            '<script>alert("script")</script>'
            in await page.locator("article .content").inner_text()
        )  # shown as the text it is
    assert dialogs == [], "a script in a note ran in the page"


async def test_back_after_signing_out_shows_no_note(tmp_path: Path, database_url: str) -> None:
    async with a_vault(tmp_path, database_url) as (base, api), chromium() as browser:
        note = await write(api, "Private", "The combination is 4-8-15.", [])
        page = await browser.new_page()
        await sign_in(page, base)
        await page.goto(f"{base}/notes/{note}")
        assert "4-8-15" in await page.content()
        await page.click("button:has-text('Sign out')")
        await page.wait_for_url(f"{base}/login?notice=signed-out")
        assert await page.locator(".notice").inner_text() == "You are signed out."
        await page.go_back()
        await page.wait_for_load_state()
        assert "4-8-15" not in await page.content()
        assert page.url.startswith(f"{base}/login")
