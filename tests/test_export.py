"""`vault-mcp export` and `import` of its output: a round trip into an empty vault is lossless."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import PgCluster, create_database, drop_database
from vault_mcp.__main__ import main

NOTES: list[tuple[str, str, list[str]]] = [
    ("Grüße aus Köln 🌷", "Ünïcödé body: 東京, emoji 🚲, RTL שלום.\n", ["reise", "日本"]),
    ("Looks like front matter", "---\ntitle: not mine\ntags: [x]\n---\nbody after", []),
    ("a/b: c*d? <e>", "Windows line ends\r\nstay\r\n", ["work", "a, b"]),
    ("Long", "Paragraph about gardens and boats.\n\n" * 6000, ["long"]),
    ("Long", "a second note with the same title", []),
    ("---", "   leading spaces and a title of dashes", ["#hash"]),
]
ROWS = (
    "SELECT n.id, n.title, n.content, n.tags, n.created_at, n.updated_at FROM notes n "
    "JOIN users u ON u.id = n.owner_id WHERE u.username = $1 ORDER BY n.id"
)


@pytest.fixture
async def other_database_url(pg_cluster: PgCluster, template_database: str) -> AsyncIterator[str]:
    name = await create_database(pg_cluster, template_database)
    yield pg_cluster.url(name)
    await drop_database(pg_cluster, name)


async def _fill(url: str, username: str, notes: list[tuple[str, str, list[str]]]) -> None:
    """An account with notes written as the vault writes them (passages and all), and
    times set apart from each other and from the import's."""
    conn = await asyncpg.connect(url)
    try:
        owner = await conn.fetchval(
            "INSERT INTO users (username) VALUES ($1) RETURNING id", username
        )
        for i, (title, content, tags) in enumerate(notes):
            await conn.execute(
                "INSERT INTO notes (owner_id, title, content, tags, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                owner,
                title,
                content,
                tags,
                datetime(2021, 3, 1 + i, 8, 30, 15, 123456, tzinfo=UTC),
                datetime(2022, 5, 1 + i, 9, 45, 0, 654321, tzinfo=UTC),
            )
    finally:
        await conn.close()


async def _fetch(url: str, query: str, *args: Any) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await conn.fetch(query, *args)]
    finally:
        await conn.close()


