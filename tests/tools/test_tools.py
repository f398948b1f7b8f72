"""Every tool through the SDK's in-memory client: shapes, annotations and refusals."""

from __future__ import annotations

import json
import uuid

import pytest
from mcp import Client

from vault_mcp.runtime import Services

ALL_TOOLS = {
    "create_note",
    "read_note",
    "update_note",
    "delete_note",
    "restore_note",
    "list_trash",
    "list_notes",
    "search_notes",
    "search",
    "fetch",
}


async def _ok(client: Client, tool: str, args: dict) -> dict:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def _error(client: Client, tool: str, args: dict) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error
    [item] = result.content
    return item.text  # type: ignore[union-attr]


async def test_every_tool_is_listed_with_descriptions_and_annotations(
    client: Client,
) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == ALL_TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 20
        assert tool.annotations is not None and tool.annotations.open_world_hint is False
    for name in ("read_note", "list_notes", "list_trash", "search_notes", "search", "fetch"):
        assert tools[name].annotations.read_only_hint is True
    assert tools["delete_note"].annotations.destructive_hint is True
    assert tools["update_note"].annotations.idempotent_hint is True
    assert tools["restore_note"].annotations.destructive_hint is False
    assert tools["restore_note"].annotations.idempotent_hint is True
    assert tools["create_note"].annotations.read_only_hint is False
    assert tools["create_note"].annotations.destructive_hint is False
    for name in ALL_TOOLS - {"search", "fetch"}:
        assert tools[name].output_schema is not None


async def test_create_read_update_delete_round_trip(client: Client, services: Services) -> None:
    note = await _ok(
        client, "create_note", {"title": "Fox", "content": "quick brown fox", "tags": ["animals"]}
    )
    assert note["url"] == f"{services.base_url}/notes/{note['id']}"
    assert await _ok(client, "read_note", {"id": note["id"]}) == note
    updated = await _ok(client, "update_note", {"id": note["id"], "content": "lazy dog"})
    assert (updated["title"], updated["content"], updated["tags"]) == (
        "Fox",
        "lazy dog",
        ["animals"],
    )
    assert await _ok(client, "delete_note", {"id": note["id"]}) == {
        "id": note["id"],
        "deleted": True,
    }
    message = await _error(client, "read_note", {"id": note["id"]})
    assert f"note {note['id']} not found" in message


async def test_list_notes_pages_with_a_cursor(client: Client) -> None:
    for i in range(3):
        await _ok(
            client,
            "create_note",
            {"title": f"n{i}", "content": f"c{i}", "tags": ["t"] if i else []},
        )
    first = await _ok(client, "list_notes", {"limit": 2})
    assert [n["title"] for n in first["notes"]] == ["n2", "n1"]
    second = await _ok(client, "list_notes", {"limit": 2, "cursor": first["next_cursor"]})
    assert [n["title"] for n in second["notes"]] == ["n0"] and second["next_cursor"] is None
    tagged = await _ok(client, "list_notes", {"tag": "t"})
    assert [n["title"] for n in tagged["notes"]] == ["n2", "n1"]


