"""Arguments no note can hold (NUL, lone surrogates) or no cursor can encode (a date that
overflows) are tool errors naming the problem, not the SDK's opaque "Error executing tool"."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from tests.web.test_hostile_input import forged_cursor

SURROGATE = "\ud800"


async def _error(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error
    [item] = result.content
    text: str = item.text  # type: ignore[union-attr]
    assert text != f"Error executing tool {tool}"  # the SDK's words for an unexpected error
    return text


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("create_note", {"title": f"t{SURROGATE}", "content": "c"}, "title"),
        ("create_note", {"title": "t", "content": f"c{SURROGATE}"}, "content"),
        ("create_note", {"title": "t", "content": "c", "tags": [SURROGATE]}, "tag"),
        ("search_notes", {"query": f"fox {SURROGATE}"}, "query"),
        ("search_notes", {"query": "fox", "tags": [SURROGATE]}, "tag"),
        ("search", {"query": f"fox {SURROGATE}"}, "query"),
        ("list_notes", {"tag": SURROGATE}, "tag"),
    ],
)
async def test_a_lone_surrogate_in_a_text_argument_is_a_tool_error_naming_it(
    client: Client, tool: str, args: dict[str, Any], field: str
) -> None:
    message = await _error(client, tool, args)
    assert field in message and "surrogate" in message


async def test_a_lone_surrogate_in_an_update_is_a_tool_error_and_changes_nothing(
    client: Client,
) -> None:
    created = await client.call_tool("create_note", {"title": "Fox", "content": "brown"})
    assert created.structured_content is not None
    note_id = created.structured_content["id"]
    message = await _error(client, "update_note", {"id": note_id, "content": f"x{SURROGATE}"})
    assert "content" in message and "surrogate" in message
    read = await client.call_tool("read_note", {"id": note_id})
    assert read.structured_content is not None and read.structured_content["content"] == "brown"


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
async def test_a_list_cursor_whose_date_overflows_is_a_tool_error(
    client: Client, created_at: str
) -> None:
    message = await _error(client, "list_notes", {"cursor": forged_cursor(created_at)})
    assert "cursor is not valid" in message
