"""The chaos tier over stdio: the database stops under a `vault-mcp stdio` in use."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult

from tests.chaos.clients import (
    FAULT_SECONDS,
    MAX_WRITES,
    assert_every_acknowledged_write_is_whole,
)
from tests.chaos.conftest import ExternalPostgres
from tests.e2e.conftest import VAULT_MCP, server_env

pytestmark = pytest.mark.slow


async def test_a_stdio_server_says_the_database_is_unavailable_and_recovers(
    tmp_path: Path, chaos_url: str, external_postgres: ExternalPostgres
) -> None:
    """Claude Desktop's way in: the same process answers a tool error that says what is wrong
    while the database is down, and works again once it is back, without a restart."""
    params = StdioServerParameters(
        command=VAULT_MCP, args=["stdio"], env=server_env(tmp_path, chaos_url)
    )
    acknowledged: dict[str, tuple[str, str]] = {}

    async def create(s: ClientSession, i: int) -> CallToolResult:
        title, content = f"stdio chaos {i}", f"note {i} written over stdio under faults"
        with anyio.fail_after(FAULT_SECONDS):  # an answer, never a hang
            result = await s.call_tool("create_note", {"title": title, "content": content})
        if not result.is_error:
            acknowledged[result.structured_content["id"]] = (title, content)  # type: ignore[index]
        return result

    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        with anyio.fail_after(FAULT_SECONDS):
            await s.initialize()
        assert not (await create(s, 0)).is_error

        external_postgres.stop_immediately()
        refused = await create(s, 1)
        assert refused.is_error
        [text] = refused.content
        assert "database is unavailable" in text.text, text  # type: ignore[union-attr]
        with anyio.fail_after(FAULT_SECONDS):
            searched = await s.call_tool("search_notes", {"query": "written over stdio"})
        assert searched.is_error and "unavailable" in searched.content[0].text  # type: ignore[union-attr]

        external_postgres.start()
        restarted = time.monotonic()
        for i in range(2, MAX_WRITES):
            if not (await create(s, i)).is_error:
                break
            assert time.monotonic() - restarted < FAULT_SECONDS, "no write after the restart"
            await asyncio.sleep(0.2)
        recovered = time.monotonic() - restarted
        with anyio.fail_after(FAULT_SECONDS):
            found = await s.call_tool("search_notes", {"query": "written over stdio"})
        assert not found.is_error and found.structured_content["results"]  # type: ignore[index]
    print(f"stdio: refused while down, first write {recovered:.1f} s after the restart")
    await assert_every_acknowledged_write_is_whole(chaos_url, acknowledged)
