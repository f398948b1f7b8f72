"""`vault-mcp import PATH`: bring a folder of Markdown and text files into the vault."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import anyio.to_thread

from vault_mcp.domain import Limits, validate_content, validate_tags, validate_title
from vault_mcp.errors import InvalidInput, NotFound
from vault_mcp.runtime import open_services
from vault_mcp.settings import Settings

SUFFIXES = {".md", ".markdown", ".txt"}
BATCH = 64
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


@dataclass
class ImportReport:
    found: int = 0
    written: int = 0
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)


def note_files(root: Path) -> Iterator[Path]:
    """Markdown and text files under `root` (or `root` itself), in a stable order."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if path.is_file() and path.suffix.lower() in SUFFIXES and not hidden:
            yield path


def title_of(path: Path, text: str) -> str:
    """The first Markdown heading within the first lines, else the file name."""
    for line in text.splitlines()[:20]:
        match = _HEADING.match(line)
        if match:
            return match.group(1).strip()[:500]
    return path.stem.replace("_", " ").replace("-", " ").strip()[:500] or path.name


def _read(path: Path, root: Path, limits: Limits) -> tuple[str, str] | str:
    """(title, content), or the reason the file is skipped."""
    shown = path.relative_to(root) if path != root else path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return f"{shown}: not UTF-8 text"
    except OSError as exc:
        return f"{shown}: {exc.strerror}"
    try:
        return validate_title(title_of(path, text)), validate_content(text, limits)
    except InvalidInput as exc:
        return f"{shown}: {exc.message}"


class Progress:
    """A one-line progress bar on stderr (a terminal), or a line now and then (a log)."""

    def __init__(self, total: int, out: TextIO = sys.stderr) -> None:
        self._total, self._out, self._started = total, out, time.perf_counter()
        self._tty = out.isatty()

    def update(self, done: int) -> None:
        rate = done / max(time.perf_counter() - self._started, 1e-9)
        width = 30
        filled = int(width * done / max(self._total, 1))
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self._total} notes, {rate:.1f}/s"
        if self._tty:
            self._out.write("\r" + line + ("\n" if done >= self._total else ""))
        else:
            self._out.write(line + "\n")
        self._out.flush()


def collect(
    root: Path, tags: list[str], limits: Limits
) -> tuple[list[tuple[str, str, list[str]]], ImportReport]:
    """Read every file (blocking I/O): the notes to write, and what was skipped and why."""
    if not root.exists():
        raise NotFound(f"{root} does not exist")
    report = ImportReport()
    notes: list[tuple[str, str, list[str]]] = []
    for path in note_files(root):
        report.found += 1
        read = _read(path, root, limits)
        if isinstance(read, str):
            report.skipped.append(read)
        else:
            notes.append((read[0], read[1], tags))
    return notes, report


async def import_notes(
    settings: Settings,
    root: Path,
    username: str | None,
    tags: list[str],
    progress: Callable[[int], Progress] = Progress,
) -> ImportReport:
    limits = Limits(max_content_bytes=settings.max_content_bytes)
    notes, report = await anyio.to_thread.run_sync(collect, root, list(validate_tags(tags)), limits)
    if not notes:
        return report
    # A named account must exist (a typo must not make a new, password-less one); without a
    # name the notes go to VAULT_USER, the account a local stdio server acts as.
    async with open_services(settings, act_as_default_user=not username) as services:
        owner = (await services.auth.account(username)).id if username else services.owner
        assert owner is not None
        bar = progress(len(notes))
        for start in range(0, len(notes), BATCH):
            batch = notes[start : start + BATCH]
            written = await services.notes.create_many(owner, batch)
            report.written += written
            report.duplicates += len(batch) - written
            bar.update(start + len(batch))
    return report
