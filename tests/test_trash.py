"""The trash and the history on a real PostgreSQL: deletes are recoverable, edits kept."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pydantic import ValidationError

from tests.conftest import OpenedServices, make_settings
from vault_mcp.db.housekeeping import prune
from vault_mcp.domain import KEPT_VERSIONS
from vault_mcp.errors import NotFound


async def _passages(services: OpenedServices, note_id: uuid.UUID) -> list[tuple]:
    rows = await services.pool.fetch(
        "SELECT ordinal, heading, body, embedding::text FROM note_passages WHERE note_id = $1"
        " ORDER BY ordinal",
        note_id,
    )
    return [tuple(r) for r in rows]


async def test_a_trashed_note_is_in_no_read_list_or_search(services: OpenedServices) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Harbour", "the ferry leaves at dawn", ["travel"])
    await notes.delete(owner, str(note.id))
    with pytest.raises(NotFound):
        await notes.get(owner, str(note.id))
    assert (await notes.list(owner)).notes == ()
    assert (await notes.list(owner, tag="travel")).notes == ()
    for mode in ("fused", "vector", "words"):
        assert await notes.search(owner, "ferry dawn", mode=mode) == []
    [trashed] = (await services.recovery.list_trash(owner)).notes
    assert (trashed.note.id, trashed.note.title) == (note.id, "Harbour")
    assert trashed.purge_at == trashed.deleted_at + timedelta(days=30)


async def test_restore_brings_the_note_back_as_it_was_and_searchable(
    services: OpenedServices,
) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Harbour", "# Ferry\n\nthe ferry leaves at dawn", ["travel"])
    before = await _passages(services, note.id)
    await notes.delete(owner, str(note.id))
    assert await _passages(services, note.id) == []
    restored = await services.recovery.restore(owner, str(note.id))
    assert restored == note  # id, title, content, tags, created_at and updated_at
    assert await notes.get(owner, str(note.id)) == note
    assert await _passages(services, note.id) == before  # the same vectors: no model needed
    [hit] = await notes.search(owner, "ferry dawn")
    assert hit.note.id == note.id
    assert (await services.recovery.list_trash(owner)).notes == ()
    # Restoring again is harmless: the note is already back.
    assert await services.recovery.restore(owner, str(note.id)) == note


async def test_restoring_a_note_not_in_the_trash_says_so(services: OpenedServices) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"note {missing} is not in the trash"):
        await services.recovery.restore(services.owner, str(missing))


@pytest.mark.model
async def test_a_restored_note_is_found_by_meaning_again(
    model_services: OpenedServices,
) -> None:
    notes, owner = model_services.notes, model_services.owner
    await notes.create(owner, "Sourdough", "Feed the starter flour and water every morning.")
    boat = await notes.create(owner, "Sailing", "We took the dinghy out on the lake at sunset.")
    await notes.delete(owner, str(boat.id))
    hits = await notes.search(owner, "a trip in a small boat", limit=5)
    assert boat.id not in [h.note.id for h in hits]
    await model_services.recovery.restore(owner, str(boat.id))
    hits = await notes.search(owner, "a trip in a small boat", limit=5)
    assert hits[0].note.id == boat.id


async def test_the_trash_pages_most_recently_deleted_first(services: OpenedServices) -> None:
    notes, owner = services.notes, services.owner
    made = [await notes.create(owner, f"n{i}", "text") for i in range(5)]
    for note in made:
        await notes.delete(owner, str(note.id))
    seen, cursor = [], None
    while True:
        page = await services.recovery.list_trash(owner, limit=2, cursor=cursor)
        seen += [t.note.id for t in page.notes]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [n.id for n in reversed(made)]


async def test_deleting_forever_and_emptying_the_trash(services: OpenedServices) -> None:
    notes, owner, recovery = services.notes, services.owner, services.recovery
    made = [await notes.create(owner, f"n{i}", "text") for i in range(3)]
    await notes.update(owner, str(made[0].id), content="edited")
    for note in made:
        await notes.delete(owner, str(note.id))
    await recovery.forget(owner, str(made[0].id))
    with pytest.raises(NotFound):
        await recovery.restore(owner, str(made[0].id))
    assert await recovery.empty_trash(owner) == 2
    assert (await recovery.list_trash(owner)).notes == ()
    for table in ("trashed_notes", "trashed_passages", "note_versions"):
        assert await services.pool.fetchval(f"SELECT count(*) FROM {table}") == 0


async def test_the_trash_is_purged_after_the_retention(services: OpenedServices) -> None:
    notes, owner = services.notes, services.owner
    old = await notes.create(owner, "old", "text")
    recent = await notes.create(owner, "recent", "text")
    await notes.update(owner, str(old.id), content="edited")
    for note in (old, recent):
        await notes.delete(owner, str(note.id))
    await services.pool.execute(
        "UPDATE trashed_notes SET deleted_at = now() - interval '31 days' WHERE id = $1", old.id
    )
    pruned = await prune(services.pool, trash_retention=timedelta(days=30))
    assert pruned.trashed_notes == 1
    assert [t.note.id for t in (await services.recovery.list_trash(owner)).notes] == [recent.id]
    assert await services.pool.fetchval("SELECT count(*) FROM note_versions") == 0
    with pytest.raises(NotFound):
        await services.recovery.restore(owner, str(old.id))


async def test_updates_keep_a_bounded_history_newest_first(services: OpenedServices) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Draft", "v0", ["a"])
    for i in range(1, KEPT_VERSIONS + 3):
        await notes.update(owner, str(note.id), content=f"v{i}")
    versions = await services.recovery.history(owner, str(note.id))
    assert [v.content for v in versions] == [f"v{i}" for i in range(KEPT_VERSIONS + 1, 1, -1)]
    assert len(versions) == KEPT_VERSIONS


async def test_an_update_that_changes_nothing_keeps_no_version(services: OpenedServices) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Draft", "v0", ["a"])
    await notes.update(owner, str(note.id), content="v0", tags=["a"])
    assert await services.recovery.history(owner, str(note.id)) == []
    await notes.update(owner, str(note.id), tags=["b"])  # tags are part of the note
    [version] = await services.recovery.history(owner, str(note.id))
    assert (version.content, version.tags) == ("v0", ("a",))


async def test_restoring_a_version_is_an_update_that_keeps_the_current_one(
    services: OpenedServices,
) -> None:
    notes, owner, recovery = services.notes, services.owner, services.recovery
    note = await notes.create(owner, "Plan", "first plan", ["x"])
    await notes.update(owner, str(note.id), title="Plan B", content="second plan", tags=["y"])
    [first] = await recovery.history(owner, str(note.id))
    restored = await recovery.restore_version(owner, str(note.id), first.id)
    assert (restored.title, restored.content, restored.tags) == ("Plan", "first plan", ("x",))
    assert [h.note.id for h in await notes.search(owner, "first plan")] == [note.id]
    versions = await recovery.history(owner, str(note.id))
    assert [v.content for v in versions] == ["second plan", "first plan"]


async def test_a_trashed_notes_history_comes_back_with_it(services: OpenedServices) -> None:
    notes, owner, recovery = services.notes, services.owner, services.recovery
    note = await notes.create(owner, "Plan", "first")
    await notes.update(owner, str(note.id), content="second")
    await notes.delete(owner, str(note.id))
    with pytest.raises(NotFound):
        await recovery.history(owner, str(note.id))
    await recovery.restore(owner, str(note.id))
    assert [v.content for v in await recovery.history(owner, str(note.id))] == ["first"]


async def test_no_owner_can_see_restore_or_empty_another_owners_trash(
    services: OpenedServices,
) -> None:
    notes, recovery = services.notes, services.recovery
    alice, bob = services.owner, await services.users.ensure("bob")
    note = await notes.create(alice, "Private", "text")
    await notes.update(alice, str(note.id), content="edited")
    with pytest.raises(NotFound):
        await notes.delete(bob, str(note.id))
    with pytest.raises(NotFound):
        await recovery.history(bob, str(note.id))
    [version] = await recovery.history(alice, str(note.id))
    with pytest.raises(NotFound):
        await recovery.version(bob, str(note.id), version.id)
    await notes.delete(alice, str(note.id))
    assert (await recovery.list_trash(bob)).notes == ()
    with pytest.raises(NotFound):
        await recovery.restore(bob, str(note.id))
    with pytest.raises(NotFound):
        await recovery.forget(bob, str(note.id))
    assert await recovery.empty_trash(bob) == 0
    assert len((await recovery.list_trash(alice)).notes) == 1


async def test_an_import_skips_a_note_waiting_in_the_trash(services: OpenedServices) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Imported", "same text")
    await notes.delete(owner, str(note.id))
    assert await notes.create_many(owner, [("Imported", "same text", [])]) == 0
    await services.recovery.restore(owner, str(note.id))
    assert len((await notes.list(owner)).notes) == 1


async def test_deleting_an_account_counts_and_takes_its_trash(services: OpenedServices) -> None:
    owner = await services.users.ensure("leaving")
    kept = await services.notes.create(owner, "kept", "text")
    gone = await services.notes.create(owner, "gone", "text")
    await services.notes.delete(owner, str(gone.id))
    assert await services.users.count_notes(owner) == 2
    assert await services.users.delete(owner, 2)
    for table in ("notes", "trashed_notes", "trashed_passages"):
        assert await services.pool.fetchval(f"SELECT count(*) FROM {table}") == 0, (table, kept)


async def test_a_note_restored_after_a_model_change_is_reindexed(
    services: OpenedServices,
) -> None:
    notes, owner = services.notes, services.owner
    note = await notes.create(owner, "Harbour", "the ferry leaves at dawn")
    await notes.delete(owner, str(note.id))
    await notes.mark_stale(owner)  # `reindex --all` after VAULT_EMBEDDING_MODEL changed
    await services.recovery.restore(owner, str(note.id))
    assert await notes.count_stale(owner) == 1
    assert await notes.reindex(owner) == (1, 0)


def test_the_retention_is_a_setting_in_days() -> None:
    assert make_settings("postgresql://x/y").trash_retention == timedelta(days=30)
    assert make_settings("postgresql://x/y", trash_days=7).trash_retention == timedelta(days=7)
    with pytest.raises(ValidationError, match=r"trash_days|VAULT_TRASH_DAYS"):
        make_settings("postgresql://x/y", trash_days=0)
