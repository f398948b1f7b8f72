"""Fused search over passages on a real PostgreSQL + pgvector 0.8, with the hashing embedder:
words, filters, dates, snippets, the relevance floor and the exact/indexed paths."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from vault_mcp.db import search as search_sql
from vault_mcp.domain import SearchQuery
from vault_mcp.errors import InvalidInput
from vault_mcp.passages import split_passages
from vault_mcp.runtime import Services


async def add_crowd(
    services: Services,
    owner: int,
    query_vector: np.ndarray,
    count: int,
    tag: str = "crowd",
    spread: float = 0.08,
) -> None:
    """`count` one-passage notes of `owner` whose vectors crowd the query's neighbourhood
    (the larger `spread`, the farther), written straight to the tables (the index built once
    afterwards, as on a grown vault)."""
    rng = np.random.default_rng(11)
    vectors = query_vector + spread * rng.normal(size=(count, query_vector.size)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("DROP INDEX note_passages_embedding_hnsw_idx")
        ids = await conn.fetch(
            "INSERT INTO notes (owner_id, title, content, tags, indexed_with)"
            " SELECT $1, 'crowd ' || g, 'crowd body ' || g, ARRAY[$3::text], 'passages-1'"
            " FROM generate_series(1, $2) AS g RETURNING id, title, content, updated_at",
            owner,
            count,
            tag,
        )
        await conn.copy_records_to_table(
            "note_passages",
            timeout=900,
            columns=[
                "note_id",
                "ordinal",
                "owner_id",
                "tags",
                "updated_at",
                "title",
                "body",
                "embedding",
            ],
            records=[
                (r["id"], 0, owner, [tag], r["updated_at"], r["title"], r["content"], v)
                for r, v in zip(ids, vectors, strict=True)
            ],
        )
        # The pool's statement timeout is for requests; building a graph takes longer.
        await conn.execute(
            "CREATE INDEX note_passages_embedding_hnsw_idx ON note_passages"
            " USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 200)",
            timeout=900,
        )
        await conn.execute("ANALYZE note_passages")


def exact_top(services: Services, notes: list, query: str, k: int) -> list:
    """The owner's top k notes by the best cosine of any of their passages, computed here."""
    from vault_mcp.passages import embedded_text

    embed = services.embedder.embed_sync  # type: ignore[attr-defined]
    q = embed(query)
    best = {
        n.id: max(float(embed(embedded_text(n.title, p)) @ q) for p in split_passages(n.content))
        for n in notes
    }
    return sorted(best, key=lambda i: -best[i])[:k]


async def test_a_rare_identifier_is_found_first_by_its_words(services: Services) -> None:
    notes, owner = services.notes, services.owner
    for i in range(30):
        await notes.create(owner, f"Build log {i}", f"The build failed with error {1000 + i}.")
    target = await notes.create(
        owner, "Outage", "Intro.\n\n# Details\n\nThe gateway answered ERR_4417 and libfoo1.2.3."
    )
    for query in ("ERR_4417", "libfoo1.2.3", "what is ERR_4417"):
        hits = await notes.search(owner, query, limit=5)
        assert hits[0].note.id == target.id, query
        assert "ERR_4417" in hits[0].snippet
        assert hits[0].heading == "Details"


async def test_a_note_larger_than_the_embedded_size_keeps_its_tail_findable_by_words(
    database_url: str, hashing_embedder: object
) -> None:
    from tests.conftest import opened_services

    async with opened_services(database_url, hashing_embedder, max_embedded_chars=2000) as services:
        body = "\n\n".join(f"Paragraph {i} of filler text here." for i in range(300))
        note = await services.notes.create(
            services.owner, "Long", body + "\n\nThe tail says quetzalcoatl."
        )
        rows = await services.pool.fetch(
            "SELECT embedding IS NULL AS words_only FROM note_passages WHERE note_id = $1"
            " ORDER BY ordinal",
            note.id,
        )
        assert not rows[0]["words_only"] and rows[-1]["words_only"]
        [hit] = await services.notes.search(services.owner, "quetzalcoatl")
        assert hit.note.id == note.id


