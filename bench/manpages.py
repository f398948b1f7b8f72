"""The man pages on this machine as Markdown: name, one-line summary and `## SECTION`s.

A small reader of the `man` macros (the ones man-pages, GNU and most generated pages use):
section and subsection headings, paragraphs, tagged paragraphs (option lists) and font macros,
with roff escapes turned into the characters they stand for, so option flags (`--dry-run`),
function names and error codes survive as a reader sees them. Pages in other macro sets
(mdoc) and `.so` redirections are skipped. Deterministic: pages are read in sorted order.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAN_ROOT = Path("/usr/share/man")
SECTIONS = ("man1", "man2", "man3", "man5", "man7", "man8")

# Escapes that stand for a character; the rest of the backslash escapes print nothing.
_NAMED = {
    "aq": "'",
    "dq": '"',
    "em": "\u2014",
    "en": "\u2013",
    "hy": "-",
    "bu": "\u2022",
    "co": "\u00a9",
    "rg": "\u00ae",
    "lq": "\u201c",
    "rq": "\u201d",
    "oq": "\u2018",
    "cq": "\u2019",
    "ga": "`",
    "ti": "~",
    "ha": "^",
    "mi": "-",
    "pl": "+",
    "mu": "\u00d7",
    "<=": "\u2264",
    ">=": "\u2265",
    "->": "\u2192",
    "ba": "|",
    "rs": "\\",
    "sl": "/",
}
_ESCAPE = re.compile(
    r"\\(?:"
    r"\((?P<two>..)"  # \(xx
    r"|\[(?P<long>[^\]]*)\]"  # \[name]
    r"|\*(?:\(..|\[[^\]]*\]|.)"  # \*x strings
    r"|f(?:\(..|\[[^\]]*\]|.)"  # font changes
    r"|s[+-]?(?:\d+|\(\d\d|\[\d+\])"  # size changes
    r"|[kmnY](?:\(..|\[[^\]]*\]|.)"  # registers, colours
    r"|[hvwlLoDxbNXZ]'[^']*'"  # motions and the like with a quoted argument
    r"|(?P<char>.)"
    r")"
)
_SIMPLE = {"-": "-", "e": "\\", "\\": "\\", " ": " ", "~": " ", "0": " ", "'": "'", "`": "`"}
_SPACES = re.compile(r"[ \t]+")
_BREAKS = (".PP", ".P", ".LP", ".sp", ".br", ".HP", ".RS", ".RE", ".in", ".ne", ".nf", ".fi")
_FONTS = {".B", ".I", ".SM", ".SB", ".BR", ".RB", ".IR", ".RI", ".BI", ".IB", ".CW", ".CR"}


@dataclass(frozen=True)
class ManPage:
    name: str  # "ls(1)"
    summary: str  # the NAME line's description: "list directory contents"
    sections: tuple[tuple[str, str], ...]  # (heading, Markdown body), NAME excluded

    def markdown(self) -> str:
        return "\n\n".join(f"## {heading}\n\n{body}" for heading, body in self.sections)


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group("two") is not None:
            return _NAMED.get(match.group("two"), "")
        if match.group("long") is not None:
            return _NAMED.get(match.group("long"), "")
        char = match.group("char")
        if char is not None:
            return _SIMPLE.get(char, "")
        return ""

    return _ESCAPE.sub(one, text)


def _arguments(line: str) -> list[str]:
    """A macro line's arguments, with roff's double quotes."""
    args, current, quoted, i = [], "", False, 0
    while i < len(line):
        c = line[i]
        if c == '"':
            if quoted and line[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            else:
                quoted = not quoted
        elif c in " \t" and not quoted:
            if current:
                args.append(current)
            current = ""
        else:
            current += c
        i += 1
    if current:
        args.append(current)
    return args


def _font_text(macro: str, args: list[str]) -> str:
    # .B/.I join their arguments with spaces; the alternating ones (.BR, .IR…) without.
    joiner = " " if macro in {".B", ".I", ".SM", ".SB", ".CW"} else ""
    return joiner.join(args)


def parse(source: str, name: str) -> ManPage | None:
    """One page's roff source → a ManPage, or None for pages this reader does not handle."""
    lines = source.replace("\\\n", "").splitlines()
    if any(line.startswith((".so ", ".Dd", ".Sh ")) for line in lines[:200]):
        return None
    sections: list[tuple[str, list[str]]] = []
    paragraph: list[str] = []
    term_pending = False

    def close() -> None:
        if paragraph and sections:
            text = _SPACES.sub(" ", " ".join(paragraph)).strip()
            if text:
                sections[-1][1].append(text)
        paragraph.clear()

    for raw in lines:
        if raw.startswith(('.\\"', "'\\\"", '\\"')) or raw in {".", "'"}:
            continue
        if raw.startswith((".", "'")):
            macro, _, rest = raw.partition(" ")
            macro = "." + macro[1:]
            args = _arguments(rest)
            if macro in {".SH", ".SS"}:
                close()
                heading = _unescape(" ".join(args)).strip()
                if macro == ".SH":
                    sections.append((heading.upper(), []))
                elif sections:
                    sections[-1][1].append(f"### {heading}")
                term_pending = False
            elif macro in {".TP", ".TQ"}:
                close()
                term_pending = True
            elif macro == ".IP":
                close()
                if args and args[0] not in {"\\(bu", "\\[bu]", "-", "*", "\\-"}:
                    paragraph.append(f"**{_unescape(args[0])}**")
                    close()
            elif macro in _FONTS:
                text = _unescape(_font_text(macro, args))
                if term_pending:
                    paragraph.append(f"**{text}**")
                    close()
                    term_pending = False
                else:
                    paragraph.append(text)
            elif macro in {".UR", ".MT", ".UE", ".ME"}:
                if macro in {".UE", ".ME"} and args:
                    paragraph.append(_unescape(" ".join(args)))
            elif macro in _BREAKS or macro.startswith(".P"):
                close()
            # every other request or macro prints nothing a reader needs
            continue
        text = _unescape(raw).strip()
        if term_pending:
            paragraph.append(f"**{text}**")
            close()
            term_pending = False
        elif text:
            paragraph.append(text)
        else:
            close()
    close()
    named = [body for heading, body in sections if heading == "NAME"]
    if not named or not named[0]:
        return None
    summary_line = " ".join(named[0])
    parts = re.split(r"\s+[-\u2013\u2014]+\s+", summary_line, maxsplit=1)
    if len(parts) != 2:
        return None
    return ManPage(
        name=name,
        summary=parts[1].strip(),
        sections=tuple(
            (heading, "\n\n".join(body)) for heading, body in sections if heading != "NAME" and body
        ),
    )


def page_name(path: Path) -> str:
    """`ls.1.gz` → `ls(1)`."""
    stem = path.name.removesuffix(".gz")
    base, _, section = stem.rpartition(".")
    return f"{base}({section})"


def pages(*, gcloud: bool = True) -> Iterator[ManPage]:
    """Every readable page under /usr/share/man (English sections), sorted by path."""
    for section in SECTIONS:
        for path in sorted((MAN_ROOT / section).glob("*.gz")):
            if path.is_symlink() or (not gcloud and path.name.startswith("gcloud")):
                continue
            try:
                with gzip.open(path, "rt", errors="replace") as f:
                    source = f.read()
            except (OSError, EOFError):
                continue
            page = parse(source, page_name(path))
            if page is not None:
                yield page
