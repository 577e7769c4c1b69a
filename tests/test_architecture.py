"""The core stays pure: no Discord, HTTP client or database driver imports."""

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "bot" / "core"
FORBIDDEN = {"discord", "aiohttp", "aiosqlite"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_no_io_library(path: Path) -> None:
    assert imported_modules(path) & FORBIDDEN == set()


def test_the_check_itself_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom discord.ext import commands\nimport aiohttp.web\n")
    assert imported_modules(bad) & FORBIDDEN == {"discord", "aiohttp"}


def test_core_modules_exist() -> None:
    assert len(list(CORE.rglob("*.py"))) >= 5
