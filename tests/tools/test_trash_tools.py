"""The trash over the SDK's in-memory client: delete_note trashes, restore_note brings back."""

from __future__ import annotations

import json

from mcp import Client

from tests.tools.test_tools import _error, _ok


async def test_a_trashed_note_is_absent_from_every_tool_until_restored(client: Client) -> None:
    note = await _ok(
        client, "create_note", {"title": "Ferry", "content": "the ferry leaves at dawn"}
    )
    await _ok(client, "delete_note", {"id": note["id"]})

    assert "not found" in await _error(client, "read_note", {"id": note["id"]})
    assert "not found" in await _error(client, "fetch", {"id": note["id"]})
    assert "not found" in await _error(client, "update_note", {"id": note["id"], "title": "x"})
    assert (await _ok(client, "list_notes", {}))["notes"] == []
    assert (await _ok(client, "search_notes", {"query": "ferry dawn"}))["results"] == []
    searched = await client.call_tool("search", {"query": "ferry dawn"})
    assert json.loads(searched.content[0].text) == {"results": []}  # type: ignore[union-attr]
    [trashed] = (await _ok(client, "list_trash", {}))["notes"]
    assert (trashed["id"], trashed["title"]) == (note["id"], "Ferry")
    assert trashed["purge_at"] > trashed["deleted_at"]

    restored = await _ok(client, "restore_note", {"id": note["id"]})
    assert restored == note
    assert await _ok(client, "read_note", {"id": note["id"]}) == note
    [hit] = (await _ok(client, "search_notes", {"query": "ferry dawn"}))["results"]
    assert hit["id"] == note["id"]
    assert (await _ok(client, "list_trash", {}))["notes"] == []
    assert await _ok(client, "restore_note", {"id": note["id"]}) == note  # idempotent


async def test_restore_note_of_an_unknown_or_malformed_id_names_the_problem(
    client: Client,
) -> None:
    unknown = "0b7a5a8e-1b7e-4c1e-9d3a-2f0e6c1d9a11"
    assert f"note {unknown} is not in the trash" in await _error(
        client, "restore_note", {"id": unknown}
    )
    assert "is not a note id" in await _error(client, "restore_note", {"id": "nope"})
    assert "cursor is not valid" in await _error(client, "list_trash", {"cursor": "%%%"})