async def test_a_query_that_matches_nothing_returns_nothing(services: Services) -> None:
    for i in range(20):
        await services.notes.create(services.owner, f"Note {i}", f"ordinary text number {i}")
    assert await services.notes.search(services.owner, "xyzzy plugh frobnicate", limit=10) == []


async def test_the_shared_words_list_weighs_each_word_by_its_rarity(services: Services) -> None:
    """Ranked by the shared-words list alone, the note sharing the query's word that is rare
    in this vault comes before notes that repeat its common word (BM25's IDF at work)."""
    notes, owner = services.notes, services.owner
    for i in range(40):
        await notes.create(
            owner, f"Daily {i}", f"the kettle boiled, the kettle sang, kettle day {i}"
        )
    rare = await notes.create(owner, "Trip", "we watched a samovar being polished")
    query = SearchQuery("kettle samovar", limit=5)
    [vector] = await services.embedder.embed([query.text])
    # Meaning only breaks ties (its candidates are weighed too); every note clears the floor.
    only_shared = replace(search_sql.FUSION, meaning=1e-6, every_word=0.0, min_similarity=-1.0)
    async with services.pool.acquire() as conn:
        hits = await search_sql.search(conn, owner, query, vector, only_shared)
    assert hits[0].note.id == rare.id
    assert len(hits) == 5


async def test_another_accounts_notes_do_not_sway_a_ranking(services: Services) -> None:
    """How rare a word is, is counted in the searcher's own vault only: another account
    filling its notes with my rare word changes neither my order nor my scores."""
    notes, owner = services.notes, services.owner
    for i in range(12):
        await notes.create(owner, f"Log {i}", f"the pump {'valve ' * (i % 3)}check number {i}")
    await notes.create(owner, "Gasket", "the gasket on the pump leaked")
    query = "pump gasket valve"
    before = [(h.note.id, h.score) for h in await notes.search(owner, query, limit=10)]
    other = await services.users.ensure("other")
    for i in range(30):
        await notes.create(other, f"Gaskets {i}", f"gasket gasket valve inventory {i}")
    after = [(h.note.id, h.score) for h in await notes.search(owner, query, limit=10)]
    assert after == before


async def test_search_filters_by_tags_and_dates_exactly(services: Services) -> None:
    notes, owner = services.notes, services.owner
    old = await notes.create(owner, "Old", "garden shed paint", ["home"])
    middle = await notes.create(owner, "Middle", "garden shed roof", ["home", "todo"])
    new = await notes.create(owner, "New", "garden shed door", ["todo"])
    ids = lambda hits: {h.note.id for h in hits}  # noqa: E731
    assert ids(await notes.search(owner, "garden shed")) == {old.id, middle.id, new.id}
    assert ids(await notes.search(owner, "garden shed", tags=["todo"])) == {middle.id, new.id}
    assert ids(await notes.search(owner, "garden shed", since=middle.updated_at)) == {
        middle.id,
        new.id,
    }
    assert ids(await notes.search(owner, "garden shed", until=middle.updated_at)) == {old.id}
    assert ids(
        await notes.search(owner, "garden shed", since=middle.updated_at, until=new.updated_at)
    ) == {middle.id}
    page = await notes.list(owner, since=middle.updated_at, until=new.updated_at)
    assert [n.id for n in page.notes] == [middle.id]
    [hit] = await notes.search(owner, "garden shed roof", limit=1)
    assert hit.note.updated_at == middle.updated_at


async def test_a_date_range_must_make_sense(services: Services) -> None:
    now = datetime.now(UTC)
    with pytest.raises(InvalidInput, match="is not before until"):
        await services.notes.search(services.owner, "x", since=now, until=now - timedelta(1))
    with pytest.raises(InvalidInput, match="has no time zone"):
        await services.notes.list(services.owner, since=datetime(2026, 1, 1))