async def test_no_answer_grows_with_the_size_of_notes(client: Client) -> None:
    """A megabyte note: listed by its start, read and fetched a page at a time, so no tool
    result passes ~100k characters (structured content and its text copy together)."""
    from vault_mcp.domain import PREVIEW_CHARS, READ_PAGE_CHARS

    words = [f"word{i:06d}" for i in range(90_000)]
    text = " ".join(words)  # ~990k characters, every piece of it distinct
    created = await client.call_tool("create_note", {"title": "Huge", "content": text})
    assert not created.is_error and created.structured_content is not None
    note = created.structured_content
    assert note["content_length"] == len(text) and note["next_offset"] == READ_PAGE_CHARS

    def size(result: object) -> int:
        return len(json.dumps(result.structured_content)) + sum(  # type: ignore[attr-defined]
            len(c.text)
            for c in result.content  # type: ignore[attr-defined]
        )

    assert size(created) < 100_000
    listed = await client.call_tool("list_notes", {"limit": 100})
    [item] = listed.structured_content["notes"]  # type: ignore[index]
    assert item["preview"] == text[:PREVIEW_CHARS] and item["content_length"] == len(text)
    assert "content" not in item and size(listed) < 5_000

    pages, offset = [], 0
    while offset is not None:
        read = await client.call_tool("read_note", {"id": note["id"], "offset": offset})
        assert not read.is_error and size(read) < 100_000
        pages.append(read.structured_content["content"])  # type: ignore[index]
        offset = read.structured_content["next_offset"]  # type: ignore[index]
    assert "".join(pages) == text  # every character once, in order
    assert len(pages) == -(-len(text) // READ_PAGE_CHARS)

    fetched = await client.call_tool("fetch", {"id": note["id"]})
    document = json.loads(fetched.content[0].text)  # type: ignore[union-attr]
    assert document["text"] == text[:READ_PAGE_CHARS]
    assert document["metadata"]["next_offset"] == READ_PAGE_CHARS
    past = await _error(client, "read_note", {"id": note["id"], "offset": len(text)})
    assert "outside the note's text" in past

    # An edit between two pages shows in updated_at, as next_offset's description says.
    first = await client.call_tool("read_note", {"id": note["id"]})
    await client.call_tool("update_note", {"id": note["id"], "content": "short now"})
    later = await client.call_tool("read_note", {"id": note["id"], "offset": 0})
    assert later.structured_content["updated_at"] != first.structured_content["updated_at"]  # type: ignore[index]


async def test_search_notes_ranks_the_matching_note_first(client: Client) -> None:
    fox = await _ok(
        client,
        "create_note",
        {"title": "Fox", "content": "the quick brown fox jumps", "tags": ["a"]},
    )
    await _ok(client, "create_note", {"title": "Soup", "content": "tomato soup recipe"})
    result = await _ok(client, "search_notes", {"query": "brown fox", "limit": 5})
    best = result["results"][0]
    assert best["id"] == fox["id"]
    assert set(best) == {
        "id",
        "title",
        "snippet",
        "section",
        "score",
        "tags",
        "url",
        "created_at",
        "updated_at",
    }
    assert best["snippet"] == "the quick brown fox jumps" and best["tags"] == ["a"]
    filtered = await _ok(client, "search_notes", {"query": "fox", "tags": ["a"]})
    assert [r["id"] for r in filtered["results"]] == [fox["id"]]
    # The soup note matches but lacks the tag; nothing else matches at all.
    assert (await _ok(client, "search_notes", {"query": "soup", "tags": ["a"]}))["results"] == []


async def test_search_notes_and_list_notes_take_a_date_range(client: Client) -> None:
    old = await _ok(client, "create_note", {"title": "Old", "content": "kayak trip"})
    new = await _ok(client, "create_note", {"title": "New", "content": "kayak repair"})
    since = {"since": new["updated_at"]}
    found = await _ok(client, "search_notes", {"query": "kayak", **since})
    assert [r["id"] for r in found["results"]] == [new["id"]]
    listed = await _ok(client, "list_notes", {"until": new["updated_at"]})
    assert [n["id"] for n in listed["notes"]] == [old["id"]]
    naive = await client.call_tool("search_notes", {"query": "kayak", "since": "2026-01-01T00:00"})
    assert naive.is_error


async def test_chatgpt_search_and_fetch_return_exactly_one_text_item_of_json(
    client: Client, services: Services
) -> None:
    note = await _ok(
        client, "create_note", {"title": "Fox", "content": "quick brown fox", "tags": ["x"]}
    )
    result = await client.call_tool("search", {"query": "brown fox"})
    assert not result.is_error
    [item] = result.content
    assert item.type == "text"
    payload = json.loads(item.text)
    assert payload == {"results": [{"id": note["id"], "title": "Fox", "url": note["url"]}]}

    result = await client.call_tool("fetch", {"id": note["id"]})
    [item] = result.content
    assert item.type == "text"
    payload = json.loads(item.text)
    assert set(payload) == {"id", "title", "text", "url", "metadata"}
    assert (payload["id"], payload["title"], payload["text"], payload["url"]) == (
        note["id"],
        "Fox",
        "quick brown fox",
        note["url"],
    )
    assert payload["metadata"]["tags"] == ["x"]


async def test_chatgpt_tools_take_a_single_string_argument(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name, arg in (("search", "query"), ("fetch", "id")):
        schema = tools[name].input_schema
        assert schema["required"] == [arg]
        assert schema["properties"][arg]["type"] == "string"


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("read_note", {"id": "not-a-uuid"}, "'not-a-uuid' is not a note id"),
        ("fetch", {"id": "12"}, "'12' is not a note id"),
        ("read_note", {"id": str(uuid.UUID(int=1))}, "not found"),
        ("delete_note", {"id": str(uuid.UUID(int=1))}, "not found"),
        ("update_note", {"id": str(uuid.UUID(int=1)), "title": "x"}, "not found"),
        ("create_note", {"title": "", "content": "x"}, "title is empty"),
        ("create_note", {"title": "t", "content": "   "}, "content is empty"),
        ("create_note", {"title": "x" * 501, "content": "c"}, "title is 501 characters"),
        (
            "create_note",
            {"title": "t", "content": "c" * 1_000_001},
            "content is 1,000,001 bytes; the limit is 1,000,000 bytes",
        ),
        (
            "create_note",
            {"title": "t", "content": "c", "tags": [str(i) for i in range(33)]},
            "33 tags given",
        ),
        ("create_note", {"title": "t"}, "content"),
        ("search_notes", {"query": " "}, "query is empty"),
        ("search", {"query": ""}, "query is empty"),
        ("search_notes", {"query": "x", "limit": 0}, "limit must be between 1 and 100; got 0"),
        ("search_notes", {"query": "x", "limit": 101}, "between 1 and 100; got 101"),
        ("list_notes", {"limit": 1000}, "limit must be between 1 and 100; got 1000"),
        ("list_notes", {"cursor": "garbage"}, "cursor is not valid"),
    ],
)
async def test_bad_input_is_a_tool_error_naming_the_problem(
    client: Client, tool: str, args: dict, expected: str
) -> None:
    assert expected in await _error(client, tool, args)


async def test_the_session_keeps_working_after_errors_and_nothing_is_half_written(
    client: Client,
) -> None:
    await _error(client, "create_note", {"title": "t", "content": "c" * 2_000_000})
    await _error(client, "create_note", {"title": "t", "content": "bad\x00byte"})
    assert (await _ok(client, "list_notes", {}))["notes"] == []
    note = await _ok(client, "create_note", {"title": "ok", "content": "fine"})
    await _error(client, "update_note", {"id": note["id"], "title": "new", "content": ""})
    assert (await _ok(client, "read_note", {"id": note["id"]}))["title"] == "ok"
