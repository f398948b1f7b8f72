"""Note text for the page: Markdown as sanitised HTML, and as plain text with words marked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape
from mdit_py_plugins.tasklists import tasklists_plugin

# html=False is the first guard: raw HTML in a note is text, never markup. linkify turns bare
# URLs into links; breaks keeps the line breaks people type in a text box.
_MD = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    .enable(["table", "strikethrough", "linkify"])
    .use(tasklists_plugin)  # its checkboxes are disabled: a page cannot tick them
)

# The second guard: only what the renderer above emits survives, whatever it is given.
_TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"),
    *("ul", "ol", "li", "input", "pre", "code", "em", "strong", "s", "a"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "input": {"type", "checked", "disabled"},
}
_CLASSES = {
    "ul": {"contains-task-list"},
    "ol": {"contains-task-list"},
    "li": {"task-list-item"},
    "input": {"task-list-item-checkbox"},
    "th": {"align-left", "align-center", "align-right"},
    "td": {"align-left", "align-center", "align-right"},
}
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    allowed_classes=_CLASSES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
    set_tag_attribute_values={"input": {"type": "checkbox", "disabled": "disabled"}},
)
_ALIGN = re.compile(r"text-align:(left|center|right)")


def _image_as_link(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image becomes a link to it: the CSP loads no image from elsewhere, and a broken
    picture helps nobody."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env) or src
    if not _MD.validateLink(src):
        return str(escape(alt))
    return f'<a href="{escape(_MD.normalizeLink(src))}">{escape(alt)}</a>'


_MD.add_render_rule("image", _image_as_link)


# Parsing costs ~5 s a megabyte here: past this many characters a note's rest is shown as
# plain text, so that no page takes more than about half a second of a worker thread.
MARKDOWN_CHARS = 100_000


def render_note(text: str, limit: int = MARKDOWN_CHARS) -> Markup:
    """A note's text as safe HTML: Markdown up to `limit` characters (cut at a line), then
    the rest as preformatted text. Slow for a long note: call it in a worker thread."""
    if len(text) <= limit:
        return render_markdown(text)
    cut = text.rfind("\n", 0, limit) + 1 or limit
    rest = Markup(
        '<p class="rest-note">The rest of this note is long, so it is shown as plain text.</p>'
        '<pre class="rest">%s</pre>'
    )
    return render_markdown(text[:cut]) + rest % text[cut:]


def render_markdown(text: str) -> Markup:
    """Markdown as HTML that is safe to put in a page as it is."""
    tokens = _MD.parse(text)
    for token in tokens:
        # Column alignment comes as a style attribute, which the CSP refuses: a class instead.
        style = token.attrGet("style")
        if style is not None:
            token.attrs.pop("style")
            if match := _ALIGN.fullmatch(str(style)):
                token.attrSet("class", f"align-{match.group(1)}")
    html = _MD.renderer.render(tokens, _MD.options, {})
    return Markup(_CLEANER.clean(html))  # nh3 has just sanitised it


def plain_text(text: str) -> str:
    """The words of a piece of Markdown without its syntax: blocks one a line."""
    lines: list[str] = []
    for token in _MD.parse(text):
        if token.type == "inline":
            lines.append(_inline_text(token.children or []).strip())
        elif token.type in ("fence", "code_block"):
            lines.append(token.content.rstrip("\n"))
    return "\n".join(line for line in lines if line.strip())


# Search snippets come with their line breaks folded into spaces, so Markdown's block marks
# (a list's "-", a heading's "##", a table's "|") are left standing alone between words.
_BLOCK_MARKS = re.compile(
    r"(?<!\S)(?:#{1,6}|[-*+>]|\d{1,3}[.)]|\[[ xX]\]|[|:-]*(?:\|:?-|-:?\|)[|:-]*|-{3,}|\|)(?!\S)"
)
_SPACES = re.compile(r"\s+")


def snippet_text(text: str) -> str:
    """A search snippet's words, on one line, without the Markdown around them."""
    return _SPACES.sub(" ", _BLOCK_MARKS.sub(" ", plain_text(text))).strip()


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


_WORD = re.compile(r"\w+")
# Words too common to be worth marking in a snippet.
_STOPWORDS = frozenset(
    _WORD.findall(
        "a an and are as at be but by do does for from how i in is it my of on or our so that "
        "the their there this to was we what when where which who why will with you your"
    )
)


def marked(text: str, query: str) -> Markup:
    """`text` escaped, with the words that begin like one of the query's words in <mark>."""
    terms = sorted(
        {w for w in _WORD.findall(query.lower()) if len(w) > 1 and w not in _STOPWORDS},
        key=len,
        reverse=True,
    )
    if not terms:
        return Markup(escape(text))
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\w*", re.IGNORECASE)
    pieces: list[Any] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)
