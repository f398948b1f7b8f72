"""`vault-mcp reindex [--user NAME]`: re-split and re-embed notes whose passages are stale.

Stale means made otherwise than this version makes them: the single vector an upgraded vault
carried over (migration 0006), an older splitter, or (with --all) a different model. Each
batch commits on its own, so an interrupted reindex resumes where it stopped; searches keep
answering throughout, from whichever passages each note has at the moment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from vault_mcp.domain import Note
from vault_mcp.importer import BATCH, Progress
from vault_mcp.pipelined import pipelined
from vault_mcp.runtime import open_services
from vault_mcp.service import Indexed, NoteService, OwnerId
from vault_mcp.settings import Settings


@dataclass
class ReindexReport:
    accounts: int = 0
    reindexed: int = 0
    left: int = 0  # notes that kept changing under the reindex; a later run takes them


async def reindex_notes(
    settings: Settings,
    username: str | None,
    *,
    everything: bool = False,
    progress: Callable[[int], Progress] = Progress,
) -> ReindexReport:
    report = ReindexReport()
    async with open_services(settings, act_as_default_user=False) as services:
        if username is not None:
            owners = [(await services.auth.account(username)).id]
        else:
            owners = [u.id for u in await services.auth.users()]
        for owner in owners:
            if everything:
                await services.notes.mark_stale(owner)
            total = await services.notes.count_stale(owner)
            if total == 0:
                continue
            report.accounts += 1
            bar, done, left = progress(total), 0, total
            while left:
                reindexed = await _one_pass(services.notes, owner, bar, done, total)
                done += reindexed
                still = await services.notes.count_stale(owner)
                if reindexed == 0 and still >= left:
                    break  # nothing moved: the rest keeps changing under us
                left = still
            report.reindexed += done
            report.left += left
    return report


async def _one_pass(
    notes: NoteService, owner: OwnerId, bar: Progress, before: int, bar_total: int
) -> int:
    """Reindex every stale note once, oldest first; how many took their new passages (one
    that changed meanwhile is left for the next pass)."""
    done = 0

    async def pages() -> AsyncIterator[Sequence[Note]]:
        after: Note | None = None
        while page := await notes.stale(owner, after, BATCH):
            yield page
            after = page[-1]

    async def write(page: Sequence[Note], indexed: Sequence[Indexed]) -> None:
        nonlocal done
        done += await notes.write_reindexed(owner, page, indexed)
        bar.update(min(before + done, bar_total))

    # The next page is embedded while this one is written.
    await pipelined(pages(), notes.index_notes, write)
    return done
