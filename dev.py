#!/usr/bin/env python3
"""One-file bootstrap: `python3 dev.py start` runs the bot, `python3 dev.py test` runs every test.

Works on a fresh machine with only Python 3: it creates `.venv/` and installs the exact, hash-checked versions of
requirements.lock, then the project itself (editable, its dev extras included in the lock), the first time or
whenever pyproject.toml or the lock changed, then runs the command inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import platform
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
# Every dependency, dev tools included, pinned with hashes (`python3 dev.py lock` writes both files).
LOCK = ROOT / "requirements.lock"
# The bot's own dependencies only, at the same versions: what the Docker image installs.
RUNTIME_LOCK = ROOT / "deploy" / "requirements-runtime.lock"
# The lock is resolved for the platform of the Docker image and CI; pip-compile resolves for the running one.
LOCK_TARGET = ((3, 11), "linux", "x86_64")
LOCK_TOOLS = ROOT / ".cache" / "lock-tools"
PIP_TOOLS = "pip-tools==7.6.2"
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
  train-rerank [ARGS]  retrain the doc re-ranker and its query adapter (python -m bench.train_rerank; --check compares)
  sandbox [ARGS] run the local support-API sandbox (python -m sandbox [ARGS]; --help for the options)
  lock [ARGS]    regenerate requirements.lock and deploy/requirements-runtime.lock from pyproject.toml with
                 pip-compile (hashes; Linux x86-64, Python 3.11); versions already locked are kept unless ARGS
                 say otherwise: --upgrade, or --upgrade-package NAME[==VERSION]
  setup          only create/refresh .venv
"""


def ensure_env() -> None:
    """Create the virtual environment and install the locked dependencies and the project when missing or outdated."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run (and explain) on older Pythons
        sys.exit(f"Python 3.11 or newer is required (this is {sys.version.split()[0]}).")
    wanted = install_stamp()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("Creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the locked dependencies and the project into .venv (first run only) ...", file=sys.stderr)
    for step in install_steps():
        subprocess.run(step, check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def install_stamp() -> str:
    """What the installed environment was made from: a change to pyproject.toml or the lock reinstalls it."""
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install_steps(python: Path = PYTHON) -> list[list[str]]:
    """The pip commands that install the environment: the lock, hash-checked, then the project on top of it.

    The project is installed without its dependencies (the lock has them all) and without build isolation, so its
    build backend is the locked setuptools rather than whatever the index serves that day.
    """
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    return [
        [*pip, "--require-hashes", "-r", str(LOCK)],
        [*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)],
    ]


def lock(args: list[str]) -> int:
    """Regenerate both lock files with pip-compile (installed, pinned, in a tool environment of its own)."""
    here = (sys.version_info[:2], sys.platform, platform.machine())
    if here != LOCK_TARGET:
        print(
            f"error: the lock is resolved for Python 3.11 on Linux x86-64 (the Docker image and CI), this is "
            f"Python {here[0][0]}.{here[0][1]} on {here[1]} {here[2]}: run `python3 dev.py lock` there "
            "(for example in a python:3.11-slim container)",
            file=sys.stderr,
        )
        return 2
    tools_python = LOCK_TOOLS / BIN.name / PYTHON.name
    if not tools_python.exists():
        print(f"Installing {PIP_TOOLS} into {LOCK_TOOLS.relative_to(ROOT)} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(LOCK_TOOLS)
        subprocess.run(
            [str(tools_python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PIP_TOOLS],
            check=True,
        )
    compile_ = [str(tools_python), "-m", "piptools", "compile", "--quiet"]
    env = {**os.environ, "CUSTOM_COMPILE_COMMAND": "python3 dev.py lock"}
    print(f"Resolving {LOCK.name} (a minute or two) ...", file=sys.stderr)
    for command in lock_commands(compile_, args):
        code = run(*command, env=env)
        if code:
            return code
    return 0


def lock_commands(compile_: list[str], args: list[str]) -> list[tuple[str, ...]]:
    """The two pip-compile runs: the whole lock, then the runtime lock constrained to the same versions."""
    options = ("--generate-hashes", "--allow-unsafe", "--strip-extras", "--no-emit-index-url", "--no-emit-find-links")
    lock_file = LOCK.relative_to(ROOT).as_posix()
    runtime_file = RUNTIME_LOCK.relative_to(ROOT).as_posix()
    # Dev extras and the build backend of the editable install (setuptools) included.
    whole = (*compile_, *options, "--extra", "dev", "--build-deps-for", "editable", "-o", lock_file, *args)
    # The image's packages: the runtime dependencies and the wheel's build backend, at the versions just locked.
    runtime = (*compile_, *options, "--build-deps-for", "wheel", "--upgrade", "-c", lock_file, "-o", runtime_file)
    return [(*whole, "pyproject.toml"), (*runtime, "pyproject.toml")]


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
    if command not in ("start", "test", "bench", "train", "train-rerank", "sandbox", "setup", "lock"):
        print(f"unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    if command == "lock":
        return lock(rest)
    ensure_env()
    if command == "setup":
        return 0
    if command == "start":
        return run(str(PYTHON), "-m", "bot", *rest, env=start_env())
    if command == "bench":
        return run(str(PYTHON), "-m", "bench", *rest)
    if command == "train":
        return run(str(PYTHON), "-m", "bench.train", *rest)
    if command == "train-rerank":
        return run(str(PYTHON), "-m", "bench.train_rerank", *rest)
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
