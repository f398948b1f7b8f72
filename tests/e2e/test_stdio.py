"""`vault-mcp stdio` spawned for real and driven by the SDK's stdio clients."""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.conftest import initialize_request
from tests.e2e.conftest import VAULT_MCP, server_env

pytestmark = pytest.mark.slow


def _params(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=VAULT_MCP, args=["stdio"], env=env)


async def test_every_tool_over_stdio(hashing_env: dict[str, str]) -> None:
    async with stdio_client(_params(hashing_env)) as (read, write), ClientSession(read, write) as s:
        init = await s.initialize()
        assert init.server_info.name == "vault-mcp"
        assert len((await s.list_tools()).tools) == 10
        created = await s.call_tool(
            "create_note", {"title": "Fox", "content": "quick brown fox", "tags": ["a"]}
        )
        note = created.structured_content
        assert note is not None and not created.is_error
        nid = note["id"]
        assert (await s.call_tool("read_note", {"id": nid})).structured_content == note
        updated = await s.call_tool("update_note", {"id": nid, "tags": ["b"]})
        assert updated.structured_content["tags"] == ["b"]
        listed = await s.call_tool("list_notes", {})
        assert [n["id"] for n in listed.structured_content["notes"]] == [nid]
        found = await s.call_tool("search_notes", {"query": "brown fox"})
        assert found.structured_content["results"][0]["id"] == nid
        refs = await s.call_tool("search", {"query": "brown fox"})
        [item] = refs.content
        assert json.loads(item.text)["results"][0]["id"] == nid
        doc = await s.call_tool("fetch", {"id": nid})
        [item] = doc.content
        assert json.loads(item.text)["text"] == "quick brown fox"
        bad = await s.call_tool("read_note", {"id": "nope"})
        assert bad.is_error and "'nope' is not a note id" in bad.content[0].text
        deleted = await s.call_tool("delete_note", {"id": nid})
        assert deleted.structured_content == {"id": nid, "deleted": True}
        assert (await s.call_tool("read_note", {"id": nid})).is_error


async def test_stdio_speaks_the_stateless_2026_revision_too(hashing_env: dict[str, str]) -> None:
    async with Client(_params(hashing_env)) as client:  # mode="auto" negotiates 2026-07-28
        created = await client.call_tool("create_note", {"title": "t", "content": "modern client"})
        assert not created.is_error
        found = await client.call_tool("search_notes", {"query": "modern client"})
        assert found.structured_content["results"][0]["id"] == created.structured_content["id"]


def _rpc(proc: subprocess.Popen[str], message: dict) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()


def _read_response(proc: subprocess.Popen[str], request_id: int, timeout: float = 60) -> dict:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, "stdout closed"
        message = json.loads(line)  # every stdout line must be a JSON-RPC message
        assert message.get("jsonrpc") == "2.0", line
        if message.get("id") == request_id:
            return message
    raise AssertionError("no response in time")


def test_stdout_carries_nothing_but_protocol_even_while_the_model_loads(
    tmp_path, database_url: str
) -> None:
    env = server_env(tmp_path, database_url, embedder="sentence-transformers")
    env["VAULT_LOG_LEVEL"] = "DEBUG"  # the chattiest setting: all of it must go to stderr
    proc = subprocess.Popen(
        [VAULT_MCP, "stdio"],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _rpc(
            proc,
            initialize_request("raw"),
        )
        assert _read_response(proc, 1)["result"]["serverInfo"]["name"] == "vault-mcp"
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        title = f"note {uuid.uuid4()}"
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {
                    "name": "create_note",
                    "arguments": {
                        "title": title,
                        "content": "Meeting with the bank about the mortgage rate.",
                    },
                },
            },
        )
        assert not _read_response(proc, 2)["result"].get("isError")
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {
                    "name": "search_notes",
                    "arguments": {"query": "home loan interest", "limit": 1},
                },
            },
        )
        result = _read_response(proc, 3)["result"]
        assert result["structuredContent"]["results"][0]["title"] == title
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
        stderr = proc.stderr.read() if proc.stderr else ""
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert "DEBUG" in stderr  # logs were produced, and went to stderr
    assert proc.returncode == 0
