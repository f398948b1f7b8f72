"""The HTTP app in-process (Starlette's TestClient runs its lifespan) with two real accounts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from tests.conftest import make_settings
from vault_mcp.auth.passwords import hash_password
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.settings import Settings
from vault_mcp.web import create_app

SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def app_settings(database_url: str, tmp_path: Any) -> Settings:
    return make_settings(database_url, jwt_secret=SECRET, data_dir=tmp_path / "data")


@pytest.fixture
async def accounts(database_url: str) -> dict[str, int]:
    """alice and bob, both with PASSWORD."""
    conn = await asyncpg.connect(database_url)
    try:
        hashed = await hash_password(PASSWORD)
        ids = {}
        for name in ("alice", "bob"):
            ids[name] = await conn.fetchval(
                "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id",
                name,
                hashed,
            )
        return ids
    finally:
        await conn.close()


@pytest.fixture
def http(app_settings: Settings, accounts: dict[str, int]) -> Iterator[TestClient]:
    app = create_app(app_settings, HashingEmbedder())
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        yield client


def login(http: TestClient, name: str, password: str = PASSWORD) -> dict[str, Any]:
    response = http.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(http: TestClient) -> dict[str, str]:
    """Bearer headers of the account alice, signed in over the REST API."""
    return auth(login(http, "alice")["access_token"])


@pytest.fixture
def bob(http: TestClient) -> dict[str, str]:
    return auth(login(http, "bob")["access_token"])


def run(coro: Any) -> Any:
    return asyncio.run(coro)
