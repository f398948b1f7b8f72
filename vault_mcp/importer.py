"""`vault-mcp import PATH`: bring Markdown/text files or a JSON export into the vault."""

from __future__ import annotations

import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import anyio.to_thread

from vault_mcp.domain import Limits, validate_content, validate_tags, validate_title
from vault_mcp.errors import InvalidInput, NotFound
from vault_mcp.pipelined import pipelined
from vault_mcp.runtime import open_services
from vault_mcp.settings import Settings
from vault_mcp.transfer.archive import Prepared
from vault_mcp.transfer.formats import markdown_record
from vault_mcp.transfer.readers import json_records
from vault_mcp.transfer.records import NoteRecord

SUFFIXES = {".md", ".markdown", ".txt"}
BATCH = 64
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


@dataclass
class ImportReport:
    found: int = 0
    written: int = 0
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)
    # Ids the vault has with another text: refused, never overwritten.
    conflicts: list[uuid.UUID] = field(default_factory=list)
    unit: str = "file(s)"  # what `found` counted: files, or the notes of one JSON document


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


def _read(path: Path, root: Path) -> tuple[str, NoteRecord | str]:
    """Where, and the note in a Markdown or text file or the reason the file is skipped."""
    shown = str(path.relative_to(root) if path != root else path.name)
    try:
        # Bytes, not read_text: its newline translation would change a note's \r\n.
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return shown, "not UTF-8 text"
    except OSError as exc:
        return shown, str(exc.strerror)
    try:
        return shown, markdown_record(text, lambda body: title_of(path, body))
    except InvalidInput as exc:
        return shown, exc.message


def _checked(record: NoteRecord, tags: tuple[str, ...], limits: Limits) -> NoteRecord:
    """The record as it will be stored, with the import's own tags added."""
    return replace(
        record,
        title=validate_title(record.title),
        content=validate_content(record.content, limits),
        tags=validate_tags((*record.tags, *tags)),
    )


class Progress:
    """A one-line progress bar on stderr (a terminal), or a line now and then (a log)."""

    def __init__(self, total: int, out: TextIO | None = None) -> None:
        # sys.stderr when called, not when defined: it may have been replaced since.
        out = out or sys.stderr
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
    root: Path, tags: tuple[str, ...], limits: Limits
) -> tuple[list[NoteRecord], ImportReport]:
    """Read every file (blocking I/O): the notes to write, and what was skipped and why.

    A `.json` file is an export (ours or mcp-memory-service's); anything else is a folder
    or a file of Markdown/text, front matter read where there is one.
    """
    if not root.exists():
        raise NotFound(f"{root} does not exist")
    report = ImportReport()
    notes: list[NoteRecord] = []
    reads: Iterator[tuple[str, NoteRecord | str]]
    if root.is_file() and root.suffix.lower() == ".json":
        report.unit = f"note(s) in {root.name}"
        reads = json_records(root.read_bytes(), root.name)
    else:
        reads = (_read(path, root) for path in note_files(root))
    for where, read in reads:
        report.found += 1
        try:
            if isinstance(read, str):
                raise InvalidInput(read)
            notes.append(_checked(read, tags, limits))
        except InvalidInput as exc:
            report.skipped.append(f"{where}: {exc.message}")
    return notes, report


async def import_notes(
    settings: Settings,
    root: Path,
    username: str | None,
    tags: list[str],
    progress: Callable[[int], Progress] = Progress,
) -> ImportReport:
    limits = Limits(max_content_bytes=settings.max_content_bytes)
    notes, report = await anyio.to_thread.run_sync(collect, root, validate_tags(tags), limits)
    if not notes:
        return report
    # A named account must exist (a typo must not make a new, password-less one); without a
    # name the notes go to VAULT_USER, the account a local stdio server acts as.
    async with open_services(settings, act_as_default_user=not username) as services:
        owner = (await services.auth.account(username)).id if username else services.owner
        assert owner is not None
        bar = progress(len(notes))

        async def batches() -> AsyncIterator[list[NoteRecord]]:
            for start in range(0, len(notes), BATCH):
                yield notes[start : start + BATCH]

        seen = 0

        async def write(batch: list[NoteRecord], prepared: Prepared) -> None:
            nonlocal seen
            done = await services.archive.write(owner, prepared)
            report.written += done.written
            report.duplicates += done.duplicates
            report.conflicts += done.conflicts
            seen += len(batch)
            bar.update(seen)

        # The next batch is embedded while this one is written.
        await pipelined(batches(), services.archive.prepare, write)
    return report
