"""NoteService on a real PostgreSQL with the hashing embedder."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import numpy as np
import pytest

from tests.conftest import OpenedServices, opened_services
from vault_mcp.domain import Note
from vault_mcp.embeddings.hashing import HashingEmbedder
from vault_mcp.errors import InvalidInput, NotFound
from vault_mcp.passages import embedded_text, split_passages
from vault_mcp.runtime import Services
from vault_mcp.service import Indexed


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


async def stored_passages(services: Services, note_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await services.pool.fetch(
        "SELECT ordinal, title, heading, body, tags, updated_at, embedding FROM note_passages"
        " WHERE note_id = $1 ORDER BY ordinal",
        note_id,
    )
    return [dict(r) for r in rows]


async def assert_index_matches(services: Services, note: Note) -> None:
    """The stored passages are exactly the split of the stored text, each vector the
    embedding of its passage as the model reads it."""
    expected = split_passages(note.content)
    stored = await stored_passages(services, note.id)
    assert [(r["heading"], r["body"]) for r in stored] == [(p.heading, p.body) for p in expected]
    for row, passage in zip(stored, expected, strict=True):
        assert row["title"] == note.title
        assert tuple(row["tags"]) == note.tags
        assert row["updated_at"] == note.updated_at
        fresh = services.embedder.embed_sync(embedded_text(note.title, passage))  # type: ignore[attr-defined]
        assert np.allclose(row["embedding"].to_numpy(), fresh, atol=1e-6)


async def test_update_of_content_re_splits_so_search_follows_the_new_text(
    services: Services,
) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Pets", "the quick brown fox\n\n# More\n\njumps high")
    assert len(await stored_passages(services, note.id)) == 2
    await notes.create(owner, "Other", "unrelated words entirely")
    updated = await notes.update(owner, str(note.id), content="a lazy sleeping dog")
    await assert_index_matches(services, updated)
    [best, *_] = await notes.search(owner, "sleeping dog", limit=2)
    assert best.note.id == note.id
    assert best.snippet == "a lazy sleeping dog"
    # The old passages are gone: their words find nothing.
    assert await notes.search(owner, "quick brown fox jumps", limit=2) == []


async def test_an_update_that_lost_a_race_is_not_applied(services: Services) -> None:
    """The repository refuses a write whose passages were made from text that has changed."""
    from vault_mcp.db.notes import PgNoteRepository
    from vault_mcp.domain import NotePatch

    repo = PgNoteRepository(services.pool)
    note = await services.notes.create(services.owner, "Title", "original")
    await services.notes.update(services.owner, str(note.id), content="changed by someone else")
    stale_embedding = np.ones(384, dtype=np.float32) / np.sqrt(384)
    stale = Indexed(split_passages("original"), [stale_embedding])
    result = await repo.update(services.owner, note, NotePatch(title="New"), stale)
    assert result is None
    current = await services.notes.get(services.owner, str(note.id))
    assert current.title == "Title"
    await assert_index_matches(services, current)


async def test_a_tags_only_update_keeps_the_passages_and_moves_their_filters(
    services: Services,
) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Trip", "pack the tent", ["todo"])
    updated = await notes.update(owner, str(note.id), tags=["done"])
    await assert_index_matches(services, updated)
    assert await notes.search(owner, "pack the tent", tags=["todo"]) == []
    [hit] = await notes.search(owner, "pack the tent", tags=["done"])
    assert hit.note.id == note.id


async def test_concurrent_updates_all_land_consistently(services: Services) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Counter", "start")
    await asyncio.gather(
        *(notes.update(owner, str(note.id), title=f"Title {i}") for i in range(5)),
        *(notes.update(owner, str(note.id), content=f"content {i}") for i in range(5)),
    )
    # The stored passages and vectors must be those of the stored text.
    await assert_index_matches(services, await notes.get(owner, str(note.id)))


async def test_content_updates_from_two_processes_do_not_conflict(
    services: OpenedServices, database_url: str
) -> None:
    """Two servers on one database (each with its own NoteService, so no shared lock): updates
    that replace the content read only the title, so they never refuse each other (with the
    old guard on title and content, 15.5% of such updates failed "try again")."""
    note = await services.notes.create(services.owner, "Shared", "start")
    async with opened_services(database_url, HashingEmbedder(384)) as other:
        writers = [services.notes, other.notes] * 10
        await asyncio.gather(
            *(
                w.update(services.owner, str(note.id), content=f"v{i}")
                for i, w in enumerate(writers)
            )
        )
    await assert_index_matches(services, await services.notes.get(services.owner, str(note.id)))


async def test_a_title_and_a_content_update_from_two_processes_both_land(
    services: OpenedServices, database_url: str
) -> None:
    """Each read the part the other replaces: one retries, and both changes are kept."""
    note = await services.notes.create(services.owner, "Old title", "old content")
    async with opened_services(database_url, HashingEmbedder(384)) as other:
        for round_ in range(5):
            await asyncio.gather(
                services.notes.update(services.owner, str(note.id), title=f"title {round_}"),
                other.notes.update(services.owner, str(note.id), content=f"content {round_}"),
            )
            current = await services.notes.get(services.owner, str(note.id))
            assert (current.title, current.content) == (f"title {round_}", f"content {round_}")
            await assert_index_matches(services, current)


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


async def test_create_many_validates_all_before_writing_any(services: Services) -> None:
    notes, owner = services.notes, services.owner
    with pytest.raises(InvalidInput, match="content is empty"):
        await notes.create_many(owner, [("ok", "fine", []), ("bad", "  ", [])])
    assert (await notes.list(owner)).notes == ()
    assert await notes.create_many(owner, [("a", "one", ["t"]), ("b", "two", [])]) == 2
    assert await notes.create_many(owner, [("a", "one", ["t"]), ("c", "three", [])]) == 1
    [hit] = await notes.search(owner, "three", limit=1)
    assert hit.note.title == "c"
