"""Notes as MCP resources (note://{id}) and no prompts capability, through the SDK's client on
both protocol revisions: the owner's notes only, and a clear invalid-params error otherwise."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, METHOD_NOT_FOUND, DiscoverResult

from tests.conftest import held
from tests.tools.conftest import ReadyServices
from vault_mcp.auth.passwords import hash_password
from vault_mcp.runtime import Services
from vault_mcp.tools import build_mcp_server
from vault_mcp.tools.resources import PAGE

MISSING = "note://0b4c6f0e-8a7d-4c39-9a4e-2f1d3c5b7a90"


@pytest.fixture(params=["legacy", "2026-07-28"])
async def any_client(request: pytest.FixtureRequest, services: Services) -> AsyncIterator[Client]:
    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[ReadyServices]:
        yield ReadyServices(services)

    async with held(Client(build_mcp_server(lifespan), mode=request.param)) as connected:
        yield connected


async def test_resources_are_advertised_and_prompts_are_not(any_client: Client) -> None:
    capabilities = any_client.server_capabilities
    if any_client.mode != "legacy":  # a version pin skips server/discover; "auto" sends it
        raw = await any_client.session.send_discover(any_client.mode)
        capabilities = DiscoverResult.model_validate(raw).capabilities
    assert capabilities.tools is not None
    assert capabilities.resources is not None
    assert capabilities.prompts is None
    [template] = (await any_client.list_resource_templates()).resource_templates
    assert template.uri_template == "note://{id}"
    assert template.mime_type == "text/markdown"


async def test_a_note_is_read_as_a_resource_in_markdown(any_client: Client) -> None:
    created = await any_client.call_tool(
        "create_note", {"title": "Lisbon", "content": "# Day 1\n\n- **tram** 28"}
    )
    assert created.structured_content is not None
    uri = f"note://{created.structured_content['id']}"
    [contents] = (await any_client.read_resource(uri)).contents
    assert contents.text == "# Day 1\n\n- **tram** 28"  # type: ignore[union-attr]
    assert contents.mime_type == "text/markdown"
    assert str(contents.uri) == uri


async def test_resources_list_pages_the_owners_notes_newest_first(
    any_client: Client, services: Any
) -> None:
    other = await services.users.create("someone-else", await hash_password("pw-pw-pw-pw"))
    await services.notes.create(other, "Not yours", "private", [])
    for n in range(PAGE + 1):
        await services.notes.create(services.owner, f"note {n}", f"text {n}", [])
    first = await any_client.list_resources(cache_mode="bypass")
    assert len(first.resources) == PAGE
    assert first.resources[0].name == f"note {PAGE}"
    assert first.resources[0].uri.startswith("note://")
    assert first.next_cursor is not None
    rest = await any_client.list_resources(cursor=first.next_cursor, cache_mode="bypass")
    assert [r.name for r in rest.resources] == ["note 0"]
    assert rest.next_cursor is None


async def test_another_owners_note_is_not_found_as_a_resource(
    any_client: Client, services: Any
) -> None:
    other = await services.users.create("someone-else", await hash_password("pw-pw-pw-pw"))
    note = await services.notes.create(other, "Not yours", "private", [])
    with pytest.raises(MCPError) as caught:
        await any_client.read_resource(f"note://{note.id}")
    assert caught.value.error.code == INVALID_PARAMS
    assert f"note {note.id} not found" in caught.value.error.message


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (MISSING, "not found"),
        ("note://not-a-uuid", "is not a note id"),
        ("note://..", "is not a note id"),
        ("file:///etc/passwd", "Unknown resource"),
    ],
)
async def test_a_resource_that_is_not_a_note_of_yours_is_invalid_params_without_a_traceback(
    any_client: Client, uri: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), pytest.raises(MCPError) as caught:
        await any_client.read_resource(uri)
    assert caught.value.error.code == INVALID_PARAMS
    assert message in caught.value.error.message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_bad_resources_list_cursor_is_invalid_params(any_client: Client) -> None:
    with pytest.raises(MCPError) as caught:
        await any_client.list_resources(cursor="garbage", cache_mode="bypass")
    assert caught.value.error.code == INVALID_PARAMS
    assert "cursor" in caught.value.error.message


async def test_prompts_get_is_method_not_found_without_a_traceback(
    any_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), pytest.raises(MCPError) as caught:
        await any_client.get_prompt("test_simple_prompt")
    assert caught.value.error.code == METHOD_NOT_FOUND
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_search_results_carry_a_resource_link_to_each_note(any_client: Client) -> None:
    created = await any_client.call_tool(
        "create_note", {"title": "Sourdough", "content": "feed the starter"}
    )
    assert created.structured_content is not None
    found = await any_client.call_tool("search_notes", {"query": "starter"})
    [text, link] = found.content
    assert text.type == "text"
    assert link.type == "resource_link"
    assert link.uri == f"note://{created.structured_content['id']}"
    assert link.name == "Sourdough"
    [item] = (await any_client.call_tool("search", {"query": "starter"})).content  # ChatGPT's
    assert item.type == "text"
