"""Startup in the background, and what a caller sees when the database is unreachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.conftest import held, make_settings
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.errors import SchemaError
from vault_mcp.runtime import ServicesHandle, open_services
from vault_mcp.tools import build_mcp_server


async def test_handle_becomes_ready_and_serves(database_url: str) -> None:
    async with ServicesHandle(make_settings(database_url), HashingEmbedder()) as handle:
        services = await handle.get()
        assert handle.state == "ready"
        assert await services.database_ok()


async def test_an_unreachable_database_is_a_clear_tool_error_not_a_hang(tmp_path: Path) -> None:
    settings = make_settings(f"postgresql://postgres:s3cret@/postgres?host={tmp_path}/nowhere")

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[ServicesHandle]:
        async with ServicesHandle(settings, HashingEmbedder()) as handle:
            yield handle

    async with held(Client(build_mcp_server(lifespan), mode="legacy")) as client:
        assert len((await client.list_tools()).tools) == 10  # the handshake does not need it
        result = await client.call_tool("create_note", {"title": "t", "content": "c"})
        assert result.is_error
        text = result.content[0].text
        assert "database is unavailable" in text and "retrying" in text
        # Neither the password nor where the database is: that is for the server's log.
        assert "s3cret" not in text and "nowhere" not in text and "postgres" not in text


async def test_an_external_database_without_the_schema_is_refused_with_the_fix(
    empty_database_url: str,
) -> None:
    with pytest.raises(SchemaError, match="run `vault-mcp migrate`"):
        async with open_services(make_settings(empty_database_url), HashingEmbedder()):
            pass


async def test_migrate_on_start_can_be_asked_for_an_external_database(
    empty_database_url: str,
) -> None:
    settings = make_settings(empty_database_url, migrate_on_start=True)
    async with open_services(settings, HashingEmbedder()) as services:
        note = await services.notes.create(services.owner, "t", "c")
        assert note.title == "t"
