"""Tool argument errors in words a model can act on, from the tool's own input schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# A model rarely makes more than a few mistakes at once; a long list would bury the first.
MAX_REPORTED = 3


def unknown_arguments(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """Names the tool does not take: silently ignoring one (`tag` for `tags`) would return
    unfiltered results that look like an answer."""
    known = schema.get("properties", {})
    unknown = sorted(name for name in arguments if name not in known)
    if not unknown:
        return None
    # Names are the caller's text, echoed and logged: a few, each short.
    listed = ", ".join(_shown(name) for name in unknown[:MAX_REPORTED])
    if len(unknown) > MAX_REPORTED:
        listed += f" and {len(unknown) - MAX_REPORTED} more"
    takes = ", ".join(known) or "no arguments"
    noun = "argument" if len(unknown) == 1 else "arguments"
    return f"unknown {noun} {listed}; this tool takes: {takes}"


def describe_errors(schema: Mapping[str, Any], exc: ValidationError) -> str:
    """One sentence per wrong argument: what it must be, and what came instead."""
    errors = exc.errors(include_url=False)
    sentences = [_sentence(schema, error) for error in errors[:MAX_REPORTED]]
    if len(errors) > MAX_REPORTED:
        sentences.append(f"and {len(errors) - MAX_REPORTED} more")
    return "; ".join(dict.fromkeys(sentences))


def _sentence(schema: Mapping[str, Any], error: ErrorDetails) -> str:
    loc = [part for part in error["loc"] if isinstance(part, int) or part in _names(schema)]
    name = _path(loc) if loc else ".".join(map(str, error["loc"])) or "the arguments"
    prop = _property(schema, loc)
    kind = error["type"]
    if kind == "missing":
        return f"{name} is required"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{name} must be {_range(prop)}; got {_shown(error['input'])}"
    if kind in ("string_too_long", "string_too_short", "too_long", "too_short"):
        return f"{name} {error['msg'].removeprefix('Input ').removeprefix('Value ')}"
    if kind == "timezone_aware":
        return f"{name} needs a time zone (e.g. 2026-01-31T09:00:00Z); got {_shown(error['input'])}"
    return f"{name} must be {_expected(prop)}; got {_shown(error['input'])}"


def _names(schema: Mapping[str, Any]) -> set[str]:
    return set(schema.get("properties", {}))


def _path(loc: list[str | int]) -> str:
    head, *rest = loc
    return str(head) + "".join(f"[{part}]" for part in rest)


def _property(schema: Mapping[str, Any], loc: list[str | int]) -> Mapping[str, Any]:
    """The schema of the value at `loc` (a list item for a numeric step); {} if unknown."""
    node: Mapping[str, Any] = schema
    for part in loc:
        node = _non_null(node)
        node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {})
        if not isinstance(part, int):
            node = node.get(part, {})
    return _non_null(node)


def _non_null(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """`X | None` is an anyOf with null: the X is what the caller should send."""
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    return options[0] if len(options) == 1 else node


def _range(prop: Mapping[str, Any]) -> str:
    low, high = prop.get("minimum"), prop.get("maximum")
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"at least {low}"
    return f"at most {high}" if high is not None else "in range"


_TYPES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
}


def _expected(prop: Mapping[str, Any]) -> str:
    if prop.get("format") == "date-time":
        return "an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z"
    if prop.get("type") == "array":
        item = _TYPES.get(_non_null(prop.get("items", {})).get("type", ""), "values")
        return f"a list of {item.removeprefix('a ').removeprefix('an ')}s"
    expected = _TYPES.get(prop.get("type", ""), "a valid value")
    if "minimum" in prop or "maximum" in prop:
        expected += f" {_range(prop)}"
    return expected


def _shown(value: Any) -> str:
    """The rejected value, short: it is the caller's own data, echoed back to the caller."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
