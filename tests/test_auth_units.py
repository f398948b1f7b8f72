"""Units of the auth package that need no server: secrets, durations, scopes."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from vault_mcp.auth.secret import load_or_create_secret
from vault_mcp.errors import InvalidInput
from vault_mcp.settings import parse_duration


def test_a_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_secret(None, tmp_path / "data")
    path = tmp_path / "data" / "jwt_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_or_create_secret(None, tmp_path / "data") == first


def test_a_configured_secret_wins_and_must_be_long(tmp_path: Path) -> None:
    assert load_or_create_secret("k" * 40, tmp_path) == "k" * 40
    assert not (tmp_path / "jwt_secret").exists()
    with pytest.raises(InvalidInput, match="JWT_SECRET is 5 characters"):
        load_or_create_secret("short", tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", timedelta(hours=1)),
        ("30d", timedelta(days=30)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("3600", timedelta(hours=1)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0", "1y", "-5m", "soon"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


async def test_every_tool_has_a_scope_that_matches_its_read_only_hint() -> None:
    from contextlib import asynccontextmanager

    from vault_mcp.auth.scopes import READ, TOOL_SCOPES, WRITE
    from vault_mcp.tools import build_mcp_server

    @asynccontextmanager
    async def nothing(_: object):  # type: ignore[no-untyped-def]
        yield None

    server = build_mcp_server(nothing)
    tools = await server.list_tools()
    assert {t.name for t in tools} == set(TOOL_SCOPES)
    for tool in tools:
        read_only = tool.annotations is not None and bool(tool.annotations.read_only_hint)
        assert TOOL_SCOPES[tool.name] == (READ if read_only else WRITE), tool.name
