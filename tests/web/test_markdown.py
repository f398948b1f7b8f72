"""Note text for the page: the Markdown renderer, its sanitiser and the marked snippets."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from vault_mcp.web.markdown import marked, plain_text, render_markdown, render_note, snippet_text


def test_headings_emphasis_and_strikethrough_render() -> None:
    html = render_markdown("# Trip\n\n## Day 1\n\nA **three-day** walk, ~~not~~ *slow*.")
    assert "<h1>Trip</h1>" in html and "<h2>Day 1</h2>" in html
    assert "<strong>three-day</strong>" in html and "<s>not</s>" in html and "<em>slow</em>" in html


def test_a_table_renders_with_its_alignment_as_classes_not_styles() -> None:
    html = render_markdown("| Item | Cost |\n|:--|--:|\n| Tent | 120 |\n")
    assert "<table>" in html and '<th class="align-left">Item</th>' in html
    assert '<td class="align-right">120</td>' in html
    assert "style" not in html  # the CSP refuses inline styles


def test_task_list_items_render_as_disabled_checkboxes() -> None:
    html = render_markdown("- [ ] pack\n- [x] book\n")
    boxes = re.findall(r"<input[^>]*>", html)
    assert len(boxes) == 2 and all('disabled="disabled"' in b for b in boxes)
    assert 'type="checkbox"' in boxes[0] and "checked" not in boxes[0]
    assert 'checked="checked"' in boxes[1]
    assert "[ ]" not in html and "[x]" not in html


def test_code_blocks_are_pre_code_with_their_text_escaped() -> None:
    html = render_markdown('```python\nif a < b and "<b>":\n    pass\n```\n\nuse `x<y`')
    assert '<pre><code>if a &lt; b and "&lt;b&gt;":\n    pass\n</code></pre>' in html
    assert "<code>x&lt;y</code>" in html


def test_links_and_bare_urls_get_noopener_noreferrer() -> None:
    html = render_markdown("[docs](https://example.com/a) and https://example.org/b")
    assert html.count('rel="noopener noreferrer"') == 2
    assert '<a href="https://example.com/a" rel="noopener noreferrer">docs</a>' in html
    assert 'href="https://example.org/b"' in html


def test_an_image_becomes_a_link_to_it() -> None:
    html = render_markdown("![a map](https://example.com/map.png)")
    assert "<img" not in html
    assert '<a href="https://example.com/map.png" rel="noopener noreferrer">a map</a>' in html


class _Elements(HTMLParser):
    """Every element of a piece of HTML with its attributes, as a browser would parse it."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "![x](javascript:alert(1))",
        '[x](https://example.com "a" onmouseover="alert(1)")',
        "<iframe src=https://example.com></iframe>",
        '<svg onload="alert(1)">',
        "<style>body{display:none}</style>",
        "<details open ontoggle=alert(1)>",
        "[x]: javascript:alert(1)\n\n[x]",
        "<javascript:alert(1)>",
    ],
)
def test_hostile_markdown_renders_harmless(hostile: str) -> None:
    html = str(render_markdown(f"before\n\n{hostile}\n\nafter"))
    elements = _Elements(html).found
    assert {tag for tag, _ in elements} <= {"p", "a", "br"}, html
    for tag, attrs in elements:
        assert set(attrs) <= {"href", "rel", "title"}, html  # no event handler, no style
        if tag == "a" and "href" in attrs:
            assert str(attrs["href"]).startswith(("https://", "http://", "mailto:", "/")), html
    assert "before" in html and "after" in html


def test_raw_html_in_a_note_is_shown_as_text() -> None:
    html = render_markdown("<b>bold?</b> <script>alert(1)</script>")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html and "&lt;script&gt;" in html


def test_a_long_note_renders_its_start_as_markdown_and_the_rest_as_text() -> None:
    text = "# Start\n\n" + "a line of *text*\n" * 100 + "<script>alert(1)</script> *end*\n"
    html = str(render_note(text, limit=500))
    assert "<h1>Start</h1>" in html and "<em>text</em>" in html
    assert '<pre class="rest">' in html and "&lt;script&gt;alert(1)&lt;/script&gt; *end*" in html
    assert "<script" not in html


def test_plain_text_drops_the_markdown_syntax() -> None:
    text = "## Day 1\n\n- [ ] pack the **tent**\n- see [the map](https://x.example)\n\n`code`"
    assert plain_text(text) == "Day 1\npack the tent\nsee the map\ncode"


def test_a_snippet_with_its_lines_folded_loses_the_block_marks_too() -> None:
    folded = "## Day 1 - [ ] pack the **tent** - [x] 2. book | km | time | |--|:-:| | 12 | 4h |"
    assert snippet_text(folded) == "Day 1 pack the tent book km time 12 4h"
    assert snippet_text("3 - 2 is 1, C# and a-b") == "3 2 is 1, C# and a-b"


def test_marked_marks_the_query_words_and_escapes_the_rest() -> None:
    html = marked("Feed the <starter> twice; starters like flour", "feed the STARTER")
    assert html == (
        "<mark>Feed</mark> the &lt;<mark>starter</mark>&gt; twice; <mark>starters</mark> like flour"
    )


def test_marked_never_marks_inside_markup_it_escaped() -> None:
    html = marked('<mark onclick="x">mark</mark>', "mark onclick")
    assert html == (
        "&lt;<mark>mark</mark> <mark>onclick</mark>=&#34;x&#34;&gt;<mark>mark</mark>"
        "&lt;/<mark>mark</mark>&gt;"
    )


def test_marked_with_only_common_words_marks_nothing() -> None:
    assert marked("the cat & the hat", "the") == "the cat &amp; the hat"
