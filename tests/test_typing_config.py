"""The type checker's set-up: strict on the pure core (and the app layer), default elsewhere, run by `dev.py test`."""

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRICT_MODULES = ("bot.core.*", "bot.app.*")


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mypy_checks_the_bot_package_for_python_3_11() -> None:
    config = _mypy_config()
    assert config["files"] == ["bot"]
    assert config["python_version"] == "3.11"
    assert "strict" not in config, "default mode globally; strictness belongs to the bot.core.* override"
    assert "ignore_missing_imports" not in config, "ignore missing imports per third-party module, not globally"


def test_the_core_override_is_strict() -> None:
    overrides = _mypy_config().get("overrides", [])
    strict = [o for o in overrides if set(STRICT_MODULES) <= set(o["module"])]
    assert strict, f"no [[tool.mypy.overrides]] for {STRICT_MODULES}"
    assert strict[0].get("disallow_untyped_defs") is True


def test_strict_flags_apply_to_the_core_only(tmp_path: Path) -> None:
    """Read the config with mypy itself: bot.core.* gets every per-module flag of --strict, bot.exts.* none."""
    main = pytest.importorskip("mypy.main")
    options_module = pytest.importorskip("mypy.options")
    empty = tmp_path / "mypy.ini"
    empty.write_text("[mypy]\n")
    _, default = main.process_options(["--config-file", str(empty), "-c", "pass"])
    _, strict = main.process_options(["--strict", "--config-file", str(empty), "-c", "pass"])
    flags = {name for name in options_module.PER_MODULE_OPTIONS if getattr(strict, name) != getattr(default, name)}
    assert "disallow_untyped_defs" in flags

    _, ours = main.process_options(["--config-file", str(ROOT / "pyproject.toml")])
    for module in ("bot.core.faq", "bot.core.index", "bot.app.composition"):
        options = ours.clone_for_module(module)
        missing = sorted(name for name in flags if getattr(options, name) != getattr(strict, name))
        assert not missing, f"{module} is not checked as strictly as --strict; add to the override: {missing}"
    for module in ("bot.exts.admin", "bot.settings", "bot.services.outbox"):
        options = ours.clone_for_module(module)
        leaked = sorted(name for name in flags if getattr(options, name) != getattr(default, name))
        assert not leaked, f"{module} should be checked in default mode, but has {leaked}"


def test_dev_test_runs_mypy_between_the_format_check_and_pytest() -> None:
    steps = _dev().ci_steps(["-x"])
    names = [Path(step[0]).name for step in steps]
    assert "mypy" in names, "python3 dev.py test must type-check"
    mypy = steps[names.index("mypy")]
    assert mypy[1:] == (), "mypy takes its files from pyproject.toml"
    assert steps[names.index("mypy") - 1][1:3] == ("format", "--check")
    assert steps[names.index("mypy") + 1][1:3] == ("-m", "pytest")
    assert steps[-1][-1] == "-x"


def test_a_failing_step_stops_the_run_with_its_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    dev = _dev()
    ran: list[str] = []
    codes = {"ruff": 0, "mypy": 3}

    def fake_run(*command: str) -> int:
        ran.append(Path(command[0]).name)
        return codes.get(Path(command[0]).name, 0)

    monkeypatch.setattr(dev, "run", fake_run)
    assert dev.run_steps(dev.ci_steps([])) == 3
    assert ran == ["ruff", "ruff", "mypy"]
