"""The OAuth consent flow in a real browser (Debian's Chromium): the sign-in and consent pages
work, and the approval's redirect to the client's callback is not blocked by our CSP
(browsers apply `form-action` to where a submitted form is redirected)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.async_api import async_playwright

from tests.e2e.conftest import add_user, running_serve, server_env
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.https_server import local_server

pytestmark = pytest.mark.slow

PASSWORD = "a long passphrase"


def callback_page() -> tuple[int, dict[str, str], bytes]:
    """A client's loopback callback page."""
    body = b"<!doctype html><title>client</title><p>back at the client</p>"
    return 200, {"Content-Type": "text/html"}, body


async def test_a_person_approves_a_client_in_the_browser(tmp_path: Path, database_url: str) -> None:
    env = server_env(tmp_path, database_url)
    await add_user(env, "ada", PASSWORD)
    console: list[str] = []
    with local_server({"/callback": callback_page}) as client_site:
        callback = f"{client_site}/callback"
        async with running_serve(env) as base, async_playwright() as p:
            async with httpx.AsyncClient() as http:
                registered = await http.post(
                    f"{base}/oauth/register",
                    json={
                        "redirect_uris": [callback],
                        "token_endpoint_auth_method": "none",
                        "client_name": "Browser Client",
                    },
                )
            client_id = registered.json()["client_id"]
            verifier = secrets.token_urlsafe(48)
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .decode()
                .rstrip("=")
            )
            query = urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": callback,
                    "state": "st4te",
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                    "resource": f"{base}/mcp",
                }
            )
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            page.on("console", lambda message: console.append(message.text))

            await page.goto(f"{base}/oauth/authorize?{query}")
            assert page.url.startswith(f"{base}/login")
            await page.fill("input[name=username]", "ada")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button:has-text('Sign in')")
            await page.wait_for_selector("text=Connect Browser Client?")
            await page.click("button:has-text('Allow')")
            await page.wait_for_url(f"{callback}?*", timeout=15_000)
            answer = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
            await browser.close()

            assert answer["state"] == "st4te" and answer["iss"] == base and answer["code"]
            assert not [m for m in console if "Content Security Policy" in m], console
            async with httpx.AsyncClient() as http:
                tokens = await http.post(
                    f"{base}/oauth/token",
                    data={
                        "grant_type": "authorization_code",
                        "code": answer["code"],
                        "redirect_uri": callback,
                        "client_id": client_id,
                        "code_verifier": verifier,
                    },
                )
            assert tokens.status_code == 200, tokens.text
