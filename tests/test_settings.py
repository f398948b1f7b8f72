from __future__ import annotations

from pathlib import Path

import pytest

from vault_mcp.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "VAULT_DATA_DIR",
        "VAULT_PUBLIC_URL",
        "HOST",
        "PORT",
        "VAULT_USER",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_database_on_loopback() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.embedded and settings.should_migrate_on_start
    assert settings.data_dir.name == "vault-mcp"
    assert settings.base_url() == "http://127.0.0.1:8000"
    assert settings.user == "local"


def test_the_documented_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/vault")
    monkeypatch.setenv("VAULT_DATA_DIR", "/srv/vault")
    monkeypatch.setenv("VAULT_PUBLIC_URL", "https://vault.example.com/")
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("VAULT_USER", "ada")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not settings.embedded and not settings.should_migrate_on_start
    assert settings.data_dir == Path("/srv/vault")
    assert settings.base_url() == "https://vault.example.com"
    assert (settings.port, settings.user) == (9000, "ada")


def test_a_bad_value_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(ValueError, match="PORT"):
        Settings(_env_file=None)  # type: ignore[call-arg]
