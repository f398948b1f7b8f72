"""Apply the SQL files in vault_mcp/migrations in order: checksummed, locked, a transaction each."""

from __future__ import annotations

import hashlib
import importlib.resources
import re
from dataclasses import dataclass
from typing import Any

import asyncpg

from vault_mcp.errors import SchemaError

# Any constant works; it only has to be the same for every vault-mcp process on a database.
_LOCK_KEY = 0x7661756C74  # "vault"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_CREATE_TRACKING_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
_SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
_RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations(package: str = "vault_mcp.migrations") -> list[Migration]:
    """The migrations shipped in `package`, in apply order."""
    found = []
    for entry in importlib.resources.files(package).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(match.group(1), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise SchemaError(f"two migration files share a version number in {package}")
    return found


def _check_applied(applied: dict[str, Any], migrations: list[Migration]) -> None:
    known = {m.version: m for m in migrations}
    for version, row in applied.items():
        migration = known.get(version)
        if migration is None:
            raise SchemaError(
                f"the database has migration {row['name']}, which this vault-mcp does not know; "
                "it was written by a newer version"
            )
        if row["checksum"] != migration.checksum:
            raise SchemaError(
                f"migration {migration.name} was edited after it was applied "
                "(checksum mismatch); add a new migration instead of changing an applied one"
            )


async def pending(conn: asyncpg.Connection[Any], migrations: list[Migration]) -> list[Migration]:
    """The migrations not yet applied; raises SchemaError on drift."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied = {r["version"]: r for r in await conn.fetch(_SELECT_APPLIED)} if exists else {}
    _check_applied(applied, migrations)
    return [m for m in migrations if m.version not in applied]


async def migrate(
    conn: asyncpg.Connection[Any], migrations: list[Migration] | None = None
) -> list[str]:
    """Apply every pending migration; returns the names of those applied."""
    migrations = load_migrations() if migrations is None else migrations
    # A session-level advisory lock: two processes starting together apply each file once.
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_CREATE_TRACKING_TABLE)
        done = []
        for migration in await pending(conn, migrations):
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        _RECORD, migration.version, migration.name, migration.checksum
                    )
            except asyncpg.PostgresError as exc:
                raise SchemaError(
                    f"migration {migration.name} failed and was rolled back: {exc}"
                ) from exc
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


# Iterative index scans (filtered searches that still return k rows) came in pgvector 0.8.0.
MIN_PGVECTOR = (0, 8, 0)


async def check_pgvector(conn: asyncpg.Connection[Any]) -> None:
    """Refuse to serve on a pgvector older than 0.8, saying how to update it."""
    version = await conn.fetchval("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    if version is None:
        raise SchemaError("the database has no pgvector extension; run `vault-mcp migrate`")
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
    if parts < MIN_PGVECTOR:
        available = await conn.fetchval(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
        )
        fix = (
            "as the extension's owner run `ALTER EXTENSION vector UPDATE;`"
            if available
            and tuple(int(p) for p in re.findall(r"\d+", available)[:3]) >= MIN_PGVECTOR
            else "install pgvector 0.8 or newer on the server (the image pgvector/pgvector:pg16 "
            "has it), then run `ALTER EXTENSION vector UPDATE;`"
        )
        raise SchemaError(
            f"this database has pgvector {version}; vault-mcp needs 0.8.0 or newer "
            f"(filtered search relies on its iterative index scans): {fix}"
        )
