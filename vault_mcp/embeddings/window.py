"""Texts cut to the model's window before they are tokenized."""

from __future__ import annotations

# A word piece is at least one character, and prose runs about four a piece: no text the
# model would read in full is cut at 16 characters per piece of its window (4,096 for
# all-MiniLM-L6-v2's 256), while a megabyte of text costs the tokenizer what 4 KB does
# instead of over a second of the one embedding worker every request shares.
CHARS_PER_TOKEN = 16


def within_window(texts: list[str], max_tokens: int) -> list[str]:
    """`texts` with each cut where the model's window cannot reach past, whatever it holds."""
    limit = max_tokens * CHARS_PER_TOKEN
    return [t if len(t) <= limit else t[:limit] for t in texts]
