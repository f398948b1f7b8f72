"""`vault-mcp import`: a folder of Markdown/text files becomes notes, once."""

from __future__ import annotations

import io
from pathlib import Path

import asyncpg
import pytest

from vault_mcp.__main__ import main
from vault_mcp.importer import Progress, title_of


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "projects" / "deep").mkdir(parents=True)
    (root / ".obsidian").mkdir()
    (root / "garden.md").write_text("Some intro\n\n# Garden plan\n\nTomatoes by the fence.")
    (root / "projects" / "boat_repair.txt").write_text("Sand the hull, then two coats.")
    (root / "projects" / "deep" / "reading-list.markdown").write_text("## Books\n\n- Dune")
    (root / "empty.md").write_text("   \n")
    (root / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (root / "picture.png").write_bytes(b"\x89PNG")
    (root / ".obsidian" / "config.md").write_text("# hidden")
    return root


async def _users(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return [r["username"] for r in await conn.fetch("SELECT username FROM users")]
    finally:
        await conn.close()


async def _add_user(database_url: str, username: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("INSERT INTO users (username) VALUES ($1)", username)
    finally:
        await conn.close()


async def _titles(database_url: str, username: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT n.title, n.tags FROM notes n JOIN users u ON u.id = n.owner_id "
            "WHERE u.username = $1 ORDER BY n.title",
            username,
        )
        return {r["title"]: list(r["tags"]) for r in rows}
    finally:
        await conn.close()


def test_titles_come_from_the_first_heading_or_the_file_name() -> None:
    assert title_of(Path("x.md"), "intro\n# The Title #\nbody") == "The Title"
    assert title_of(Path("my_note-2.md"), "no heading here") == "my note 2"


def test_import_a_folder_then_again_without_duplicates(
    folder: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULT_EMBEDDER", "hashing")
    # A name that is no account is refused, not made into a new password-less one.
    assert main(["import", str(folder), "--user", "ann", "--tag", "imported"]) == 1
    assert "no user 'ann'" in capsys.readouterr().err
    assert asyncio.run(_users(database_url)) == []
    asyncio.run(_add_user(database_url, "ann"))
    assert main(["import", str(folder), "--user", "ann", "--tag", "imported"]) == 0
    captured = capsys.readouterr()
    assert "imported 3 note(s) from 5 file(s); 0 already in the vault, 2 skipped" in captured.out
    assert "skipped empty.md: content is empty" in captured.err
    assert "skipped latin1.md: not UTF-8 text" in captured.err
    assert asyncio.run(_titles(database_url, "ann")) == {
        "Books": ["imported"],
        "Garden plan": ["imported"],
        "boat repair": ["imported"],
    }
    assert main(["import", str(folder), "--user", "ann", "--tag", "imported"]) == 0
    assert "imported 0 note(s) from 5 file(s); 3 already in the vault" in capsys.readouterr().out
    assert len(asyncio.run(_titles(database_url, "ann"))) == 3


def test_a_missing_path_is_a_clear_error(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["import", str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_progress_is_one_redrawn_line_on_a_terminal_and_plain_lines_in_a_log() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Progress(4, tty)
    bar.update(2)
    bar.update(4)
    assert tty.getvalue().count("\r") == 2 and tty.getvalue().endswith("\n")
    assert "4/4 notes" in tty.getvalue()
    log = io.StringIO()
    Progress(2, log).update(2)
    assert log.getvalue().startswith("[") and "2/2 notes" in log.getvalue()
