"""hypothesis-generated arguments for every MCP tool, through the SDK's streamable HTTP client
against the live app (bearer token, scope gate and all): arguments that fit each tool's input
schema and arguments that do not. Every call must come back as a result (a tool error is
fine, the SDK's opaque "Error executing tool" is not), and the one session must keep working."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.from_thread
import httpx
import httpx2
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from schemathesis import GenerationMode

from tests.fuzz.conftest import LiveServer, record
from tests.web.conftest import PASSWORD

# Per tool; 8 tools x 60 is 480 calls, well under a minute here.
EXAMPLES = 60

# Any JSON value the client can send: no NaN (not JSON), text with NUL and every plane (lone
# surrogates cannot be encoded by the client; tests/tools/test_hostile_arguments.py sends them
# in-process).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


def _bodies(schema: dict[str, Any], mode: GenerationMode) -> st.SearchStrategy[Any]:
    """JSON values that fit `schema` (or, NEGATIVE, do not), by schemathesis's generator: the
    schema becomes the request body of a one-operation OpenAPI document."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": "tool arguments", "version": "0"},
        "paths": {
            "/call": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": schema}},
                    },
                    "responses": {"200": {"description": "OK"}},
                }
            }
        },
    }
    operation = schemathesis.openapi.from_dict(document)["/call"]["POST"]
    return operation.as_strategy(generation_mode=mode).map(lambda case: case.body)


def _arguments(schema: dict[str, Any], note_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments that fit the tool's input schema (some naming a real note), arguments that
    do not, and ill-typed values for known and unknown names."""
    valid = _bodies(schema, GenerationMode.POSITIVE)
    names = [*schema.get("properties", {}), "unexpected"]
    ill_typed = st.dictionaries(st.sampled_from(names), JSON_VALUES, max_size=len(names))
    # A negative body may be a list or a number: the client only sends objects.
    invalid = _bodies(schema, GenerationMode.NEGATIVE).filter(lambda body: isinstance(body, dict))
    choices = [valid, invalid, ill_typed]
    if "id" in schema.get("properties", {}):
        choices.append(valid.map(lambda args: {**args, "id": note_id}))
    return st.one_of(choices)


@asynccontextmanager
async def _session(base: str, token: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def test_every_tool_answers_generated_arguments_without_an_opaque_error_or_a_crash(
    live_server: LiveServer,
) -> None:
    base = live_server.base
    answer = httpx.post(
        f"{base}/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    token = str(answer.json()["access_token"])
    outcomes: Counter[str] = Counter()
    opaque: list[str] = []
    started = time.monotonic()

    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_session(base, token)) as session,
    ):
        tools = portal.call(session.list_tools).tools
        assert len(tools) == 10
        created = portal.call(session.call_tool, "create_note", {"title": "Fox", "content": "fox"})
        assert created.structured_content is not None
        note_id = str(created.structured_content["id"])

        def fuzz(name: str, schema: dict[str, Any]) -> None:
            @given(args=_arguments(schema, note_id))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(args: dict[str, Any]) -> None:
                try:
                    result = portal.call(session.call_tool, name, args)
                except MCPError:  # a JSON-RPC error answer: the session lives on
                    outcomes["protocol error"] += 1
                    return
                if not result.is_error:
                    outcomes["result"] += 1
                    return
                outcomes["tool error"] += 1
                text = " ".join(getattr(item, "text", "") for item in result.content)
                if text.strip() == f"Error executing tool {name}":
                    opaque.append(f"{name}({args!r})")
                if "pydantic" in text or "validation error for" in text:
                    opaque.append(f"{name}({args!r}): {text}")

            call()

        for tool in tools:
            fuzz(tool.name, tool.input_schema)

        # The same session still answers after every call above.
        assert len(portal.call(session.list_tools).tools) == 10
        again = portal.call(session.call_tool, "create_note", {"title": "Still", "content": "up"})
        assert not again.is_error

    elapsed = time.monotonic() - started
    calls = sum(outcomes.values())
    record(
        f"mcp-fuzz: {calls} tool calls over {len(tools)} tools in {elapsed:.0f} s, "
        f"opaque errors: {len(opaque)}, session crashes: 0, outcomes: {dict(outcomes)}"
    )
    assert not opaque, opaque[:5]
    assert not live_server.errors, [r.getMessage() for r in live_server.errors]
