"""Start-up in a state the bot cannot run in: one `error:` line naming the setting or file, no traceback.

`python -m bot` (Discord mode: DISCORD_TOKEN set) and `python -m bot export-gaps` in a subprocess, against real
files: random bytes, a real database with damaged pages, a directory, a path below a file, a read-only folder
(only where permissions are enforced), and a Discord API on a closed loopback port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.db_faults import make_damaged_database, make_random_file

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TOKEN = "MTIz.fake-token-for-start-up-tests.abc"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(database: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the bot as a user would; Discord is a closed local port unless `env` says otherwise."""
    port = closed_port()
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=90,
        env={
            **os.environ,
            "DISCORD_TOKEN": TOKEN,
            "DATABASE_PATH": str(database),
            "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
            "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
            "FAQ_PATH": str(DATA / "faq"),
            "DOCS_PATH": str(DATA / "docs"),
            "STATUS_URL": "off",
            "LOG_LEVEL": "WARNING",
            **env,
        },
        check=False,
    )


def one_error(proc: subprocess.CompletedProcess, code: int) -> str:
    """Assert the run failed with `code` and said why in exactly one `error:` line, no traceback; return it."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert TOKEN not in proc.stderr + proc.stdout
    return errors[0]


def proc_stderr_is_only(proc: subprocess.CompletedProcess, line: str) -> bool:
    """export-gaps logs nothing else: the line is the whole of stderr."""
    return one_error(proc, 1) == line and proc.stderr.strip() == line


def test_random_bytes_as_the_database(tmp_path: Path) -> None:
    path = make_random_file(tmp_path / "bot.sqlite3")
    line = one_error(start(path), 1)
    assert line.startswith(f"error: {path} is not a SQLite database") and "move it away" in line
    assert proc_stderr_is_only(start(path, "export-gaps"), line)


def test_a_database_with_damaged_pages_is_refused_at_start(tmp_path: Path) -> None:
    path = make_damaged_database(tmp_path / "bot.sqlite3")
    line = one_error(start(path), 1)
    assert line.startswith(f"error: database {path} is damaged (quick_check: ")
    assert line.endswith("restore a backup or move it away to start fresh")
    assert proc_stderr_is_only(start(path, "export-gaps"), line)


def test_a_directory_as_database_path_is_a_configuration_error(tmp_path: Path) -> None:
    line = one_error(start(tmp_path), 2)
    assert f"database path {tmp_path} is a directory" in line and "DATABASE_PATH" in line
    assert one_error(start(tmp_path, "export-gaps"), 2) == line


def test_a_database_path_below_a_file_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("a file, not a folder")
    line = one_error(start(tmp_path / "file" / "db.sqlite3"), 2)
    assert f"{tmp_path / 'file'} is a file, not a folder" in line and "DATABASE_PATH" in line


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: chmod does not stop root, so a read-only folder cannot be made",
)
def test_a_read_only_folder_is_refused_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = one_error(start(folder / "bot.sqlite3"), 1)
    finally:
        folder.chmod(0o755)
    assert f"the folder {folder} is not writable" in line and "DATABASE_PATH" in line


def test_discord_unreachable_names_the_url_and_the_setting(tmp_path: Path) -> None:
    port = closed_port()
    proc = start(tmp_path / "bot.sqlite3", DISCORD_API_BASE=f"http://127.0.0.1:{port}/api/v10")
    line = one_error(proc, 1)
    assert line.startswith(f"error: cannot reach Discord at http://127.0.0.1:{port}/api/v10: ")
    assert line.endswith("check the network or DISCORD_API_BASE")


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DISCORD_API_BASE", "not a url"),
        ("DISCORD_API_BASE", "http://user:secret@127.0.0.1:1/api/v10"),
        ("DISCORD_GATEWAY_URL", "https://gateway.example"),
    ],
)
def test_a_malformed_discord_url_is_a_configuration_error(tmp_path: Path, setting: str, value: str) -> None:
    proc = start(tmp_path / "bot.sqlite3", **{setting: value})
    line = one_error(proc, 2)
    assert line.startswith(f"error: {setting} must be a ") and "secret" not in proc.stderr
