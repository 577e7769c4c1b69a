"""SqliteStore.open refuses an unusable database at start, with one message naming the file and what to do.

Real files and real SQLite: random bytes, a real database with pages overwritten, a directory, a path below a
file, read-only folders and files (only where permissions are enforced: root ignores them).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.services.store import MIGRATIONS_DIR, DatabaseUnusableError, SqliteStore
from bot.services.store.database import _unusable
from tests.db_faults import make_damaged_database, make_random_file

LATEST = len(list(MIGRATIONS_DIR.glob("*.sql")))
ROOT_IGNORES_PERMISSIONS = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: chmod does not stop root, so a read-only folder or file cannot be made",
)


async def refused(path: Path) -> DatabaseUnusableError:
    with pytest.raises(DatabaseUnusableError) as caught:
        store = await SqliteStore.open(path)
        await store.close()
    message = str(caught.value)
    assert "\n" not in message and str(path) in message  # one line, naming the file
    return caught.value


async def test_a_file_of_random_bytes_is_not_a_database(tmp_path: Path) -> None:
    path = make_random_file(tmp_path / "bot.sqlite3")
    error = await refused(path)
    assert "is not a SQLite database" in str(error) and "move it away" in str(error)
    assert error.bad_setting is False
    assert path.read_bytes()[:16] != b"SQLite format 3\x00"  # left as it was: nothing written over it


async def test_a_database_with_damaged_pages_is_refused_by_quick_check(tmp_path: Path) -> None:
    path = await asyncio.to_thread(make_damaged_database, tmp_path / "bot.sqlite3")
    before = path.read_bytes()
    error = await refused(path)
    assert f"database {path} is damaged (quick_check: " in str(error)
    assert "restore a backup or move it away to start fresh" in str(error)
    assert error.bad_setting is False
    assert path.read_bytes() == before  # refused before any migration or write


async def test_a_directory_as_the_database_path_is_a_bad_setting(tmp_path: Path) -> None:
    error = await refused(tmp_path)
    assert "is a directory" in str(error) and "DATABASE_PATH" in str(error)
    assert error.bad_setting is True


async def test_a_path_below_a_file_is_a_bad_setting(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a folder")
    error = await refused(tmp_path / "notes.txt" / "state" / "bot.sqlite3")
    assert f"{tmp_path / 'notes.txt'} is a file, not a folder" in str(error) and "DATABASE_PATH" in str(error)
    assert error.bad_setting is True


@ROOT_IGNORES_PERMISSIONS
async def test_a_read_only_folder_is_refused_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        error = await refused(folder / "bot.sqlite3")
        assert f"the folder {folder} is not writable" in str(error)
        error = await refused(folder / "sub" / "bot.sqlite3")
        assert "permission denied" in str(error)
    finally:
        folder.chmod(0o755)


@ROOT_IGNORES_PERMISSIONS
async def test_a_read_only_database_file_is_refused_at_start_not_at_the_first_write(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SqliteStore.open(path)  # current schema: opening it again needs no migration
    await store.close()
    path.chmod(0o444)
    try:
        error = await refused(path)
        assert "readonly" in str(error) and "not readable and writable" in str(error)
    finally:
        path.chmod(0o644)


async def test_a_healthy_database_passes_the_checks_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SqliteStore.open(path)
    await store.cooldowns.set_opt_out(5, True, datetime(2026, 1, 1, tzinfo=UTC))
    await store.close()
    store = await SqliteStore.open(path)
    try:
        assert store.schema_version == LATEST
        assert await store.cooldowns.is_opted_out(5) is True  # the write probe rolled back, nothing else
    finally:
        await store.close()


def test_a_full_disk_names_the_file_and_the_fix(tmp_path: Path) -> None:
    # A real SQLITE_FULL ("database or disk is full"), from a page limit (a real full file system, a private tmpfs:
    # tests/services/test_store_faults.py).
    db = sqlite3.connect(tmp_path / "tiny.sqlite3")
    db.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as caught:
        db.execute("CREATE TABLE a (x)")
        db.execute("CREATE TABLE b (x)")
        db.execute("CREATE TABLE c (x)")
    db.close()
    assert caught.value.sqlite_errorcode == sqlite3.SQLITE_FULL
    error = _unusable("/data/bot.sqlite3", caught.value)
    assert str(error) == (
        "cannot write database /data/bot.sqlite3: the disk is full (database or disk is full); free space on it "
        "or set DATABASE_PATH to another disk"
    )
