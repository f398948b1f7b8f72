"""`vault-mcp reindex` and `import`: batched, resumable after a kill, never half-indexed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from bench.corpus import documents
from tests.conftest import MODEL_CACHE, make_settings
from tests.e2e.conftest import VAULT_MCP, run_cli, server_env
from vault_mcp.passages import INDEX_VERSION, embedded_text, split_passages
from vault_mcp.reindex import reindex_notes
from vault_mcp.runtime import open_services


async def _make_legacy(database_url: str) -> None:
    """Turn every note back into what migration 0006 leaves: one passage, not indexed."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM note_passages WHERE ordinal > 0")
        await conn.execute("UPDATE notes SET indexed_with = NULL")
    finally:
        await conn.close()


async def _check_fully_indexed(database_url: str, embed: object) -> int:
    """Every note's passages are the split of its text, each with its own vector; the count."""
    conn = await asyncpg.connect(database_url)
    try:
        from pgvector.asyncpg import register_vector

        await register_vector(conn)
        notes = await conn.fetch("SELECT id, title, content, indexed_with FROM notes")
        for note in notes:
            assert note["indexed_with"] == INDEX_VERSION
            rows = await conn.fetch(
                "SELECT heading, body, embedding FROM note_passages WHERE note_id = $1"
                " ORDER BY ordinal",
                note["id"],
            )
            expected = split_passages(note["content"])
            assert [(r["heading"], r["body"]) for r in rows] == [
                (p.heading, p.body) for p in expected
            ]
            texts = [embedded_text(note["title"], p) for p in expected]
            fresh = await embed(texts)  # type: ignore[operator]
            for row, vector in zip(rows, fresh, strict=True):
                assert np.allclose(row["embedding"].to_numpy(), vector, atol=1e-4)
        return len(notes)
    finally:
        await conn.close()


async def test_reindex_splits_carried_over_notes_and_search_keeps_working(
    database_url: str, hashing_embedder: object
) -> None:
    settings = make_settings(database_url)
    async with open_services(settings, hashing_embedder) as services:  # type: ignore[arg-type]
        long = "\n\n".join(f"## Part {i}\n\nsection {i} words here" for i in range(6))
        note = await services.notes.create(services.owner, "Long", long + "\n\nfinal zebra part")
    await _make_legacy(database_url)
    async with open_services(settings, hashing_embedder) as services:  # type: ignore[arg-type]
        # Before: the carried-over passage still answers (its words and vector).
        assert [h.note.id for h in await services.notes.search(services.owner, "section")] == [
            note.id
        ]
        assert await services.notes.count_stale(services.owner) == 1
    report = await reindex_notes(
        settings.model_copy(update={"embedder": "hashing"}), None, progress=_quiet
    )
    assert (report.accounts, report.reindexed, report.left) == (1, 1, 0)
    assert await _check_fully_indexed(database_url, hashing_embedder.embed) == 1  # type: ignore[attr-defined]
    async with open_services(settings, hashing_embedder) as services:  # type: ignore[arg-type]
        [hit] = await services.notes.search(services.owner, "final zebra part")
        assert hit.note.id == note.id and "zebra" in hit.snippet


async def test_reindex_of_an_unknown_account_is_refused(database_url: str) -> None:
    from vault_mcp.errors import NotFound

    settings = make_settings(database_url)
    with pytest.raises(NotFound, match="no user 'nobody'"):
        await reindex_notes(settings, "nobody", progress=_quiet)


class _Quiet:
    def update(self, done: int) -> None:
        pass


def _quiet(total: int) -> _Quiet:
    return _Quiet()


async def _count(database_url: str, sql: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def _kill_when(
    process: subprocess.Popen[bytes], database_url: str, sql: str, at_least: int
) -> None:
    """SIGKILL the process once `sql` counts `at_least` (it committed some batches)."""
    for _ in range(1200):  # 120 s at most
        if process.poll() is not None:
            pytest.fail(f"the process ended (exit {process.returncode}) before it was killed")
        if await _count(database_url, sql) >= at_least:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
            return
        await asyncio.sleep(0.1)
    process.kill()
    pytest.fail("the process never committed a batch")


@pytest.mark.model
@pytest.mark.slow
async def test_import_and_reindex_resume_after_being_killed(
    tmp_path: Path, database_url: str, real_embedder: object
) -> None:
    """With the real model: kill -9 mid-way, run again, and every note is there once, fully
    indexed; nothing is ever half-written."""
    folder = tmp_path / "notes"
    folder.mkdir()
    docs = documents(400, libraries=False)[:400]
    for i, doc in enumerate(docs):
        (folder / f"{i:04}.md").write_text(f"# {doc.title}\n\n{doc.text}\n")
    env = server_env(tmp_path, database_url, embedder="onnx")
    assert env["VAULT_MODEL_CACHE"] == str(MODEL_CACHE)
    conn = await asyncpg.connect(database_url)
    try:  # `import --user` needs the account to exist
        await conn.execute("INSERT INTO users (username) VALUES ('ann')")
    finally:
        await conn.close()

    importing = subprocess.Popen(  # noqa: ASYNC220 - killed below; the test polls the database
        [VAULT_MCP, "import", str(folder), "--user", "ann"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await _kill_when(importing, database_url, "SELECT count(*) FROM notes", 64)
    written = await _count(database_url, "SELECT count(*) FROM notes")
    assert 64 <= written < len(docs)
    # Every note written so far is whole: passages committed with it.
    assert (
        await _count(
            database_url,
            "SELECT count(*) FROM notes n WHERE NOT EXISTS"
            " (SELECT 1 FROM note_passages p WHERE p.note_id = n.id)",
        )
        == 0
    )
    again = await run_cli(["import", str(folder), "--user", "ann"], env)
    assert again.returncode == 0, again.stderr
    assert f"{written} already in the vault" in again.stdout
    assert await _check_fully_indexed(database_url, real_embedder.embed) == len(docs)  # type: ignore[attr-defined]

    await _make_legacy(database_url)
    reindexing = subprocess.Popen(  # noqa: ASYNC220 - as above
        [VAULT_MCP, "reindex"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    done_sql = f"SELECT count(*) FROM notes WHERE indexed_with = '{INDEX_VERSION}'"
    await _kill_when(reindexing, database_url, done_sql, 64)
    assert await _count(database_url, done_sql) < len(docs)
    again = await run_cli(["reindex", "--user", "ann"], env)
    assert again.returncode == 0, again.stderr
    assert await _check_fully_indexed(database_url, real_embedder.embed) == len(docs)  # type: ignore[attr-defined]
