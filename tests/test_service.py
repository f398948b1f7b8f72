"""NoteService on a real PostgreSQL with the hashing embedder."""

from __future__ import annotations

import asyncio
import uuid

import numpy as np
import pytest

from vault_mcp.errors import InvalidInput, NotFound
from vault_mcp.runtime import Services


async def test_created_note_reads_back_identically(services: Services) -> None:
    notes, owner = services.notes, services.owner
    created = await notes.create(
        owner, " Groceries ", "eggs, milk\nbread", ["home", "home", "list"]
    )
    assert created.title == "Groceries"
    assert created.tags == ("home", "list")
    assert await notes.get(owner, str(created.id)) == created


async def test_reading_an_unknown_note_says_not_found(services: Services) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"note {missing} not found"):
        await services.notes.get(services.owner, str(missing))


async def test_update_changes_only_the_given_fields(services: Services) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Plan", "draft text", ["a"])
    updated = await notes.update(owner, str(note.id), tags=["b", "c"])
    assert (updated.title, updated.content, updated.tags) == ("Plan", "draft text", ("b", "c"))
    assert updated.updated_at > note.updated_at
    assert updated.created_at == note.created_at


async def test_update_with_nothing_to_change_is_refused(services: Services) -> None:
    note = await services.notes.create(services.owner, "t", "c")
    with pytest.raises(InvalidInput, match="nothing to update"):
        await services.notes.update(services.owner, str(note.id))


async def test_update_of_content_re_embeds_so_search_follows_the_new_text(
    services: Services,
) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Pets", "the quick brown fox")
    await notes.create(owner, "Other", "unrelated words entirely")
    await notes.update(owner, str(note.id), content="a lazy sleeping dog")
    [best, *_] = await notes.search(owner, "sleeping dog", limit=2)
    assert best.note.id == note.id
    assert best.score == pytest.approx(1.0 - 0.0, abs=0.5)
    stale = await notes.search(owner, "quick brown fox", limit=2)
    assert all(h.score < 0.5 for h in stale)


async def test_an_update_that_lost_a_race_is_not_applied(services: Services) -> None:
    """The repository refuses a write whose embedding was made from text that has changed."""
    from vault_mcp.db.notes import PgNoteRepository
    from vault_mcp.domain import NotePatch

    repo = PgNoteRepository(services.pool)
    note = await services.notes.create(services.owner, "Title", "original")
    await services.notes.update(services.owner, str(note.id), content="changed by someone else")
    stale_embedding = np.ones(384, dtype=np.float32) / np.sqrt(384)
    result = await repo.update(services.owner, note, NotePatch(title="New"), stale_embedding)
    assert result is None
    assert (await services.notes.get(services.owner, str(note.id))).title == "Title"


async def test_concurrent_updates_all_land_consistently(services: Services) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Counter", "start")
    await asyncio.gather(
        *(notes.update(owner, str(note.id), title=f"Title {i}") for i in range(5)),
        *(notes.update(owner, str(note.id), content=f"content {i}") for i in range(5)),
    )
    final = await notes.get(owner, str(note.id))
    # The stored embedding must be the embedding of the stored text.
    [hit] = await notes.search(owner, f"{final.title}\n\n{final.content}", limit=1)
    assert hit.note.id == note.id
    assert hit.score == pytest.approx(1.0, abs=1e-5)


async def test_delete_removes_the_note_from_reads_lists_and_searches(services: Services) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Secret plan", "build a boat")
    assert await notes.delete(owner, str(note.id)) == note.id
    with pytest.raises(NotFound):
        await notes.get(owner, str(note.id))
    assert (await notes.list(owner)).notes == ()
    assert await notes.search(owner, "build a boat") == []
    with pytest.raises(NotFound):
        await notes.delete(owner, str(note.id))


async def test_list_pages_newest_first_without_gaps_or_repeats(services: Services) -> None:
    notes, owner = services.notes, services.owner
    created = [await notes.create(owner, f"n{i}", f"body {i}") for i in range(7)]
    seen, cursor = [], None
    while True:
        page = await notes.list(owner, limit=3, cursor=cursor)
        seen.extend(page.notes)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [n.id for n in seen] == [n.id for n in reversed(created)]


