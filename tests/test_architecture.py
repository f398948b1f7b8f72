"""The dependency rules of DESIGN.md §2, checked over every import in vault_mcp (an ast
walk, so imports inside functions and under TYPE_CHECKING count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "vault_mcp"

# What each part may import of ours (by module prefix); the package root (`__version__`)
# is open to all. The composition roots (runtime, __main__, cli) may import anything.
ALLOWED: dict[str, tuple[str, ...]] = {
    "vault_mcp.__init__": (),  # the package root holds only __version__
    "vault_mcp.errors": (),
    "vault_mcp.domain": ("vault_mcp.errors",),
    # How a note's text becomes passages: domain logic, pure.
    "vault_mcp.passages": (),
    # The one depth-guarded JSON parser for untrusted bytes, for every door.
    "vault_mcp.untrusted_json": ("vault_mcp.errors",),
    "vault_mcp.service": ("vault_mcp.domain", "vault_mcp.errors", "vault_mcp.passages"),
    # The trash and the notes' history: a second service beside NoteService.
    "vault_mcp.recovery": ("vault_mcp.domain", "vault_mcp.errors", "vault_mcp.service"),
    "vault_mcp.settings": ("vault_mcp.domain", "vault_mcp.errors"),
    # Overlapping the next batch's preparation with this one's write: asyncio only.
    "vault_mcp.pipelined": (),
    # The auth domain: its values, Protocols and services; never a store, a door or a root.
    # Text validation (NUL, lone surrogates) is the domain's, shared by every input.
    "vault_mcp.auth": (
        "vault_mcp.auth",
        "vault_mcp.errors",
        "vault_mcp.domain",
        "vault_mcp.untrusted_json",
    ),
    # The adapters implement the Protocols of the service layers, on their values.
    "vault_mcp.db": (
        "vault_mcp.db",
        "vault_mcp.domain",
        "vault_mcp.passages",
        "vault_mcp.errors",
        "vault_mcp.service",
        "vault_mcp.recovery",
        "vault_mcp.auth.models",
        "vault_mcp.auth.scopes",
        "vault_mcp.auth.throttle",
        "vault_mcp.transfer.archive",  # the archive's Protocol and values
    ),
    # Export and import: formats, readers and the archive service, on the service layer.
    "vault_mcp.transfer": (
        "vault_mcp.transfer",
        "vault_mcp.domain",
        "vault_mcp.errors",
        "vault_mcp.service",
    ),
    "vault_mcp.embeddings": (
        "vault_mcp.embeddings",
        "vault_mcp.service",
        "vault_mcp.errors",
        "vault_mcp.settings",
    ),
    # The doors call the services (through runtime's Services), never the stores.
    "vault_mcp.tools": (
        "vault_mcp.tools",
        "vault_mcp.service",
        "vault_mcp.recovery",
        "vault_mcp.domain",
        "vault_mcp.errors",
        "vault_mcp.auth.scopes",
        "vault_mcp.runtime",
    ),
    "vault_mcp.web": (
        "vault_mcp.web",
        "vault_mcp.untrusted_json",
        "vault_mcp.service",
        "vault_mcp.recovery",
        "vault_mcp.domain",
        "vault_mcp.errors",
        "vault_mcp.settings",
        "vault_mcp.runtime",
        "vault_mcp.auth",
        "vault_mcp.tools",  # the app mounts the MCP server and shares its I/O models
        "vault_mcp.transfer",  # the export download
    ),
    # The commands go through runtime's verbs.
    "vault_mcp.accounts_cli": (
        "vault_mcp.auth.models",
        "vault_mcp.auth.passwords",
        "vault_mcp.errors",
        "vault_mcp.runtime",
        "vault_mcp.settings",
    ),
    "vault_mcp.tokens_cli": ("vault_mcp.errors", "vault_mcp.runtime", "vault_mcp.settings"),
    "vault_mcp.importer": (
        "vault_mcp.transfer",
        "vault_mcp.domain",
        "vault_mcp.errors",
        "vault_mcp.pipelined",
        "vault_mcp.runtime",
        "vault_mcp.settings",
    ),
    "vault_mcp.exporter": (
        "vault_mcp.transfer",
        "vault_mcp.domain",
        "vault_mcp.errors",
        "vault_mcp.importer",  # its progress bar
        "vault_mcp.runtime",
        "vault_mcp.settings",
    ),
    "vault_mcp.reindex": (
        "vault_mcp.domain",
        "vault_mcp.importer",
        "vault_mcp.pipelined",
        "vault_mcp.runtime",
        "vault_mcp.service",  # the batch's values it hands from the encode to the write
        "vault_mcp.settings",
    ),
    "vault_mcp.smoke": ("vault_mcp.errors", "vault_mcp.settings"),
    "vault_mcp.runtime": ("vault_mcp",),  # the composition root: database, wiring, handle
    "vault_mcp.__main__": ("vault_mcp",),
    # The commands: each parses its arguments and calls a runner above (or runtime).
    "vault_mcp.cli": ("vault_mcp",),
    "vault_mcp.migrations": (),
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 2:
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = (
        module.removesuffix(".__init__")
        if path.name == "__init__.py"
        else module.rpartition(".")[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            # `from vault_mcp.web import api` imports the module vault_mcp.web.api
            found += [(node.lineno, target)]
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "vault_mcp"]


def _rule_for(module: str) -> tuple[str, tuple[str, ...]]:
    matches = [p for p in ALLOWED if module == p or module.startswith(p + ".")]
    if not matches:
        raise AssertionError(f"{module} has no dependency rule in tests/test_architecture.py")
    prefix = max(matches, key=len)
    return prefix, ALLOWED[prefix]


def _allowed(target: str, allowed: tuple[str, ...]) -> bool:
    if target == "vault_mcp":
        return True
    return any(target == a or target.startswith(a + ".") for a in allowed)


def _is_module(target: str, root: Path) -> bool:
    """Whether `target` names a module or package (not a name imported from one)."""
    relative = Path(*target.split(".")[1:]) if "." in target else Path()
    base = root / relative
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def violations(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        _, allowed = _rule_for(module)
        for line, target in _imports(path, module):
            if not _is_module(target, root):
                continue  # `from vault_mcp.x import Name`: the module itself is checked
            if not _allowed(target, allowed):
                where = path.relative_to(root.parent)
                found.append(f"{where}:{line}: {module} may not import {target}")
    return found


def test_every_import_in_vault_mcp_follows_the_dependency_rules() -> None:
    assert violations(PACKAGE) == []


def test_no_door_and_no_auth_module_imports_a_database_adapter() -> None:
    """What the issue's grep checks, in a form that cannot rot."""
    for part in ("web", "tools", "auth"):
        for path in (PACKAGE / part).rglob("*.py"):
            module = _module_name(path, PACKAGE)
            targets = [t for _, t in _imports(path, module)]
            assert not [t for t in targets if t.startswith("vault_mcp.db")], path


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("auth/service.py", "from vault_mcp.db.users import PgUserRepository\n"),
        ("web/views.py", "from vault_mcp.db import pool\n"),
        ("tools/notes.py", "import vault_mcp.web.api\n"),
        ("domain.py", "from vault_mcp.service import NoteService\n"),
        ("auth/oauth.py", "from vault_mcp.tools import context\n"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path: Path, where: str, line: str) -> None:
    """The rules are not vacuous: a copy of the package with one forbidden import fails."""
    import shutil

    copy = tmp_path / "vault_mcp"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / where
    target.write_text(line + target.read_text(encoding="utf-8"), encoding="utf-8")
    found = violations(copy)
    assert found and all(f.startswith(f"vault_mcp/{where}:1:") for f in found), found
