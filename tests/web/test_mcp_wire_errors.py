"""Raw JSON-RPC on /mcp, both revisions (the 2025-11-25 session and the stateless 2026-07-28
request): an unknown prompt, a missing note resource and a tool's bad argument each get a clear
answer with the right code, and nothing is logged as an ERROR."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import initialize_request
from tests.web.conftest import auth, login

ACCEPT = {"Accept": "application/json, text/event-stream"}
MODERN = "2026-07-28"
MISSING = "note://0b4c6f0e-8a7d-4c39-9a4e-2f1d3c5b7a90"


def _legacy(http: TestClient, token: str) -> dict[str, str]:
    """Headers of a fresh 2025-11-25 session."""
    headers = {**ACCEPT, **auth(token)}
    opened = http.post("/mcp", json=initialize_request("wire-test"), headers=headers)
    assert opened.status_code == 200, opened.text
    session = {**headers, "Mcp-Session-Id": opened.headers["mcp-session-id"]}
    notified = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert http.post("/mcp", json=notified, headers=session).status_code == 202
    return session


def _call(
    http: TestClient, token: str, revision: str, method: str, params: dict[str, Any]
) -> dict[str, Any]:
    if revision == MODERN:
        headers = {**ACCEPT, **auth(token), "Mcp-Protocol-Version": MODERN, "Mcp-Method": method}
        named = params.get("name", params.get("uri"))
        if named is not None:  # the routing header a 2026-07-28 client sends
            headers["Mcp-Name"] = named
        params = {
            **params,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientInfo": {"name": "wire-test", "version": "0"},
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        }
    else:
        headers = _legacy(http, token)
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
    response = http.post("/mcp", json=body, headers=headers)
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("revision", ["2025-11-25", MODERN])
def test_unknown_prompts_and_resources_and_bad_arguments_answer_clearly_on_the_wire(
    http: TestClient, revision: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = login(http, "alice")["access_token"]
    with caplog.at_level(logging.INFO):
        prompt = _call(http, token, revision, "prompts/get", {"name": "test_simple_prompt"})
        resource = _call(http, token, revision, "resources/read", {"uri": MISSING})
        tool = _call(
            http, token, revision, "tools/call", {"name": "list_notes", "arguments": {"limit": 0}}
        )
    assert prompt["error"]["code"] == -32601, prompt
    assert resource["error"]["code"] == -32602, resource
    assert "not found" in resource["error"]["message"]
    assert tool["result"]["isError"] is True, tool
    assert tool["result"]["content"][0]["text"] == "limit must be between 1 and 100; got 0"
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("revision", ["2025-11-25", MODERN])
def test_resources_list_over_http_shows_the_token_owners_notes_only(
    http: TestClient, revision: str
) -> None:
    tokens = {name: login(http, name)["access_token"] for name in ("alice", "bob")}
    for name, token in tokens.items():
        note = {"title": f"{name}'s note", "content": "mine"}
        assert http.post("/api/v1/notes", json=note, headers=auth(token)).status_code == 201
    listed = _call(http, tokens["alice"], revision, "resources/list", {})
    assert [r["name"] for r in listed["result"]["resources"]] == ["alice's note"], listed
    [resource] = listed["result"]["resources"]
    read = _call(http, tokens["bob"], revision, "resources/read", {"uri": resource["uri"]})
    assert read["error"]["code"] == -32602  # bob cannot read alice's note
    mine = _call(http, tokens["alice"], revision, "resources/read", {"uri": resource["uri"]})
    assert mine["result"]["contents"][0]["text"] == "mine"