async def test_list_filters_by_tag(services: Services) -> None:
    notes, owner = services.notes, services.owner
    tagged = await notes.create(owner, "a", "x", ["work"])
    await notes.create(owner, "b", "y", ["home"])
    page = await notes.list(owner, tag="work")
    assert [n.id for n in page.notes] == [tagged.id]


async def test_a_malformed_cursor_is_refused_clearly(services: Services) -> None:
    with pytest.raises(InvalidInput, match="cursor is not valid"):
        await services.notes.list(services.owner, cursor="not-a-cursor")


async def test_no_owner_sees_another_owners_notes(services: Services) -> None:
    notes = services.notes
    alice, bob = services.owner, await services.users.ensure("bob")
    secret = await notes.create(alice, "Alice's diary", "dear diary, the fox")
    with pytest.raises(NotFound):
        await notes.get(bob, str(secret.id))
    with pytest.raises(NotFound):
        await notes.update(bob, str(secret.id), content="hacked")
    with pytest.raises(NotFound):
        await notes.delete(bob, str(secret.id))
    assert (await notes.list(bob)).notes == ()
    assert await notes.search(bob, "dear diary, the fox") == []
    assert (await notes.get(alice, str(secret.id))).content == "dear diary, the fox"


async def test_filtered_search_returns_the_exact_top_k_even_when_the_filter_is_selective(
    services: Services,
) -> None:
    """pgvector 0.6 filters HNSW candidates after the scan; a small owner must still get k hits."""
    pool, embedder = services.pool, services.embedder
    big = await services.users.ensure("big")
    [query] = await embedder.embed(["shared text word3"])
    # Another owner's notes crowd the query's neighbourhood, so the index's candidates are theirs.
    rng = np.random.default_rng(7)
    vectors = query + 0.05 * rng.normal(size=(1000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [(big, f"bulk {i}", f"bulk body {i}", [], vectors[i]) for i in range(1000)]
    async with pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO notes (owner_id, title, content, tags, embedding) VALUES ($1,$2,$3,$4,$5)",
            rows,
        )
        await conn.execute("ANALYZE notes")
    small = services.owner
    mine = [
        await services.notes.create(
            small, f"mine {i}", f"word{i} shared text", ["x"] if i % 2 else []
        )
        for i in range(30)
    ]

    def exact_scores(candidates: list, k: int) -> list[float]:
        vectors = [embedder.embed_sync(f"{n.title}\n\n{n.content}") for n in candidates]  # type: ignore[attr-defined]
        return sorted((float(np.dot(v, query)) for v in vectors), reverse=True)[:k]

    async with pool.acquire() as conn, conn.transaction():
        # The trap this guards against: among the index's first 100 candidates (what an HNSW
        # scan with ef_search 100 sees before the owner filter) there are too few of this
        # owner's notes.
        await conn.execute("SELECT set_config('hnsw.ef_search', '100', true)")
        nearest = await conn.fetch(
            "SELECT owner_id FROM notes ORDER BY embedding <=> $1 LIMIT 100", query
        )
        assert sum(r["owner_id"] == small for r in nearest) < 10

    # Ties may come back in any order, so the scores are compared, not the ids.
    hits = await services.notes.search(small, "shared text word3", limit=10)
    assert [h.score for h in hits] == pytest.approx(exact_scores(mine, 10), abs=1e-5)
    assert {h.note.id for h in hits} <= {n.id for n in mine}
    tagged = await services.notes.search(small, "shared text word3", limit=10, tags=["x"])
    assert [h.score for h in tagged] == pytest.approx(
        exact_scores([n for n in mine if n.tags], 10), abs=1e-5
    )
    assert all("x" in h.note.tags for h in tagged)


async def test_create_many_validates_all_before_writing_any(services: Services) -> None:
    notes, owner = services.notes, services.owner
    with pytest.raises(InvalidInput, match="content is empty"):
        await notes.create_many(owner, [("ok", "fine", []), ("bad", "  ", [])])
    assert (await notes.list(owner)).notes == ()
    assert await notes.create_many(owner, [("a", "one", ["t"]), ("b", "two", [])]) == 2
    assert await notes.create_many(owner, [("a", "one", ["t"]), ("c", "three", [])]) == 1
    [hit] = await notes.search(owner, "three", limit=1)
    assert hit.note.title == "c"
