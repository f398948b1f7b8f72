"""docker-compose.prod.yml validated by Compose itself, and the Dockerfile by hadolint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[dev]' provides it)"
    return found


def _compose(
    tmp_path: Path, *args: str, env_file: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`docker-compose … config` on a copy of the project's deploy files (no engine needed)."""
    for name in ("docker-compose.prod.yml", "nginx.conf", "Dockerfile"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / ".env.prod").write_text(env_file or (REPO / ".env.prod.example").read_text())
    return subprocess.run(
        [
            _tool("docker-compose"),
            "--env-file",
            str(tmp_path / ".env.prod"),
            "-f",
            str(tmp_path / "docker-compose.prod.yml"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def model(tmp_path: Path) -> dict[str, Any]:
    result = _compose(tmp_path, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_compose_config_passes(tmp_path: Path) -> None:
    result = _compose(tmp_path, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_the_secrets(tmp_path: Path) -> None:
    result = _compose(tmp_path, "config", "-q", env_file="JWT_SECRET=x\n")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_postgres_is_pgvector_16_healthchecked_and_not_published(model: dict[str, Any]) -> None:
    postgres = model["services"]["postgres"]
    assert postgres["image"] == "pgvector/pgvector:pg16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "ports" not in postgres
    assert any(
        v["target"] == "/var/lib/postgresql/data" and v["type"] == "volume"
        for v in postgres["volumes"]
    )


def test_migrations_run_once_before_the_backend(model: dict[str, Any]) -> None:
    services = model["services"]
    assert services["migrate"]["command"] == ["vault-mcp", "migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (
        services["backend"]["depends_on"]["migrate"]["condition"]
        == "service_completed_successfully"
    )


def test_backend_gets_its_settings_and_restarts(model: dict[str, Any]) -> None:
    backend = model["services"]["backend"]
    env = backend["environment"]
    assert (
        env["DATABASE_URL"].startswith("postgresql://vault:")
        and "@postgres:5432/vault" in env["DATABASE_URL"]
    )
    assert (env["JWT_ACCESS_EXPIRY"], env["JWT_REFRESH_EXPIRY"], env["PORT"]) == (
        "1h",
        "30d",
        "8000",
    )
    assert env["JWT_SECRET"] and env["VAULT_PUBLIC_URL"].startswith("https://")
    assert backend["restart"] == "unless-stopped"
    assert "ports" not in backend


def test_nginx_publishes_80_and_443_and_mounts_its_files_read_only(model: dict[str, Any]) -> None:
    nginx = model["services"]["nginx"]
    assert {(p["published"], p["target"]) for p in nginx["ports"]} == {("80", 80), ("443", 443)}
    mounts = {v["target"]: v for v in nginx["volumes"]}
    assert mounts["/etc/nginx/nginx.conf"]["read_only"] and mounts["/etc/nginx/ssl"]["read_only"]


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_tool("hadolint"), str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_server_as_uid_1001_with_a_healthcheck() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert "USER 1001" in text and "EXPOSE 8000" in text and "HF_HUB_OFFLINE=1" in text
    assert 'CMD ["vault-mcp", "serve", "--host", "0.0.0.0", "--port", "8000"]' in text
    assert "HEALTHCHECK" in text and "/health" in text


def test_the_backend_trusts_forwarded_headers_only_from_its_own_network(
    model: dict[str, Any],
) -> None:
    """`FORWARDED_ALLOW_IPS=*` let any client choose the address sign-ins are throttled by."""
    trusted = model["services"]["backend"]["environment"]["FORWARDED_ALLOW_IPS"]
    [subnet] = [c["subnet"] for c in model["networks"]["default"]["ipam"]["config"]]
    assert trusted == subnet and trusted != "*"
    for name in ("backend", "nginx"):
        assert set(model["services"][name].get("networks", {"default": None})) == {"default"}


def test_nginx_replaces_the_clients_x_forwarded_for_with_its_address() -> None:
    lines = [line.split("#")[0].strip() for line in (REPO / "nginx.conf").read_text().splitlines()]
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in lines
    assert not any("$proxy_add_x_forwarded_for" in line for line in lines)
