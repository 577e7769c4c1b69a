"""The store under process and disk faults: SIGKILL during writes, a real full file system, unstorable text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.services.store import SqliteStore
from tests.store_faults import NOW, decision, disk_full, kill_cycles, unshare_available


def test_kill_9_during_writes_loses_and_tears_nothing(tmp_path: Path) -> None:
    results = kill_cycles(tmp_path / "killed.db", cycles=4, seed=3)
    for cycle, result in enumerate(results, start=1):
        assert result.ok, (cycle, result.integrity, result.problems)
        assert result.partial_tail <= cycle  # at most the id in flight at each kill
    assert results[-1].decisions >= 4 * 5


def test_full_disk_fails_the_write_keeps_the_rows_and_recovers(tmp_path: Path) -> None:
    mount = tmp_path / "small-fs"
    mount.mkdir()
    why = unshare_available(mount)
    if why:
        pytest.skip(f"no small file system to fill: {why}")
    report = disk_full(2 * 1024 * 1024, tmp=mount)
    assert report["error_code"] == sqlite3.SQLITE_FULL, report  # "database or disk is full", not a torn file
    assert report["acknowledged"] > 0 and report["readable"], report
    assert report["restart_on_full_disk"] == "opened" or "disk is full" in report["restart_on_full_disk"], report
    assert (report["integrity"], report["lost"], report["incomplete"]) == ("ok", 0, 0), report


async def test_text_with_lone_surrogates_is_stored(tmp_path: Path) -> None:
    # A JSON string may hold "\ud800"; SQLite only stores UTF-8. Found by the hostile corpus: the gap of such a
    # message raised UnicodeEncodeError in the watcher.
    async with await SqliteStore.open(tmp_path / "bot.db") as store:
        await store.replies.record_gap(1, "rollback \ud800 bundle \udfff?", NOW, "unanswered")
        odd = decision(1)
        await store.replies.record_decision(type(odd)(**{**_fields(odd), "reason": "why \ud83d"}))
        assert await store.replies.get_decision(1) is not None
        assert (await store.replies.get_decision(1)).reason == "why \ufffd"
        gaps = await store.stats.top_gaps(1, NOW.replace(year=2000))
        assert gaps == [("rollback \ufffd bundle \ufffd?", 1)]


def _fields(record) -> dict:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}
