"""Front matter and export file names from hostile or mistyped input: imported whole, named
safely, never a crash or a blow-up."""

from __future__ import annotations

import time

from vault_mcp.transfer.formats import FileNames, markdown_record, split_front_matter

# 9 levels of 9 aliases each: 9**9 (387 million) list items from a few hundred bytes.
BOMB = "\n".join(
    ["---", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    + [
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    + ["id: *i", "---", "body"]
)


def test_front_matter_with_aliases_is_not_expanded_and_stays_text() -> None:
    started = time.perf_counter()
    meta, body = split_front_matter(BOMB)
    assert meta is None and body == BOMB
    assert time.perf_counter() - started < 1


def test_front_matter_values_yaml_cannot_build_leave_the_file_whole() -> None:
    for value in ("9" * 5000, "2020-02-30", "2020-01-01 25:00:00", "0000-01-01"):
        text = f"---\ntitle: Boiler\ncreated: {value}\n---\nServiced in March."
        record = markdown_record(text, lambda body: "from the body")
        assert record.content == text  # nothing lost: the block is part of the note


def test_export_file_names_fit_every_file_system_and_show_what_they_are() -> None:
    names = FileNames()
    long = names("😀" * 100)
    assert len(long.encode()) <= 255 and long.endswith(".md")
    assert names("😀" * 100) != long  # still unique
    tricky = names("invoice\u202egpj.exe")
    assert "\u202e" not in tricky and tricky == "invoicegpj.exe.md"
