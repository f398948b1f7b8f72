"""`vault-mcp export PATH`: every note of an account, as Markdown files or one JSON document."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread

from vault_mcp.domain import Note
from vault_mcp.errors import InvalidInput
from vault_mcp.importer import Progress
from vault_mcp.runtime import Services, open_services
from vault_mcp.settings import Settings
from vault_mcp.transfer.archive import PAGE
from vault_mcp.transfer.formats import JSON_TAIL, FileNames, json_entry, json_head, note_markdown

Format = Literal["markdown", "json"]


@dataclass
class ExportReport:
    account: str
    written: int = 0


def check_target(target: Path, fmt: Format, force: bool) -> None:
    """Refuse to write over what is there, unless told to."""
    if not target.exists():
        return
    if fmt == "json":
        if target.is_dir():
            raise InvalidInput(f"{target} is a folder; the json export writes one file")
        if not force:
            raise InvalidInput(
                f"{target} exists; choose a new file name, or pass --force to replace it"
            )
        return
    if not target.is_dir():
        raise InvalidInput(f"{target} is a file; the markdown export writes a folder")
    if not force and any(target.iterdir()):
        raise InvalidInput(
            f"{target} is not empty; choose an empty or new folder, or pass --force to write "
            "into it (files with the same names are replaced)"
        )


async def _account(services: Services, settings: Settings, username: str | None) -> tuple[int, str]:
    """The named account; else VAULT_USER's if it exists (a local vault's), else the only
    account that can sign in."""
    if username is None:
        local = [u for u in await services.auth.users() if u.username == settings.user]
        if local:
            return local[0].id, local[0].username
    user = await services.auth.account(username)
    return user.id, user.username


async def _counted(notes: AsyncIterator[Note], bar: Progress, every: int) -> AsyncIterator[Note]:
    done = 0
    async for note in notes:
        yield note
        done += 1
        if done % every == 0:
            bar.update(done)
    bar.update(done)


async def _write_markdown(notes: AsyncIterator[Note], target: Path) -> int:
    await anyio.Path(target).mkdir(parents=True, exist_ok=True)
    names, written = FileNames(), 0
    async for note in notes:
        path = target / names(note.title)
        # Bytes: no newline translation, the file holds the content exactly.
        await anyio.Path(path).write_bytes(note_markdown(note).encode("utf-8"))
        stamp = note.updated_at.timestamp()
        await anyio.to_thread.run_sync(os.utime, path, (stamp, stamp))
        written += 1
    return written


async def _write_json(notes: AsyncIterator[Note], target: Path) -> int:
    # Written beside, then renamed: an export cut short never looks like a whole one.
    partial = target.with_name(target.name + ".partial")
    written = 0
    async with await anyio.open_file(partial, "w", encoding="utf-8", newline="") as out:
        await out.write(json_head(datetime.now(UTC)))
        async for note in notes:
            await out.write(json_entry(note, first=not written))
            written += 1
        await out.write(JSON_TAIL)
    await anyio.Path(partial).replace(target)
    return written


async def export_notes(
    settings: Settings,
    target: Path,
    fmt: Format,
    username: str | None,
    *,
    force: bool = False,
    progress: Callable[[int], Progress] = Progress,
) -> ExportReport:
    check_target(target, fmt, force)
    # Export never embeds: no model is loaded for it.
    quiet = settings.model_copy(update={"embedder": "hashing"})
    async with open_services(quiet, act_as_default_user=False) as s:
        owner, name = await _account(s, settings, username)
        total = await s.archive.count(owner)
        notes = _counted(s.archive.notes(owner), progress(total), PAGE)
        write = _write_json if fmt == "json" else _write_markdown
        return ExportReport(name, await write(notes, target))
