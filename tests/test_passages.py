"""The passage splitter: structure first (headings, blocks), then size, with a short overlap."""

from __future__ import annotations

import itertools
import random

from vault_mcp.passages import (
    MAX_PASSAGE_CHARS,
    embedded_count,
    embedded_text,
    snippet_of,
    split_passages,
)


def _words(n: int, seed: int) -> str:
    rng = random.Random(seed)
    sentences = []
    for _ in range(n // 12):
        words = [
            rng.choice(["alpha", "beta", "gamma", "delta", "omega", "kappa"]) for _ in range(12)
        ]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def test_each_heading_starts_a_passage_with_its_heading_path() -> None:
    content = "Intro.\n\n# Install\n\nRun it.\n\n## Linux\n\napt-get install x\n\n# Use\n\nCall it."
    passages = split_passages(content)
    assert [(p.heading, p.body) for p in passages] == [
        ("", "Intro."),
        ("Install", "Run it."),
        ("Install > Linux", "apt-get install x"),
        ("Use", "Call it."),
    ]
    assert [p.ordinal for p in passages] == [0, 1, 2, 3]


def test_setext_headings_count_as_headings() -> None:
    passages = split_passages("Title\n=====\n\nbody one\n\nSub\n---\n\nbody two")
    assert [(p.heading, p.body) for p in passages] == [
        ("Title", "body one"),
        ("Title > Sub", "body two"),
    ]


def test_a_fenced_code_block_stays_whole_and_its_hash_lines_are_not_headings() -> None:
    code = "```sh\n# not a heading\necho hi\n\necho after a blank line\n```"
    passages = split_passages(f"# Run\n\n{code}\n\nAfter.")
    assert [p.heading for p in passages] == ["Run"]
    assert code in passages[0].body
    assert "After." in passages[0].body


def test_small_blocks_of_a_section_are_packed_and_big_sections_cut_below_the_limit() -> None:
    content = "# Big\n\n" + "\n\n".join(_words(60, i) for i in range(20))
    passages = split_passages(content)
    assert len(passages) > 1
    assert all(len(p.body) <= MAX_PASSAGE_CHARS for p in passages)
    assert all(p.heading == "Big" for p in passages)


def test_a_block_longer_than_the_limit_is_cut_at_sentences_with_an_overlap() -> None:
    text = _words(1200, 3)
    passages = split_passages(text)
    assert len(passages) > 3
    assert all(len(p.body) <= MAX_PASSAGE_CHARS for p in passages)
    # Consecutive pieces share text across the cut.
    for first, second in itertools.pairwise(passages):
        assert second.body.split(" ")[0] in first.body[-200:]
    # Every word of the note is in some passage, in order.
    joined = " ".join(p.body for p in passages)
    for sentence in text.split(". ")[:: max(1, len(text) // 4000)]:
        assert sentence.split(" ")[0] in joined


def test_every_line_of_text_lands_in_a_passage() -> None:
    lines = [f"line {i} of the note" for i in range(400)]
    content = "\n\n".join(
        (f"## part {i}\n\n" if i % 50 == 0 else "") + line for i, line in enumerate(lines)
    )
    bodies = "\n".join(p.body for p in split_passages(content))
    assert all(line in bodies for line in lines)


def test_a_note_of_only_headings_still_has_one_passage() -> None:
    [passage] = split_passages("# Heading only")
    assert passage.body == "# Heading only"


def test_the_title_and_heading_travel_with_the_embedded_text() -> None:
    [intro, section] = split_passages("Intro.\n\n# Install\n\nRun it.")
    assert embedded_text("nginx", intro) == "nginx\n\nIntro."
    assert embedded_text("nginx", section) == "nginx\nInstall\n\nRun it."


def test_embedding_stops_at_the_size_limit_but_keeps_at_least_one_passage() -> None:
    passages = split_passages(_words(30000, 5))
    total = sum(len(p.body) for p in passages)
    assert embedded_count(passages, total) == len(passages)
    assert embedded_count(passages, total // 2) < len(passages)
    assert embedded_count(passages, 1) == 1


def test_a_snippet_shows_the_part_of_the_passage_with_the_query_word() -> None:
    body = "start " * 80 + "the ERR_4417 code appears here " + "end " * 80
    snippet = snippet_of(body, "what is ERR_4417")
    assert "ERR_4417" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 290
    assert snippet_of("short   text\n\nhere", "x") == "short text here"