async def test_a_leading_dash_is_searched_for_not_excluded(services: Services) -> None:
    note = await services.notes.create(services.owner, "rsync", "Use --dry-run to preview.")
    [hit] = await services.notes.search(services.owner, "--dry-run")
    assert hit.note.id == note.id


async def test_the_best_passage_is_the_snippet(services: Services) -> None:
    content = "# Intro\n\nGeneral words.\n\n# Boats\n\nThe sailing dinghy needs a new mast."
    note = await services.notes.create(services.owner, "Hobbies", content)
    [hit] = await services.notes.search(services.owner, "sailing dinghy mast")
    assert hit.note.id == note.id
    assert hit.snippet == "The sailing dinghy needs a new mast."
    assert hit.heading == "Boats"
    assert 0 < hit.score <= 1


async def test_a_small_owner_among_many_gets_the_exact_top_10(services: Services) -> None:
    """50 notes among 20,000 of another owner crowding the query's neighbourhood: the
    served top 10 is exactly the brute-force top 10."""
    query = "shared topic words"
    [qv] = await services.embedder.embed([query])
    crowd = await services.users.ensure("crowd")
    await add_crowd(services, crowd, qv, 20_000)
    # Distinct similarities (no ties): note i says "topic" i + 1 times.
    mine = [
        await services.notes.create(
            services.owner, f"mine {i}", f"filler{i} " + "topic " * (i + 1) + "\n\n# Part\n\nmore"
        )
        for i in range(50)
    ]
    hits = await services.notes.search(services.owner, query, limit=10, mode="vector")
    assert [h.note.id for h in hits] == exact_top(services, mine, query, 10)


