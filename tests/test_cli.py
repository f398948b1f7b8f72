"""`vault-mcp user …` in-process: the commands, their prompts and their refusals."""

from __future__ import annotations

import io

import asyncpg
import pytest

from vault_mcp.__main__ import main
from vault_mcp.accounts_cli import read_new_password
from vault_mcp.errors import InvalidInput

PASSWORD = "a long passphrase"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAULT_EMBEDDER", "hashing")
    return database_url


def _run(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(args))


def test_add_list_passwd_and_delete(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, "user", "add", "carol", "--password-stdin", stdin=PASSWORD + "\n") == 0
    assert "created user 'carol'" in capsys.readouterr().out
    assert _run(monkeypatch, "user", "list") == 0
    listing = capsys.readouterr().out
    assert "carol" in listing and "password" in listing
    assert (
        _run(
            monkeypatch, "user", "passwd", "carol", "--password-stdin", stdin="another passphrase\n"
        )
        == 0
    )
    assert "password of 'carol' changed" in capsys.readouterr().out
    assert _run(monkeypatch, "user", "delete", "carol", "--yes") == 0
    assert "deleted user 'carol' and 0 note(s)" in capsys.readouterr().out


def test_refusals_name_the_problem(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, "user", "add", "dave", "--password-stdin", stdin="short\n") == 1
    assert "too short" in capsys.readouterr().err
    assert _run(monkeypatch, "user", "add", "bad name!", "--password-stdin", stdin=PASSWORD) == 1
    assert "not a valid user name" in capsys.readouterr().err
    assert _run(monkeypatch, "user", "add", "dave", "--password-stdin", stdin=PASSWORD) == 0
    assert _run(monkeypatch, "user", "add", "dave", "--password-stdin", stdin=PASSWORD) == 1
    assert "already exists" in capsys.readouterr().err
    assert _run(monkeypatch, "user", "passwd", "nobody", "--password-stdin", stdin=PASSWORD) == 1
    assert "no user named 'nobody'" in capsys.readouterr().err


async def _add_note(database_url: str, username: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        owner = await conn.fetchval("SELECT id FROM users WHERE username = $1", username)
        await conn.execute(
            "INSERT INTO notes (owner_id, title, content) VALUES ($1, 't', 'c')", owner
        )
    finally:
        await conn.close()


def test_deleting_a_user_with_notes_asks_first(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    assert _run(monkeypatch, "user", "add", "erin", "--password-stdin", stdin=PASSWORD) == 0
    asyncio.run(_add_note(cli_env, "erin"))
    # No terminal to ask on: refuse rather than guess.
    assert _run(monkeypatch, "user", "delete", "erin") == 1
    assert "pass --yes" in capsys.readouterr().err
    monkeypatch.setattr(
        "vault_mcp.cli.user._confirm", lambda question: "1 note" in question and False
    )
    assert _run(monkeypatch, "user", "delete", "erin") == 0
    assert "nothing deleted" in capsys.readouterr().out
    assert _run(monkeypatch, "user", "delete", "erin", "--yes") == 0
    assert "and 1 note(s)" in capsys.readouterr().out


def test_the_password_prompt_asks_twice_and_must_match() -> None:
    answers = iter(["first passphrase", "second passphrase"])
    with pytest.raises(InvalidInput, match="the two passwords differ"):
        read_new_password(False, prompt=lambda _: next(answers))
    same = iter(["same passphrase", "same passphrase"])
    assert read_new_password(False, prompt=lambda _: next(same)) == "same passphrase"


def test_no_command_prints_the_help_and_runs_nothing(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 2
    captured = capsys.readouterr()
    assert "usage: vault-mcp" in captured.err and "export" in captured.err
    assert "schema" not in captured.out + captured.err  # not a migrate in disguise


def test_an_unknown_command_is_an_error_naming_the_choices(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["migrat"])
    assert stopped.value.code == 2
    assert "invalid choice: 'migrat'" in capsys.readouterr().err


def test_every_command_module_registers_its_own_handler() -> None:
    from vault_mcp.__main__ import build_parser
    from vault_mcp.cli import COMMANDS

    parser = build_parser()
    names = ["serve", "stdio", "migrate", "import", "export", "reindex", "smoke", "user", "token"]
    extra = {"import": ["x"], "export": ["x"], "smoke": ["--url", "u"]}
    extra |= {"user": ["list"], "token": ["list"]}
    handlers = {parser.parse_args([n, *extra.get(n, [])]).handler for n in names}
    assert handlers == {module.run for module in COMMANDS}
