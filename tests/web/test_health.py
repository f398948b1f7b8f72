"""/health and /health/live in-process, including a database that cannot be reached."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncpg
import numpy as np
import pytest
from starlette.testclient import TestClient

from tests.conftest import make_settings
from vault_mcp.embeddings.background import BackgroundEmbedder
from vault_mcp.embeddings.batching import EncodeFn
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.web import create_app


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = f"postgresql://postgres@/postgres?host={tmp_path}/no-such-socket-dir"
    app = create_app(make_settings(unreachable), HashingEmbedder())
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        for _ in range(500):  # the services open in the background; bounded wait for failure
            response = http.get("/health")
            if response.json()["database"] != "starting":
                break
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        # The documented fields and why, with no DSN, host or path in it to leak.
        assert response.json() == {
            "status": "retrying",
            "database": "unavailable",
            "embedder": "ready",
            "error": "The vault's database is unavailable right now; try again in a few seconds.",
        }
        assert http.get("/health/live").status_code == 200


def test_health_is_ok_with_a_database(database_url: str) -> None:
    app = create_app(make_settings(database_url), HashingEmbedder())
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        for _ in range(200):  # the services open in the background; bounded wait
            response = http.get("/health")
            if response.status_code == 200:
                break
        assert response.json() == {"status": "ok", "database": "ok", "embedder": "ready"}


def test_health_says_the_model_is_being_prepared_during_the_one_time_export(
    database_url: str,
) -> None:
    exported = threading.Event()
    words = HashingEmbedder()

    def load() -> EncodeFn:
        embedder.mark_preparing()  # what load_onnx reports before exporting
        exported.wait(30)
        return lambda texts: np.stack([words.embed_sync(t) for t in texts])

    embedder = BackgroundEmbedder(load, 384)
    embedder.start_loading()
    app = create_app(make_settings(database_url), embedder)
    try:
        with TestClient(app, base_url="http://127.0.0.1:8000") as http:
            for _ in range(200):  # the services open in the background; bounded wait
                response = http.get("/health")
                if response.status_code == 200:
                    break
            assert response.json()["embedder"] == "preparing"
            assert response.json()["status"] == "loading"  # healthy: calls wait for it
            assert "once" in response.json()["message"]
            # The web view says so too, on every page.
            assert "Preparing the embedding model for this data dir" in http.get("/login").text
            exported.set()
            for _ in range(200):
                if http.get("/health").json()["embedder"] == "ready":
                    break
            assert http.get("/health").json() == {
                "status": "ok",
                "database": "ok",
                "embedder": "ready",
            }
    finally:
        exported.set()


@pytest.mark.parametrize("path", ["/health", "/health/live"])
def test_health_needs_no_token_and_answers_json(path: str, database_url: str) -> None:
    app = create_app(make_settings(database_url), HashingEmbedder())
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        assert http.get(path).headers["content-type"] == "application/json"


def test_first_start_without_accounts_says_how_to_create_one(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(database_url), HashingEmbedder())
    with caplog.at_level("WARNING"), TestClient(app, base_url="http://127.0.0.1:8000") as http:
        for _ in range(200):  # the check runs once the services are up; bounded wait
            if "no account can sign in yet" in caplog.text:
                break
            http.get("/health")
    assert "vault-mcp user add NAME" in caplog.text


def test_vault_admin_password_creates_admin_on_first_start(database_url: str) -> None:
    settings = make_settings(database_url, admin_password="first admin passphrase")
    with TestClient(
        create_app(settings, HashingEmbedder()), base_url="http://127.0.0.1:8000"
    ) as http:
        for _ in range(500):  # bounded wait for the background bootstrap
            if asyncio.run(_has_user(database_url, "admin")):
                break
        response = http.post(
            "/api/v1/auth/login", json={"username": "admin", "password": "first admin passphrase"}
        )
        assert response.status_code == 200


async def _has_user(database_url: str, name: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM users WHERE username = $1", name))
    finally:
        await conn.close()
