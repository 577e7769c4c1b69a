#!/usr/bin/env python3
"""One-file bootstrap: `python3 dev.py start` runs the bot, `python3 dev.py test` runs every test.

Works on a fresh machine with only Python 3: it creates `.venv/` and installs the project (with its dev
extras) the first time, or whenever pyproject.toml changed, then runs the command inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"
# The Capgo docs snapshot of a development checkout (beside shared/): `start` indexes it when DOCS_PATH is unset.
# A development default only: the bot itself indexes no docs unless DOCS_PATH names a folder.
DEV_DOCS = ROOT.parent / "shared" / "capgo-docs"

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

commands:
  start [ARGS]   run the bot (python -m bot [ARGS]); without DISCORD_TOKEN: the offline console; without
                 DOCS_PATH (environment or .env): the docs snapshot ../shared/capgo-docs when it is there
  test [ARGS]    lint (ruff), type-check (mypy) and run the whole test suite (pytest [ARGS])
  bench [NAME]   run the benchmarks (quality, speed, discord, outbox; calibrate) and print their tables
  train [ARGS]   retrain the understanding models from the labelled sets (python -m bench.train; --check compares)
  sandbox [ARGS] run the local support-API sandbox (python -m sandbox [ARGS]; --help for the options)
  setup          only create/refresh .venv
"""


def ensure_env() -> None:
    """Create the virtual environment and install the project when missing or outdated."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run (and explain) on older Pythons
        sys.exit(f"Python 3.11 or newer is required (this is {sys.version.split()[0]}).")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("Creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the project and its dependencies into .venv (first run only) ...", file=sys.stderr)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f"{ROOT}[dev]"],
        check=True,
    )
    STAMP.write_text(wanted)


def run(*command: str, env: dict[str, str] | None = None) -> int:
    """Run a command from the project root, returning its exit code."""
    return subprocess.call(list(command), cwd=ROOT, env=env)


def env_file_value(key: str, path: Path = ROOT / ".env") -> str:
    """Return `key`'s value in the `.env` file the bot reads (the last one wins), or "" when absent or empty."""
    value = ""
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(rf"^\s*(?:export\s+)?{re.escape(key)}\s*=\s*(.*?)\s*$", line)
            if match:
                value = match.group(1)
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                elif " #" in value:
                    value = value.split(" #", 1)[0].rstrip()
    return value


def start_env(docs: Path = DEV_DOCS, env_file: Path = ROOT / ".env") -> dict[str, str] | None:
    """The environment of `start`: DOCS_PATH set to the development docs snapshot when nothing else sets it."""
    if os.environ.get("DOCS_PATH") or env_file_value("DOCS_PATH", env_file) or not docs.is_dir():
        return None
    return {**os.environ, "DOCS_PATH": str(docs)}


def main(argv: list[str]) -> int:
    """Dispatch the dev command."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command not in ("start", "test", "bench", "train", "sandbox", "setup"):
        print(f"unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    ensure_env()
    if command == "setup":
        return 0
    if command == "start":
        return run(str(PYTHON), "-m", "bot", *rest, env=start_env())
    if command == "bench":
        return run(str(PYTHON), "-m", "bench", *rest)
    if command == "train":
        return run(str(PYTHON), "-m", "bench.train", *rest)
    if command == "sandbox":
        return run(str(PYTHON), "-m", "sandbox", *rest)
    return run_steps(ci_steps(rest))


def ci_steps(pytest_args: list[str]) -> list[tuple[str, ...]]:
    """The `test` command's steps, in order: lint, format check, type check (pyproject's [tool.mypy]), tests."""
    paths = ("bot", "sandbox", "tests", "bench", "scripts", "dev.py")
    return [
        (str(BIN / "ruff"), "check", *paths),
        (str(BIN / "ruff"), "format", "--check", *paths),
        (str(BIN / "mypy"),),
        (str(PYTHON), "-m", "pytest", "-q", *pytest_args),
    ]


def run_steps(steps: list[tuple[str, ...]]) -> int:
    """Run the steps in order; the first failing one stops the run with its exit code."""
    for step in steps:
        code = run(*step)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