def _use(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("VAULT_EMBEDDER", "hashing")
    monkeypatch.setenv("VAULT_USER", "nobody-here")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_export_then_import_into_an_empty_vault_yields_the_same_notes(
    fmt: str,
    tmp_path: Path,
    database_url: str,
    other_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_fill(database_url, "ann", NOTES))
    first = tmp_path / ("first.json" if fmt == "json" else "first")
    _use(monkeypatch, database_url)
    assert main(["export", str(first), "--format", fmt, "--user", "ann"]) == 0
    assert f"exported {len(NOTES)} note(s) of 'ann'" in capsys.readouterr().out

    asyncio.run(_fill(other_database_url, "ann", []))
    _use(monkeypatch, other_database_url)
    assert main(["import", str(first), "--user", "ann"]) == 0
    assert f"imported {len(NOTES)} note(s)" in capsys.readouterr().out
    assert asyncio.run(_fetch(other_database_url, ROWS, "ann")) == asyncio.run(
        _fetch(database_url, ROWS, "ann")
    )
    # Searchable: every imported note has its passages.
    unindexed = "SELECT count(*) AS n FROM notes n WHERE NOT EXISTS "
    unindexed += "(SELECT 1 FROM note_passages p WHERE p.note_id = n.id)"
    assert asyncio.run(_fetch(other_database_url, unindexed)) == [{"n": 0}]

    second = tmp_path / ("second.json" if fmt == "json" else "second")
    assert main(["export", str(second), "--format", fmt, "--user", "ann"]) == 0
    if fmt == "json":
        one, two = (json.loads(p.read_text(encoding="utf-8")) for p in (first, second))
        assert one["format"] == "vault-mcp" and one["version"] == 1
        assert one["notes"] == two["notes"] and len(one["notes"]) == len(NOTES)
    else:
        assert _tree(first) == _tree(second)
        assert len(_tree(first)) == len(NOTES)  # two notes titled "Long": two files

    # Again: nothing is written twice.
    assert main(["import", str(first), "--user", "ann"]) == 0
    assert f"imported 0 note(s) from {len(NOTES)}" in capsys.readouterr().out


def test_a_markdown_export_file_has_front_matter_and_the_content_verbatim(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(_fill(database_url, "ann", NOTES[1:3]))
    _use(monkeypatch, database_url)
    assert main(["export", str(tmp_path / "out"), "--user", "ann"]) == 0
    files = _tree(tmp_path / "out")
    assert sorted(files) == ["Looks like front matter.md", "a b c d e.md"]
    text = files["Looks like front matter.md"].decode()
    head, _, body = text.removeprefix("---\n").partition("\n---\n")
    assert body == NOTES[1][1]
    assert "title: Looks like front matter" in head and "tags: []" in head
    assert "created: '2021-03-01T08:30:15.123456+00:00'" in head
    assert files["a b c d e.md"].endswith(b"Windows line ends\r\nstay\r\n")


def test_export_refuses_a_folder_that_is_not_empty_unless_forced(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_fill(database_url, "ann", NOTES[:1]))
    _use(monkeypatch, database_url)
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["export", str(tmp_path), "--user", "ann"]) == 1
    assert "is not empty" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--user", "ann", "--force"]) == 0
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert main(["export", str(tmp_path / "keep.txt"), "--format", "json", "--user", "ann"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "keep.txt"), "--user", "ann", "--force"]) == 1
    assert "is a file; the markdown export writes a folder" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--format", "json", "--user", "ann", "--force"]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "x"), "--user", "zed"]) == 1
    assert "no user 'zed'" in capsys.readouterr().err


def test_importing_an_id_the_vault_has_with_other_text_is_refused_not_overwritten(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_fill(database_url, "ann", NOTES[:1]))
    _use(monkeypatch, database_url)
    [row] = asyncio.run(_fetch(database_url, ROWS, "ann"))
    note = {"id": str(row["id"]), "title": "Changed", "content": "other text", "tags": []}
    doc = {"format": "vault-mcp", "version": 1, "exported_at": "2026-01-01T00:00:00Z"}
    path = tmp_path / "edited.json"
    path.write_text(json.dumps({**doc, "notes": [note]}))
    assert main(["import", str(path), "--user", "ann"]) == 1
    captured = capsys.readouterr()
    assert f"refused note {row['id']}: the vault has a different note" in captured.err
    assert "imported 0 note(s) from 1 note(s) in edited.json" in captured.out
    assert asyncio.run(_fetch(database_url, ROWS, "ann")) == [row]


