"""An import's duplicate check: found through the indexed text hash, decided by the texts."""

from __future__ import annotations

import asyncpg

from tests.conftest import OpenedServices
from vault_mcp.db.notes import SAME_TEXT

_FILL = """
INSERT INTO {table} (id, owner_id, title, content, tags, created_at, updated_at)
SELECT gen_random_uuid(), $1, 'note ' || n, repeat('words of note ' || n || ' ', 20), '{{}}',
       clock_timestamp(), clock_timestamp()
FROM generate_series(1, $2) AS n
"""


async def _plan(conn: asyncpg.Connection, owner: int) -> str:
    rows = await conn.fetch(f"EXPLAIN SELECT {SAME_TEXT}", owner, "note 7", "some text")
    return "\n".join(r[0] for r in rows)


async def test_the_duplicate_check_reads_the_hash_index_not_the_owners_notes(
    services: OpenedServices,
) -> None:
    owner = services.owner
    async with services.pool.acquire() as conn:
        await conn.execute(_FILL.format(table="notes"), owner, 20_000)
        await conn.execute(_FILL.format(table="trashed_notes"), owner, 5_000)
        await conn.execute("ANALYZE notes")
        await conn.execute("ANALYZE trashed_notes")
        plan = await _plan(conn, owner)
        assert "notes_owner_text_hash_idx" in plan, plan
        assert "trashed_notes_owner_text_hash_idx" in plan, plan
        assert "Seq Scan" not in plan, plan
        # Without the indexes the same check reads every note of the owner (this database
        # is the test's own): at this size the planner scans, so the plan above is theirs.
        await conn.execute("DROP INDEX notes_owner_text_hash_idx")
        await conn.execute("DROP INDEX trashed_notes_owner_text_hash_idx")
        assert "Seq Scan on notes" in await _plan(conn, owner)


async def test_two_notes_whose_texts_hash_alike_are_both_kept(services: OpenedServices) -> None:
    """title "a\\nb" + content "c" and title "a" + content "b\\nc" hash the same text: the
    check compares the texts, so neither is taken for the other."""
    owner = services.owner
    async with services.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO notes (owner_id, title, content, tags) VALUES ($1, $2, $3, '{}')",
            owner,
            "meeting\nnotes",
            "agenda",
        )
        same_hash = await conn.fetchval(
            "SELECT note_text_hash('meeting\nnotes', 'agenda') = note_text_hash('meeting', "
            "'notes\nagenda')"
        )
    assert same_hash
    assert await services.notes.create_many(owner, [("meeting", "notes\nagenda", [])]) == 1
    assert await services.notes.create_many(owner, [("meeting", "notes\nagenda", [])]) == 0
