from __future__ import annotations

import asyncio
from dataclasses import replace

import asyncpg
import pytest

from vault_mcp.db.migrate import Migration, load_migrations, migrate, pending
from vault_mcp.errors import SchemaError


async def _applied(conn: asyncpg.Connection) -> list[str]:
    return [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY 1")]


def test_migrations_are_numbered_and_ordered() -> None:
    migrations = load_migrations()
    assert migrations, "no migration files found in the package"
    assert [m.version for m in migrations] == sorted(m.version for m in migrations)
    assert migrations[0].name == "0001_users_and_notes.sql"


async def test_fresh_database_gets_every_migration(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        applied = await migrate(conn)
        assert applied == [m.name for m in load_migrations()]
        assert await _applied(conn) == applied
        dims = await conn.fetchval(
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'note_passages'::regclass "
            "AND attname = 'embedding'"
        )
        assert dims == 384
        indexes = {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes")}
        assert {
            "note_passages_embedding_hnsw_idx",
            "note_passages_words_idx",
            "notes_tags_idx",
            "notes_owner_created_idx",
        } <= indexes
        version = await conn.fetchval(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        )
        assert tuple(int(p) for p in version.split(".")) >= (0, 8, 0)
    finally:
        await conn.close()


async def test_second_run_applies_nothing(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await migrate(conn) == []
        assert await pending(conn, load_migrations()) == []
    finally:
        await conn.close()


async def test_an_edited_migration_is_detected(database_url: str) -> None:
    edited = [replace(m, sql=m.sql + "\n-- edited") for m in load_migrations()]
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(SchemaError, match="was edited after it was applied"):
            await migrate(conn, edited)
    finally:
        await conn.close()


async def test_a_migration_unknown_to_this_version_is_detected(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) "
            "VALUES ('9999', '9999_x.sql', '')"
        )
        with pytest.raises(SchemaError, match="written by a newer version"):
            await migrate(conn)
    finally:
        await conn.close()


async def test_a_failing_migration_is_rolled_back_whole(database_url: str) -> None:
    broken = Migration("0900", "0900_broken.sql", "CREATE TABLE half (id int); SELECT 1/0;")
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(SchemaError, match=r"0900_broken\.sql failed and was rolled back"):
            await migrate(conn, [*load_migrations(), broken])
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        assert "0900_broken.sql" not in await _applied(conn)
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_file_once(empty_database_url: str) -> None:
    conns = [await asyncpg.connect(empty_database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, len(load_migrations())]
    finally:
        for c in conns:
            await c.close()


async def test_notes_written_before_passages_keep_answering_until_reindexed(
    empty_database_url: str,
) -> None:
    """Migration 0006 carries each note's single vector over as its one passage."""
    migrations = load_migrations()
    before = [m for m in migrations if m.version < "0006"]
    conn = await asyncpg.connect(empty_database_url)
    try:
        await migrate(conn, before)
        await conn.execute("INSERT INTO users (username) VALUES ('old')")
        vector = "[" + ",".join(["0.05103104"] * 384) + "]"
        note_id = await conn.fetchval(
            "INSERT INTO notes (owner_id, title, content, tags, embedding)"
            " SELECT id, 'Old note', 'written by 0.1', '{a}', $1::vector FROM users RETURNING id",
            vector,
        )
        await migrate(conn)
        row = await conn.fetchrow(
            "SELECT ordinal, title, body, tags, embedding::text AS e, words::text AS w"
            " FROM note_passages WHERE note_id = $1",
            note_id,
        )
        assert (row["ordinal"], row["title"], row["body"], row["tags"]) == (
            0,
            "Old note",
            "written by 0.1",
            ["a"],
        )
        assert row["e"] == vector
        assert "'written'" in row["w"]
        assert await conn.fetchval("SELECT indexed_with FROM notes WHERE id = $1", note_id) is None
    finally:
        await conn.close()


async def test_a_pgvector_older_than_0_8_is_refused_with_what_to_run(database_url: str) -> None:
    from vault_mcp.runtime import prepare_schema

    conn = await asyncpg.connect(database_url)
    try:
        # The catalogue made to say what an un-updated 0.6.2 database says.
        await conn.execute("UPDATE pg_extension SET extversion = '0.6.2' WHERE extname = 'vector'")
    finally:
        await conn.close()
    with pytest.raises(SchemaError, match=r"pgvector 0\.6\.2; vault-mcp needs 0\.8\.0") as caught:
        await prepare_schema(database_url, apply=False)
    assert "ALTER EXTENSION vector UPDATE" in caught.value.message