def test_obsidian_front_matter_gives_the_title_and_tags(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "obsidian"
    vault.mkdir()
    (vault / "list.md").write_text("---\ntitle: Trip plan\ntags:\n  - travel\n  - 2026\n---\nGo.")
    (vault / "comma.md").write_text("---\ntags: garden, spring\n---\n# Seeds\n\nSow in March.")
    (vault / "rule.md").write_text("---\n\nJust a horizontal rule above.")
    (vault / "bad.md").write_text("---\ntags: {a: b}\n---\nx")
    (vault / "created.md").write_text("---\ncreated: 2020-02-02\n---\nOld thought.")
    asyncio.run(_fill(database_url, "ann", []))
    _use(monkeypatch, database_url)
    assert main(["import", str(vault), "--user", "ann", "--tag", "obsidian"]) == 0
    rows = {r["title"]: r for r in asyncio.run(_fetch(database_url, ROWS, "ann"))}
    assert rows["Trip plan"]["tags"] == ["travel", "2026", "obsidian"]
    assert rows["Trip plan"]["content"] == "Go."
    assert rows["Seeds"]["tags"] == ["garden", "spring", "obsidian"]
    assert rows["rule"]["content"] == "---\n\nJust a horizontal rule above."
    assert rows["created"]["created_at"] == datetime(2020, 2, 2, tzinfo=UTC)
    assert "bad" not in rows


def test_an_mcp_memory_service_export_becomes_notes_with_their_tags_and_times(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    memories = [
        {
            "content": "The deploy key lives in the team vault.\nRotate it yearly.",
            "content_hash": "ab" * 32,
            "tags": ["ops", "keys"],
            "memory_type": "note",
            "metadata": {},
            "created_at": 1700000000.5,
            "updated_at": 1700003600.0,
        },
        {
            "content": "# Standup\nMoved to 9:30.",
            "content_hash": "cd" * 32,
            "tags": [],
            "created_at": 1700000000.0,
            "created_at_iso": "2023-11-14T22:13:20Z",
        },
        {"content_hash": "ef" * 32, "tags": ["no content"]},
    ]
    path = tmp_path / "memories.json"
    export = {"export_metadata": {"source_machine": "laptop"}, "memories": memories}
    path.write_text(json.dumps(export))
    asyncio.run(_fill(database_url, "ann", []))
    _use(monkeypatch, database_url)
    assert main(["import", str(path), "--user", "ann"]) == 0
    rows = {r["title"]: r for r in asyncio.run(_fetch(database_url, ROWS, "ann"))}
    assert set(rows) == {"The deploy key lives in the team vault.", "Standup"}
    deploy = rows["The deploy key lives in the team vault."]
    assert deploy["tags"] == ["ops", "keys"]
    assert deploy["created_at"] == datetime.fromtimestamp(1700000000.5, UTC)
    assert deploy["updated_at"] == datetime.fromtimestamp(1700003600, UTC)
    assert rows["Standup"]["updated_at"] == rows["Standup"]["created_at"]
    assert uuid.UUID(str(deploy["id"]))  # a new id: a content hash is no note id


async def _trash(url: str, note_id: uuid.UUID) -> None:
    from vault_mcp.db.pool import open_pool
    from vault_mcp.db.trash import move_to_trash

    async with open_pool(url, max_size=1) as pool:
        owner = await pool.fetchval("SELECT owner_id FROM notes WHERE id = $1", note_id)
        assert await move_to_trash(pool, owner, note_id)


def test_importing_a_backup_again_after_a_delete_leaves_the_trashed_note_alone(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_fill(database_url, "ann", [NOTES[0], NOTES[4]]))
    _use(monkeypatch, database_url)
    backup = tmp_path / "backup.json"
    assert main(["export", str(backup), "--user", "ann"]) == 0
    kept, deleted = asyncio.run(_fetch(database_url, ROWS, "ann"))
    asyncio.run(_trash(database_url, deleted["id"]))
    capsys.readouterr()

    # With ids: the trashed note's id stays its own (a restore would otherwise collide).
    assert main(["import", str(backup), "--user", "ann"]) == 0
    assert "imported 0 note(s) from 2 note(s)" in capsys.readouterr().out
    assert asyncio.run(_fetch(database_url, ROWS, "ann")) == [kept]
    # Without ids (a plain folder): the same text in the trash is a duplicate too.
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "again.md").write_text(
        f"---\ntitle: {json.dumps(deleted['title'])}\n---\n{deleted['content']}", newline=""
    )
    assert main(["import", str(folder), "--user", "ann"]) == 0
    assert "imported 0 note(s)" in capsys.readouterr().out
    # The trashed note's id with another text is refused by name.
    edited = json.loads(backup.read_text(encoding="utf-8"))
    edited["notes"] = [{**n, "content": "changed"} for n in edited["notes"]]
    edited["notes"] = [n for n in edited["notes"] if n["id"] == str(deleted["id"])]
    backup.write_text(json.dumps(edited), encoding="utf-8")
    assert main(["import", str(backup), "--user", "ann"]) == 1
    assert f"refused note {deleted['id']}" in capsys.readouterr().err
    assert asyncio.run(_fetch(database_url, ROWS, "ann")) == [kept]
