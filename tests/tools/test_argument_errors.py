"""Every argument a tool takes, sent missing, ill-typed or out of range through the SDK's
client on both protocol revisions: a tool error that names the argument and says what it must
be, never pydantic's dump (its type names, its docs URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from mcp import Client

from tests.conftest import held
from tests.tools.conftest import ReadyServices
from vault_mcp.runtime import Services
from vault_mcp.tools import build_mcp_server

PYDANTIC_WORDS = ("pydantic", "errors.pydantic.dev", "validation error for", "Input should")
REVISIONS = ["legacy", "2026-07-28"]


@pytest.fixture(params=REVISIONS)
async def any_client(request: pytest.FixtureRequest, services: Services) -> AsyncIterator[Client]:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[ReadyServices]:
        yield ReadyServices(services)

    async with held(Client(build_mcp_server(lifespan), mode=request.param)) as connected:
        yield connected


def _options(prop: dict[str, Any]) -> dict[str, Any]:
    """`X | None` is an anyOf with null; the X carries the type and the bounds."""
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    return {**prop, **options[0]} if len(options) == 1 else prop


def _valid(prop: dict[str, Any]) -> Any:
    prop = _options(prop)
    if prop.get("format") == "date-time":
        return "2026-01-31T09:00:00Z"
    return {"string": "x", "integer": prop.get("minimum", 1), "array": ["x"]}[prop["type"]]


def _wrong(prop: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(what is wrong, value) for the argument's schema: another type, an out-of-range number."""
    prop = _options(prop)
    if prop.get("format") == "date-time":
        yield "not a date", "next tuesday-ish"
        yield "no time zone", "2026-01-31T09:00:00"
        return
    kind = prop["type"]
    yield "an object", {"a": 1}
    if kind == "string":
        yield "a number", 12345
    if kind == "integer":
        yield "a word", "many"
        yield "a fraction", 1.5
    if kind == "array":
        yield "a number", 7
        yield "a list of numbers", [1, 2]
    if "minimum" in prop:
        yield "below the minimum", prop["minimum"] - 1
    if "maximum" in prop:
        yield "above the maximum", prop["maximum"] + 1


async def _cases(client: Client) -> list[tuple[str, str, dict[str, Any], str]]:
    """(tool, argument, arguments sent, what is wrong) for every argument of every tool."""
    cases = []
    for tool in (await client.list_tools()).tools:
        props: dict[str, Any] = tool.input_schema.get("properties", {})
        required = tool.input_schema.get("required", [])
        base = {name: _valid(props[name]) for name in required}
        for name in required:
            cases.append((tool.name, name, {k: v for k, v in base.items() if k != name}, "missing"))
        for name, prop in props.items():
            for wrong, value in _wrong(prop):
                cases.append((tool.name, name, {**base, name: value}, wrong))
        cases.append((tool.name, "bogus", {**base, "bogus": 1}, "unknown"))
    return cases


async def _error_text(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, (tool, args, result.structured_content)
    return " ".join(getattr(item, "text", "") for item in result.content)


async def test_tools_declare_they_take_no_other_arguments_in_unindented_words(
    any_client: Client,
) -> None:
    for tool in (await any_client.list_tools()).tools:
        assert tool.input_schema["additionalProperties"] is False  # as call_tool enforces
        assert tool.description and "\n    " not in tool.description  # no docstring indent


async def test_every_wrong_argument_of_every_tool_is_named_without_pydantic_words(
    any_client: Client,
) -> None:
    cases = await _cases(any_client)
    assert len(cases) > 60  # the walk found the tools and their arguments
    for tool, name, args, wrong in cases:
        text = await _error_text(any_client, tool, args)
        assert name in text, (tool, wrong, text)
        assert not [w for w in PYDANTIC_WORDS if w in text], (tool, wrong, text)
        assert text != f"Error executing tool {tool}"


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("list_notes", {"limit": 0}, "limit must be between 1 and 100; got 0"),
        ("list_notes", {"limit": 101}, "limit must be between 1 and 100; got 101"),
        ("search_notes", {"query": "x", "limit": 0}, "limit must be between 1 and 100; got 0"),
        ("read_note", {"id": "x", "offset": -1}, "offset must be at least 0; got -1"),
        ("create_note", {"title": "t"}, "content is required"),
        ("create_note", {}, "title is required; content is required"),
        ("create_note", {"title": "t", "content": 5}, "content must be a string; got 5"),
        (
            "create_note",
            {"title": "t", "content": "c", "tags": [1]},
            "tags[0] must be a string; got 1",
        ),
        ("list_notes", {"limit": "many"}, "limit must be a whole number between 1 and 100"),
        ("list_notes", {"since": "2026-01-31T09:00"}, "since needs a time zone"),
        ("list_notes", {"since": "soon"}, "since must be an ISO 8601 date-time"),
        ("search_notes", {"query": "x", "tag": "work"}, "unknown argument 'tag'; this tool takes"),
        ("read_note", {"id": "not-a-uuid"}, "'not-a-uuid' is not a note id"),
        ("create_note", {"title": "t" * 501, "content": "c"}, "title"),
        ("create_note", {"title": " ", "content": "c"}, "title is empty"),
    ],
)
async def test_an_argument_error_says_what_is_wrong_and_what_is_allowed(
    any_client: Client, tool: str, args: dict[str, Any], message: str
) -> None:
    text = await _error_text(any_client, tool, args)
    assert message in text
    assert not [w for w in PYDANTIC_WORDS if w in text], text


async def test_unknown_argument_names_are_echoed_short_and_few(any_client: Client) -> None:
    args = {"query": "x", **{f"{n}{'z' * 5000}": 1 for n in range(50)}}
    text = await _error_text(any_client, "search", args)
    assert text.startswith("unknown arguments '0zzz")
    assert "and 47 more; this tool takes: query" in text
    assert len(text) < 300
