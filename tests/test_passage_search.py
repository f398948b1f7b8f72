"""Passage-level fused search with the real all-MiniLM-L6-v2 on real text (docstrings of the
installed Python): what issue 10 promised, checked as a user would see it."""

from __future__ import annotations

import pytest

from bench.corpus import Document, documents, first_sentence
from tests.test_search import add_crowd
from vault_mcp.passages import split_passages
from vault_mcp.runtime import Services

pytestmark = pytest.mark.model


def _body_without_summary(doc: Document) -> str:
    """The docstring past its opening sentence: the summary is kept back as the query."""
    summary = first_sentence(doc.text)
    rest = doc.text.replace(summary, "", 1).strip()
    return rest if len(rest) > 80 else doc.text


def _page(sections: list[Document]) -> str:
    """A long Markdown page: one `## name` section per docstring, as imported notes look."""
    return "\n\n".join(f"## {d.title}\n\n{_body_without_summary(d)}" for d in sections)


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    # Docstrings whose summary says something ("Operator interface." names, it does not ask).
    docs = [
        d
        for d in documents(6000, libraries=False)
        if len(d.text) > 300 and len(first_sentence(d.text).split()) >= 6
    ]
    assert len(docs) > 400, "too few docstrings on this machine for the long-note test"
    return docs


async def test_an_answer_in_the_last_passage_of_a_5000_word_note_is_found_first(
    model_services: Services, corpus: list[Document]
) -> None:
    notes, owner = model_services.notes, model_services.owner
    # Eight long pages of about 5,000 words each, dealt round-robin from the corpus so that no
    # page is about one module; the asked-for section is the last of its page.
    pages: list[list[Document]] = [[] for _ in range(8)]
    words = [0] * 8
    for n, doc in enumerate(corpus):
        p = n % 8
        if words[p] < 5000:
            pages[p].append(doc)
            words[p] += len(_body_without_summary(doc).split()) + 1  # + its heading
        if min(words) >= 5000:
            break
    for p, sections in enumerate(pages):
        await notes.create(owner, f"Reference page {p}", _page(sections))
    misses = []
    for p, sections in enumerate(pages):
        last = sections[-1]
        content = _page(sections)
        assert len(content.split()) >= 5000
        passages = split_passages(content)
        # The answer is past every other passage (docstrings may hold setext headings of
        # their own, so the section's heading ends the path rather than being all of it).
        assert passages[-1].heading.endswith(last.title)
        hits = await notes.search(owner, first_sentence(last.text), limit=5)
        if not hits or hits[0].note.title != f"Reference page {p}":
            misses.append((first_sentence(last.text), [h.note.title for h in hits]))
    # Real text is ambiguous now and then; the page must come first nearly always.
    assert len(misses) <= 1, misses


async def test_an_identifier_the_model_cannot_embed_is_found_first(
    model_services: Services, corpus: list[Document]
) -> None:
    notes, owner = model_services.notes, model_services.owner
    for doc in corpus[:60]:
        await notes.create(owner, doc.title, doc.text)
    outage = await notes.create(
        owner,
        "Gateway incident",
        "## Timeline\n\nThe upstream gateway started failing at noon.\n\n## Cause\n\n"
        "Every call returned ERR_4417 after the upgrade to libfoo1.2.3 on the proxies.",
    )
    for query in ("ERR_4417", "libfoo1.2.3", "ERR_4417 after upgrade"):
        hits = await notes.search(owner, query, limit=5)
        assert hits and hits[0].note.id == outage.id, (query, [h.note.title for h in hits])
        assert hits[0].heading == "Cause"


async def test_a_nonsense_query_returns_no_results(
    model_services: Services, corpus: list[Document]
) -> None:
    notes, owner = model_services.notes, model_services.owner
    for doc in corpus[:80]:
        await notes.create(owner, doc.title, doc.text)
    for query in ("xqzv blorft wuggle", "asdfghjkl", "qwpo zxnm trvbk plof"):
        assert await notes.search(owner, query, limit=10) == [], query


async def test_a_small_account_among_20000_notes_gets_the_same_top_10_as_exact_search(
    model_services: Services, corpus: list[Document]
) -> None:
    """50 real notes of one user among 20,000 of another crowding the same neighbourhood:
    the served top 10 equals brute force over that user's passages."""
    services, owner = model_services, model_services.owner
    mine_docs = corpus[100:150]
    query = first_sentence(mine_docs[7].text)  # what a user might ask about one of them
    [qv] = await services.embedder.embed([query])
    crowd = await services.users.ensure("crowd")
    await add_crowd(services, crowd, qv, 20_000)
    for d in mine_docs:
        await services.notes.create(owner, d.title, d.text)
    # Brute force over the stored passages: every one of this account's vectors compared.
    rows = await services.pool.fetch(
        "SELECT note_id, embedding FROM note_passages WHERE owner_id = $1", owner
    )
    best: dict[object, float] = {}
    for row in rows:
        score = float(row["embedding"].to_numpy() @ qv)
        best[row["note_id"]] = max(best.get(row["note_id"], -2.0), score)
    exact = sorted(best, key=lambda i: -best[i])
    hits = await services.notes.search(owner, query, limit=10, mode="vector")
    # The exact ranking, in the same order, down to where the relevance floor cuts it.
    assert len(hits) >= 3, [best[i] for i in exact[:10]]  # so the test is not vacuous
    assert [h.note.id for h in hits] == exact[: len(hits)]


async def test_an_update_re_splits_and_the_old_passages_are_gone(
    model_services: Services,
) -> None:
    notes, owner = model_services.notes, model_services.owner
    note = await notes.create(
        owner,
        "Trip planning",
        "## Flights\n\nBooked the morning flight to Lisbon.\n\n## Hotel\n\nA room near the river.",
    )
    [hit] = await notes.search(owner, "a room by the water", limit=1)
    assert hit.note.id == note.id and hit.heading == "Hotel"
    await notes.update(
        owner, str(note.id), content="## Packing\n\nSunscreen, two books and the camera charger."
    )
    rows = await model_services.pool.fetch(
        "SELECT heading, body FROM note_passages WHERE note_id = $1", note.id
    )
    assert [(r["heading"], r["body"]) for r in rows] == [
        ("Packing", "Sunscreen, two books and the camera charger.")
    ]
    assert await notes.search(owner, "Lisbon morning flight booking", limit=5) == []
    [hit] = await notes.search(owner, "what to bring on holiday", limit=1)
    assert hit.note.id == note.id and hit.heading == "Packing"