async def test_a_large_owner_filtered_to_one_percent_still_gets_k_results(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the HNSW index (iterative scans), a tag held by 1% of a large owner's notes
    still yields k results, and the best of them."""
    query = "shared topic words"
    [qv] = await services.embedder.embed([query])
    await add_crowd(services, services.owner, qv, 6_000)
    tagged = [
        await services.notes.create(
            services.owner, f"rare {i}", f"filler{i} " + "topic " * (i + 1), ["rare"]
        )
        for i in range(60)
    ]
    async with services.pool.acquire() as conn:
        await conn.execute("ANALYZE note_passages")
        scope = await conn.fetchval(
            "SELECT count(*) FROM note_passages WHERE owner_id = $1", services.owner
        )
    assert scope >= search_sql.EXACT_BELOW  # so the index path is the one served
    hits = await services.notes.search(
        services.owner, query, limit=10, tags=["rare"], mode="vector"
    )
    assert len(hits) == 10
    expected = exact_top(services, tagged, query, 10)
    assert len({h.note.id for h in hits} & set(expected)) >= 9


async def test_an_owner_behind_another_accounts_passages_still_gets_k_results(
    services: Services,
) -> None:
    """Through the HNSW index, an account too large for the exact path whose passages all sit
    farther from the query than another account's thousands still gets a full page, its own
    top 10 (the index is approximate: 9 of them at least): the scan goes on (pgvector's
    iterative scans) past the graph's first candidates."""
    query = "shared topic words"
    [qv] = await services.embedder.embed([query])
    crowd = await services.users.ensure("crowd")
    await add_crowd(services, crowd, qv, 8_000)
    await add_crowd(services, services.owner, qv, search_sql.EXACT_BELOW + 100, spread=0.14)
    async with services.pool.acquire() as conn:
        mine = await conn.fetch(
            "SELECT note_id FROM note_passages WHERE owner_id = $1"
            " ORDER BY (embedding <=> $2) + 0 LIMIT 10",
            services.owner,
            qv,
        )
        everyone = await conn.fetch(
            "SELECT owner_id FROM note_passages ORDER BY (embedding <=> $1) + 0 LIMIT 400", qv
        )
        assert {r["owner_id"] for r in everyone} == {crowd}  # mine are all behind the crowd's
        every_note = replace(search_sql.FUSION, min_similarity=-1.0)
        hits = await search_sql.search(
            conn, services.owner, SearchQuery(query, mode="vector"), qv, every_note
        )
    assert len(hits) == 10
    assert len({h.note.id for h in hits} & {r["note_id"] for r in mine}) >= 9


async def test_the_served_plan_uses_the_index_for_large_owners_only(services: Services) -> None:
    [qv] = await services.embedder.embed(["anything"])
    crowd = await services.users.ensure("crowd")
    # Large enough that the planner prefers the index to sorting the owner's passages (at
    # ef_search 200 it sorts 3,000 rather than scan the index).
    await add_crowd(services, crowd, qv, 10_000)
    await services.notes.create(services.owner, "mine", "anything at all")

    async def plan(owner: int) -> str:
        from vault_mcp.domain import SearchQuery

        args = search_sql.arguments(owner, SearchQuery("anything"), qv)
        async with services.pool.acquire() as conn, conn.transaction():
            await conn.execute(search_sql._INDEX_SETTINGS)
            rows = await conn.fetch("EXPLAIN ANALYZE " + search_sql._SEARCH, *args)
        return "\n".join(r[0] for r in rows)

    def index_scans(plan: str) -> list[str]:
        return [line for line in plan.splitlines() if "note_passages_embedding_hnsw_idx" in line]

    big, small = await plan(crowd), await plan(services.owner)
    assert index_scans(big) and all("never executed" not in s for s in index_scans(big)), big
    # A small owner's plan may hold the index scan, behind a one-time filter that skips it.
    assert all("never executed" in s for s in index_scans(small)), small
    # The notes shown are read by primary key, never the owner's whole set.
    assert "Bitmap Heap Scan on notes" not in big and "Seq Scan on notes" not in big, big


async def test_every_search_is_planned_for_its_own_parameters(services: Services) -> None:
    """After five runs PostgreSQL may switch a prepared statement to a generic plan, blind to
    which legs are off and how rare the words are: served searches then took 176 ms where
    their own plans take 20. Every search must get a custom plan, however many ran before."""
    from vault_mcp.domain import SearchQuery

    [qv] = await services.embedder.embed(["anything"])
    crowd = await services.users.ensure("crowd")
    await add_crowd(services, crowd, qv, 3_000)
    async with services.pool.acquire() as conn:
        for words in ["crowd body", "anything at all", "crowd", "body 12", "17", "crowd 3"] * 2:
            await search_sql.search(conn, crowd, SearchQuery(words), qv)
        [plans] = await conn.fetch(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            search_sql._SEARCH,
        )
    assert (plans["generic_plans"], plans["custom_plans"]) == (0, 12)


async def test_a_passage_keeps_its_vector_in_the_row_not_in_toast(services: Services) -> None:
    """A passage row is over 2 kB (a 1.5 kB vector, its text and its words), past the
    default toast target: the vector went out of line, and the exact meaning leg read every
    vector back through the TOAST index (33 of a search's 43 ms at 1,000 notes)."""
    # 90 distinct words in one passage (at most 800 characters): a row of ~3 kB.
    content = " ".join(f"word{n} lorem{n * 7} ipsum{n * 13}" for n in range(30))
    [passage] = split_passages(content)
    await services.notes.create(services.owner, "A long passage", content)
    async with services.pool.acquire() as conn:
        row_bytes = await conn.fetchval(
            "SELECT pg_column_size(p.*) FROM note_passages AS p WHERE owner_id = $1",
            services.owner,
        )
        toast_pages = await conn.fetchval(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'note_passages'"
        )
    assert passage.body == content and row_bytes > 2_500, row_bytes
    assert toast_pages == 0
