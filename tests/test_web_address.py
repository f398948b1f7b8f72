"""Note links from a local process: VAULT_PUBLIC_URL, else the address the running `serve` on
the same data dir recorded, else what `serve` would bind with HOST and PORT."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault_mcp.runtime.web_address import RECORD, recorded, web_base_url
from vault_mcp.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VAULT_PUBLIC_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)


def _settings(data_dir: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **values)  # type: ignore[call-arg]


def test_stdio_links_to_the_port_the_running_serve_recorded(tmp_path: Path) -> None:
    serve = _settings(tmp_path, port=18471)
    with recorded(serve):
        assert web_base_url(_settings(tmp_path)) == "http://127.0.0.1:18471"
    assert not (tmp_path / RECORD).exists()  # stopped: the record goes with it
    assert web_base_url(_settings(tmp_path)) == "http://127.0.0.1:8000"


def test_without_a_running_serve_the_link_follows_host_and_port(tmp_path: Path) -> None:
    assert web_base_url(_settings(tmp_path, host="::1", port=9000)) == "http://[::1]:9000"


def test_the_public_url_wins_over_a_recorded_address(tmp_path: Path) -> None:
    with recorded(_settings(tmp_path, port=18471)):
        stdio = _settings(tmp_path, public_url="https://vault.example.com/")
        assert web_base_url(stdio) == "https://vault.example.com"


def test_a_serve_that_stops_leaves_a_later_serves_record_alone(tmp_path: Path) -> None:
    with recorded(_settings(tmp_path, port=1111)):
        (tmp_path / RECORD).write_text("http://127.0.0.1:2222\n")  # another serve started
    assert web_base_url(_settings(tmp_path)) == "http://127.0.0.1:2222"


def test_a_record_that_is_not_a_url_is_ignored(tmp_path: Path) -> None:
    (tmp_path / RECORD).write_text("javascript:alert(1)")
    assert web_base_url(_settings(tmp_path, port=8123)) == "http://127.0.0.1:8123"


def test_no_data_dir_means_no_record(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with recorded(_settings(missing, port=18471)):
        assert not missing.exists()
