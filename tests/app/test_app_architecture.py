"""The application layer is Discord-free (the console and tests drive it), and the cogs do not build tickets."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "bot" / "app"


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(APP.rglob("*.py")), ids=lambda p: p.name)
def test_app_module_imports_no_discord(path: Path) -> None:
    assert "discord" not in imported_roots(path)


def test_the_check_catches_a_discord_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from discord.ext import commands\n")
    assert "discord" in imported_roots(bad)


@pytest.mark.parametrize("name", ["TicketRequest(", "NewEscalation(", "idempotency_key="])
def test_only_the_escalation_service_builds_tickets(name: str) -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "bot").rglob("*.py")
        if name in p.read_text(encoding="utf-8")
        and p.relative_to(ROOT).as_posix()
        not in ("bot/app/escalation.py", "bot/services/support_api.py", "bot/services/outbox.py")
        and "services/store" not in p.as_posix()
        and "services/escalations.py" not in p.as_posix()
    ]
    assert offenders == []
