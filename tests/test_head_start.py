"""The head start: an existing data dir's embedded database starts before the SDK is imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_settings
from vault_mcp.errors import StorageUnavailable
from vault_mcp.runtime.head_start import head_start, started_server


def test_nothing_is_started_for_a_new_data_dir_or_an_external_database(tmp_path: Path) -> None:
    head_start(make_settings(None, data_dir=tmp_path))  # type: ignore[arg-type]
    head_start(make_settings("postgresql://db.example/vault", data_dir=tmp_path))
    assert started_server(tmp_path) is None
    assert not (tmp_path / "pgdata").exists()  # initdb is left to the services


def test_a_head_start_that_fails_fails_one_attempt_and_the_next_starts_its_own(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "pgdata"
    broken.mkdir()
    (broken / "PG_VERSION").write_text("16\n")  # a cluster's marker, and nothing else
    head_start(make_settings(None, data_dir=tmp_path))  # type: ignore[arg-type]
    early = started_server(tmp_path)
    assert early is not None
    with pytest.raises(StorageUnavailable, match="cannot start the embedded PostgreSQL"):
        early.result(timeout=60)
    assert started_server(tmp_path) is None  # taken once: a retry starts the server itself
