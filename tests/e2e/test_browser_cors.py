"""A browser-based MCP client for real: a page on a configured origin (Debian's Chromium, via
Playwright) reads the metadata and opens an MCP session on `vault-mcp serve` across origins,
with Chromium's own preflights; a page on another origin, or a cookie route, is blocked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import async_playwright

from tests.e2e.conftest import add_user, free_port, login, running_serve
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"

# What a browser MCP client does first: discovery, then initialize with its bearer token.
CLIENT_JS = """
async ([base, token]) => {
  const out = {};
  const meta = await fetch(base + "/.well-known/oauth-protected-resource/mcp",
                           {headers: {"MCP-Protocol-Version": "2025-11-25"}});
  out.resource = (await meta.json()).resource;
  const headers = {"Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25",
                   "Accept": "application/json, text/event-stream"};
  const body = JSON.stringify({jsonrpc: "2.0", id: 1, method: "initialize", params: {
    protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {name: "page", version: "0"}}});
  try {
    const refused = await fetch(base + "/mcp", {method: "POST", headers, body});
    out.refused = [refused.status, refused.headers.get("www-authenticate")];
    const opened = await fetch(base + "/mcp", {method: "POST", body,
      headers: {...headers, "Authorization": "Bearer " + token}});
    out.server = (await opened.json()).result.serverInfo.name;
    out.session = opened.headers.get("mcp-session-id");
  } catch (e) { out.mcp = "blocked"; }
  try {
    await fetch(base + "/api/v1/auth/login", {method: "POST", headers, body: "{}"});
    out.login = "readable";
  } catch (e) { out.login = "blocked"; }
  return out;
}
"""


async def test_a_page_on_a_configured_origin_connects_and_another_origin_cannot(
    hashing_env: dict[str, str],
) -> None:
    allowed, other = f"http://localhost:{free_port()}", f"http://localhost:{free_port()}"
    env = {**hashing_env, "VAULT_CORS_ORIGINS": allowed}
    await add_user(env, "alice", PASSWORD)
    async with running_serve(env) as base, async_playwright() as p:
        token = (await login(base, "alice", PASSWORD))["access_token"]
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Chromium asks the person before a page reaches a loopback address (Local
            # Network Access); the test says yes, as the person would for a local vault.
            context = await browser.new_context(permissions=["local-network-access"])
            page = await context.new_page()
            for origin in (allowed, other):  # the pages themselves, served by Playwright
                await page.route(f"{origin}/**", lambda route: route.fulfill(body="<p>client</p>"))

            async def run_from(origin: str) -> dict[str, Any]:
                await page.goto(f"{origin}/")
                result: dict[str, Any] = await page.evaluate(CLIENT_JS, [base, token])
                return result

            ok = await run_from(allowed)
            assert ok["resource"] == f"{base}/mcp"
            assert ok["refused"][0] == 401 and "resource_metadata=" in ok["refused"][1]
            assert ok["server"] == "vault-mcp" and ok["session"]
            assert ok["login"] == "blocked"  # the cookie routes are not for other origins

            elsewhere = await run_from(other)
            assert elsewhere["resource"] == f"{base}/mcp"  # public metadata: any origin
            assert elsewhere["mcp"] == "blocked"
        finally:
            await browser.close()
