"""The signing key file: written whole, and refused when it could not be a real key."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from vault_mcp.auth.secret import MIN_SECRET_CHARS, load_or_create_secret
from vault_mcp.errors import InvalidInput


@pytest.mark.parametrize("contents", ["", "\n", "abc"])
def test_an_empty_or_short_key_file_is_refused_rather_than_signing_forgeable_tokens(
    tmp_path: Path, contents: str
) -> None:
    (tmp_path / "jwt_secret").write_text(contents)
    with pytest.raises(InvalidInput, match=f"needs at least {MIN_SECRET_CHARS}"):
        load_or_create_secret(None, tmp_path)


def test_servers_starting_together_all_read_the_same_whole_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait(timeout=30)
        try:
            results.append(load_or_create_secret(None, data))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 8 and len(set(results)) == 1
    assert len(results[0]) >= MIN_SECRET_CHARS
    assert [p.name for p in data.iterdir()] == ["jwt_secret"]  # no temporary file left
