"""Note URLs are true in every mode: `serve --port P` links to P, and `vault-mcp stdio` on the
same data dir (no PORT of its own, as Claude Desktop starts it) links to that same serve."""

from __future__ import annotations

import pytest
from mcp import Client, StdioServerParameters

from tests.e2e.conftest import VAULT_MCP, add_user, bearer, login, running_serve

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


async def _created_url(env: dict[str, str]) -> str:
    params = StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=env)
    async with Client(params) as client:
        created = await client.call_tool("create_note", {"title": "Link", "content": "where"})
        assert created.structured_content is not None, created.content
        return str(created.structured_content["url"])


async def test_stdio_links_notes_to_the_serve_running_on_its_data_dir(
    hashing_env: dict[str, str],
) -> None:
    assert "PORT" not in hashing_env
    await add_user(hashing_env, "alice", PASSWORD)
    async with running_serve(hashing_env) as base:
        assert not base.endswith(":8000")
        url = await _created_url({**hashing_env, "VAULT_USER": "alice"})
        assert url.startswith(f"{base}/notes/")
        token = (await login(base, "alice", PASSWORD))["access_token"]
        async with bearer(token) as http:  # the link opens the note in that web view
            page = await http.get(url)
        assert page.status_code in (200, 303)  # the note page, or sign in first
    url = await _created_url(hashing_env)  # serve has stopped: what `serve` would bind
    assert url.startswith("http://127.0.0.1:8000/notes/")


async def test_stdio_links_notes_to_the_public_url_when_one_is_set(
    hashing_env: dict[str, str],
) -> None:
    url = await _created_url({**hashing_env, "VAULT_PUBLIC_URL": "https://vault.example.com"})
    assert url.startswith("https://vault.example.com/notes/")
