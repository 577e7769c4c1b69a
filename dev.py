#!/usr/bin/env python3
"""One-file bootstrap: `python3 dev.py start` runs the bot, `python3 dev.py test` runs every test.

Works on a fresh machine with only Python 3: it creates `.venv/` and installs the project (with its dev
extras) the first time, or whenever pyproject.toml changed, then runs the command inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

commands:
  start [ARGS]   run the bot (python -m bot [ARGS]); without DISCORD_TOKEN: the offline console
  test [ARGS]    lint (ruff) and run the whole test suite (pytest [ARGS])
  bench [NAME]   run the benchmarks (quality, speed, discord, outbox; calibrate) and print their tables
  train [ARGS]   retrain the understanding models from the labelled sets (python -m bench.train; --check compares)
  sandbox [ARGS] run the local support-API sandbox (python -m bot.sandbox [ARGS]; --help for the options)
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


def run(*command: str) -> int:
    """Run a command from the project root, returning its exit code."""
    return subprocess.call(list(command), cwd=ROOT)


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
        return run(str(PYTHON), "-m", "bot", *rest)
    if command == "bench":
        return run(str(PYTHON), "-m", "bench", *rest)
    if command == "train":
        return run(str(PYTHON), "-m", "bench.train", *rest)
    if command == "sandbox":
        return run(str(PYTHON), "-m", "bot.sandbox", *rest)
    lint = run(str(BIN / "ruff"), "check", "bot", "tests", "bench", "scripts", "dev.py")
    fmt = run(str(BIN / "ruff"), "format", "--check", "bot", "tests", "bench", "scripts", "dev.py")
    tests = run(str(PYTHON), "-m", "pytest", "-q", *rest)
    return tests or lint or fmt


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
