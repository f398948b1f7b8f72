from __future__ import annotations

import uuid

import pytest

from vault_mcp.domain import (
    MAX_LIMIT,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    Limits,
    parse_note_id,
    validate_content,
    validate_limit,
    validate_query,
    validate_tags,
    validate_title,
)
from vault_mcp.errors import InvalidInput


def test_title_is_trimmed_and_must_not_be_empty() -> None:
    assert validate_title("  Groceries ") == "Groceries"
    with pytest.raises(InvalidInput, match="title is empty"):
        validate_title("   ")


def test_title_over_the_limit_names_its_length_and_the_limit() -> None:
    with pytest.raises(
        InvalidInput, match=f"title is 501 characters; the limit is {MAX_TITLE_CHARS}"
    ):
        validate_title("x" * 501)


def test_content_over_the_limit_names_both_sizes() -> None:
    with pytest.raises(InvalidInput, match=r"content is 2\.1 MB; the limit is 1\.0 MB"):
        validate_content("a" * 2_100_000, Limits(max_content_bytes=1_000_000))


def test_content_limit_counts_utf8_bytes_not_characters() -> None:
    limits = Limits(max_content_bytes=10)
    assert validate_content("é" * 5, limits)  # 10 bytes
    with pytest.raises(InvalidInput, match="content is 12 bytes"):
        validate_content("é" * 6, limits)


def test_blank_content_is_refused() -> None:
    with pytest.raises(InvalidInput, match="content is empty"):
        validate_content(" \n\t", Limits())


def test_nul_characters_are_refused_because_postgres_cannot_store_them() -> None:
    with pytest.raises(InvalidInput, match="NUL"):
        validate_content("a\x00b", Limits())
    with pytest.raises(InvalidInput, match="NUL"):
        validate_title("a\x00b")


def test_lone_surrogates_are_refused_in_every_text_field_before_anything_encodes_them() -> None:
    for check in (
        lambda: validate_content("a\ud800b", Limits()),
        lambda: validate_title("a\udfffb"),
        lambda: validate_tags(["ok", "\ud800"]),
        lambda: validate_query("fox \ud800"),
    ):
        with pytest.raises(InvalidInput, match="surrogate"):
            check()
    assert validate_content("a \U0001f98a fox", Limits())  # a whole pair is a character


def test_tags_are_trimmed_and_deduplicated_in_order() -> None:
    assert validate_tags([" work ", "home", "work", "big   idea"]) == ("work", "home", "big idea")


def test_too_many_or_empty_tags_are_refused() -> None:
    with pytest.raises(InvalidInput, match=f"{MAX_TAGS + 1} tags given; the limit is {MAX_TAGS}"):
        validate_tags([f"t{i}" for i in range(MAX_TAGS + 1)])
    with pytest.raises(InvalidInput, match="a tag is empty"):
        validate_tags(["ok", " "])
    with pytest.raises(InvalidInput, match="the limit is 64"):
        validate_tags(["x" * 65])


def test_query_must_have_text() -> None:
    assert validate_query("  fox ") == "fox"
    with pytest.raises(InvalidInput, match="query is empty"):
        validate_query("  ")


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_limit_out_of_range_is_refused(limit: int) -> None:
    with pytest.raises(
        InvalidInput, match=f"limit is {limit}; it must be between 1 and {MAX_LIMIT}"
    ):
        validate_limit(limit)


def test_note_ids_must_be_uuids() -> None:
    note_id = uuid.uuid4()
    assert parse_note_id(f" {note_id} ") == note_id
    with pytest.raises(InvalidInput, match="'42' is not a note id"):
        parse_note_id("42")
