"""Shared fixtures: one real PostgreSQL (the embedded server) per session, a migrated template
database, a fresh copy of it per test, and the real embedding model loaded once per session."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from vault_mcp.db.embedded import get_server
from vault_mcp.db.migrate import migrate
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.runtime import Services, open_services
from vault_mcp.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The ONNX export of the model, made once and kept between local runs (ignored by git).
MODEL_CACHE = Path(__file__).parent / ".model-cache"

TEMPLATE = "vault_template"


def initialize_request(client: str, request_id: int = 1) -> dict[str, Any]:
    """A raw JSON-RPC `initialize` (2025-11-25), for tests that speak the wire protocol."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": client, "version": "0"},
        },
    }


T = TypeVar("T")


@asynccontextmanager
async def held(context: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter and exit `context` in one task of its own.

    anyio cancel scopes (inside the SDK's clients) must exit in the task that entered them,
    and pytest-asyncio tears fixtures down in another task.
    """
    entered: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    release = asyncio.Event()

    async def hold() -> None:
        try:
            async with context as value:
                entered.set_result(value)
                await release.wait()
        except BaseException as exc:
            if not entered.done():
                entered.set_exception(exc)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await entered
    finally:
        release.set()
        await task


class PgCluster:
    """The session's PostgreSQL server; hands out databases by name."""

    def __init__(self, server: Any) -> None:
        self._server = server

    def url(self, database: str = "postgres") -> str:
        return str(self._server.get_uri(database=database))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    # Not under pytest's tmp_path: run as root, the server runs as the user `pgserver`, which
    # needs to traverse the folders above its data dir, and every pytest session resets
    # /tmp/pytest-of-root to 0700 (so two test runs at once would lock each other out).
    parent = Path(tempfile.mkdtemp(prefix="vault-test-pg-"))
    server = get_server(parent / "pgdata", cleanup_mode="delete")
    try:
        yield PgCluster(server)
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="session")
async def template_database(pg_cluster: PgCluster) -> str:
    admin = await asyncpg.connect(pg_cluster.url())
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(pg_cluster.url(TEMPLATE))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return TEMPLATE


async def create_database(pg_cluster: PgCluster, template: str | None) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(pg_cluster.url())
    try:
        source = f" TEMPLATE {template}" if template else ""
        await admin.execute(f"CREATE DATABASE {name}{source}")
    finally:
        await admin.close()
    return name


async def drop_database(pg_cluster: PgCluster, name: str) -> None:
    admin = await asyncpg.connect(pg_cluster.url())
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def database_url(pg_cluster: PgCluster, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    name = await create_database(pg_cluster, template_database)
    yield pg_cluster.url(name)
    await drop_database(pg_cluster, name)


@pytest.fixture
async def empty_database_url(pg_cluster: PgCluster) -> AsyncIterator[str]:
    """A fresh database with no schema at all (for the migration runner)."""
    name = await create_database(pg_cluster, None)
    yield pg_cluster.url(name)
    await drop_database(pg_cluster, name)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "embedder": "hashing",
        "data_dir": Path("/nonexistent-vault-test-dir"),
        "jwt_secret": "test-secret-for-this-session-" + "s" * 20,  # no secret file is written
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder(384)


@dataclass(frozen=True)
class OpenedServices(Services):
    """The services, plus what only tests reach for (the app's Services hands out verbs
    only): the database pool, the embedder and the accounts store."""

    pool: Any
    embedder: Any
    users: Any


@asynccontextmanager
async def opened_services(
    database_url: str, embedder: Any, **settings: Any
) -> AsyncIterator[OpenedServices]:
    from vault_mcp.db.pool import open_pool
    from vault_mcp.db.users import PgUserRepository

    async with (
        open_services(make_settings(database_url, **settings), embedder) as opened,
        open_pool(database_url) as pool,
    ):
        fields = {f.name: getattr(opened, f.name) for f in dataclasses.fields(opened)}
        yield OpenedServices(**fields, pool=pool, embedder=embedder, users=PgUserRepository(pool))


@pytest.fixture
async def services(
    database_url: str, hashing_embedder: HashingEmbedder
) -> AsyncIterator[OpenedServices]:
    async with opened_services(database_url, hashing_embedder) as opened:
        yield opened


@pytest.fixture(scope="session")
async def real_embedder() -> Any:
    """The real all-MiniLM-L6-v2 as served by default (onnxruntime), loaded once per session."""
    from vault_mcp.embeddings.onnx import OnnxEmbedder

    embedder = OnnxEmbedder(MODEL_CACHE)
    await embedder.wait_ready()
    return embedder


@pytest.fixture(scope="session")
async def torch_embedder() -> Any:
    """The same model through sentence-transformers (torch): the reference the ONNX path
    must match."""
    from vault_mcp.embeddings.sentence_transformer import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    await embedder.wait_ready()
    return embedder


@pytest.fixture
async def model_services(database_url: str, real_embedder: Any) -> AsyncIterator[OpenedServices]:
    async with opened_services(database_url, real_embedder) as opened:
        yield opened
