"""Layering rules, checked on the source (AST), so a violation fails even where no test imports the module.

- The core stays pure: no Discord, HTTP client or database driver imports, and nothing from the outer layers of
  the bot (settings, services, cogs, app layer, command line, runner), not even under ``if TYPE_CHECKING:``.
- The support-API sandbox is a repository tool: the wheel has no ``sandbox`` package, and nothing in ``bot/``
  imports it when a module is imported (only lazily, inside a function, with a way out when it is missing).
"""

import ast
import tomllib
from pathlib import Path

import pytest
import setuptools

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
CORE = BOT / "core"
FORBIDDEN = {"discord", "aiohttp", "aiosqlite"}
# The outer layers: the core takes plain data from them and never reaches back.
OUTER_LAYERS = ("bot.settings", "bot.services", "bot.exts", "bot.app", "bot.cli", "bot.runner", "bot.bot")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    if not path.is_relative_to(ROOT):
        return ""
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The absolute module of a `from ... import` (relative imports resolved against `package`)."""
    if node.level == 0:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def imported_names(path: Path, package: str | None = None) -> set[str]:
    """Every module `path` imports, dotted and absolute, wherever the import sits (TYPE_CHECKING blocks included).

    `from bot import settings` counts as `bot.settings`; `importlib.import_module("x")` / `__import__("x")` with a
    literal name count as `x`.
    """
    package = package if package is not None else _package_of(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def imported_modules(path: Path) -> set[str]:
    """The top-level packages `path` imports."""
    return {name.split(".")[0] for name in imported_names(path) if name}


def outer_layer_imports(path: Path, package: str | None = None) -> set[str]:
    """The outer-layer modules (OUTER_LAYERS, or anything inside them) that `path` imports."""
    return {
        name
        for name in imported_names(path, package)
        if any(name == layer or name.startswith(layer + ".") for layer in OUTER_LAYERS)
    }


def module_level_imports(path: Path) -> set[str]:
    """The modules `path` imports when it is imported: everything except imports inside a function body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Import):
                names.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                names.add(_absolute(child, _package_of(path)))
            visit(child)

    visit(tree)
    return names


CORE_FILES = sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.name)
def test_core_module_imports_no_io_library(path: Path) -> None:
    assert imported_modules(path) & FORBIDDEN == set()


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.name)
def test_core_module_imports_nothing_from_the_outer_layers(path: Path) -> None:
    assert outer_layer_imports(path) == set()


def test_the_check_itself_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom discord.ext import commands\nimport aiohttp.web\n")
    assert imported_modules(bad) & FORBIDDEN == {"discord", "aiohttp"}


def test_the_check_itself_catches_an_outer_layer_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import bot.core.text\n"
        "from bot.core.policy import Policy\n"
        "from bot import services\n"
        "from ..exts import watcher\n"
        "if TYPE_CHECKING:\n"
        "    from bot.settings import Settings\n"
        "def later():\n"
        "    import importlib\n"
        "    return importlib.import_module('bot.runner')\n"
    )
    assert outer_layer_imports(bad, package="bot.core") == {
        "bot.settings",
        "bot.settings.Settings",
        "bot.services",
        "bot.exts",
        "bot.exts.watcher",
        "bot.runner",
    }


def test_policy_is_still_importable_from_the_settings() -> None:
    from bot.core.policy import Policy
    from bot.settings import Policy as SettingsPolicy

    assert SettingsPolicy is Policy


def test_core_modules_exist() -> None:
    assert len(CORE_FILES) >= 5


# ---------------------------------------------------------------------------------------------------------------
# The sandbox is not shipped
# ---------------------------------------------------------------------------------------------------------------
def _shipped_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"]["packages"]["find"]
    return setuptools.find_packages(str(ROOT), include=find["include"], exclude=find.get("exclude", ()))


def test_the_wheel_ships_bot_and_no_sandbox() -> None:
    packages = _shipped_packages()
    assert "bot" in packages and "bot.core" in packages
    assert [name for name in packages if "sandbox" in name] == []
    assert (ROOT / "sandbox" / "__main__.py").is_file()  # it lives in the repository
    assert not (BOT / "sandbox").exists()


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: str(p.relative_to(BOT)))
def test_no_bot_module_imports_the_sandbox_when_imported(path: Path) -> None:
    assert {name for name in module_level_imports(path) if "sandbox" in name.split(".")} == set()


def test_the_sandbox_check_itself_ignores_only_imports_inside_functions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "try:\n    import sandbox.app\nexcept ImportError:\n    pass\n"
        "class Demo:\n    from sandbox import run_sandbox\n"
        "def lazy():\n    from sandbox import run_sandbox\n    return run_sandbox\n"
    )
    assert module_level_imports(bad) == {"sandbox.app", "sandbox"}
