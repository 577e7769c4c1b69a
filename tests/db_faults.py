"""Damaged database files for start-up tests: real SQLite files, broken the way disks and people break them.

make_random_file(path)       # bytes that are not a database at all
make_damaged_database(path)  # a real bot database with data, some pages in the middle overwritten with garbage
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.services.store import SqliteStore

PAGE = 4096


def make_random_file(path: Path, size: int = 20_000) -> Path:
    path.write_bytes(random.Random(11).randbytes(size))
    return path


def make_damaged_database(path: Path, rows: int = 2000) -> Path:
    """Create a migrated bot database holding `rows` gaps, then overwrite three pages in its middle."""

    async def create() -> None:
        store = await SqliteStore.open(path)
        await store.close()

    asyncio.run(create())
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        with db:
            db.executemany(
                "INSERT INTO gap (guild_id, question, source, created_at) VALUES (?, ?, 'unanswered', ?)",
                [(1, f"question number {i} about rolling back a bundle on android " * 3, now) for i in range(rows)],
            )
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file, none left in the WAL
    finally:
        db.close()
    pages = path.stat().st_size // PAGE
    assert pages > 20, pages
    garbage = random.Random(7).randbytes(3 * PAGE)
    with path.open("r+b") as file:
        file.seek((pages // 2) * PAGE)
        file.write(garbage)
    return path
