"""Where the embedded server's lock file lives: never a file shared by every user of the machine."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from vault_mcp.db import embedded


def test_a_user_without_a_runtime_dir_gets_a_private_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No login session (su, cron): the package would lock /tmp/.lockfile, which the first
    user to run owns; a normal user is given a directory only they can enter."""
    monkeypatch.setattr(embedded.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(platformdirs, "user_runtime_path", lambda: tmp_path / "run" / "1000")
    monkeypatch.setattr(platformdirs, "user_cache_path", lambda name: tmp_path / "cache" / name)
    private = embedded.private_runtime_dir()
    assert private == tmp_path / "cache" / "vault-mcp" / "runtime"
    assert (private / "python_PostgresServer").is_dir()
    assert private.stat().st_mode & 0o077 == 0


def test_a_user_with_a_runtime_dir_and_root_keep_the_packages_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "python_PostgresServer").mkdir()
    monkeypatch.setattr(platformdirs, "user_runtime_path", lambda: tmp_path)
    monkeypatch.setattr(embedded.os, "geteuid", lambda: 1000)
    assert embedded.private_runtime_dir() is None
    monkeypatch.setattr(platformdirs, "user_runtime_path", lambda: tmp_path / "missing")
    monkeypatch.setattr(embedded.os, "geteuid", lambda: 0)  # root runs postgres as `pgserver`
    assert embedded.private_runtime_dir() is None
