"""`python -m bot export`: the CSV files of `/stats export:True`, from the command line (run as a user would)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.store import SqliteStore
from tests.services.test_store import GUILD, OTHER_GUILD, make_decision, make_reply
from tests.test_cli import run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite3"

    async def fill() -> None:
        async with await SqliteStore.open(path) as store:
            now = datetime.now(UTC)
            await store.replies.record_decision(make_decision(now - timedelta(days=1), message_id=1))
            await store.replies.record_decision(make_decision(now - timedelta(days=2), message_id=2, action="silent"))
            await store.replies.record_decision(make_decision(now - timedelta(days=90), message_id=3))
            await store.replies.record_decision(make_decision(now, message_id=4, guild_id=OTHER_GUILD))
            await store.replies.record_reply(
                make_reply(now - timedelta(days=1), reply_message_id=11, source_message_id=1)
            )
            await store.replies.record_feedback(11, 8, "not_helpful", now)
            await store.replies.record_gap(GUILD, "Où sont les journaux ? écrire à jane@example.com", now, "unanswered")

    asyncio.run(fill())
    return path


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_all_writes_three_csv_files_into_a_folder(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out" / "stats"
    proc = run("export", "--days", "30", "--out", str(folder), env={"DATABASE_PATH": str(db)})
    assert proc.returncode == 0, proc.stderr
    assert "exported 3 decisions, 1 gaps, 1 feedback from the last 30 days" in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["decisions.csv", "feedback.csv", "gaps.csv"]
    decisions = table((folder / "decisions.csv").read_text(encoding="utf-8"))
    assert [d["message_id"] for d in decisions] == ["2", "1", "4"]  # oldest first, every guild
    assert "author_id" not in decisions[0] and decisions[0]["created_at"].endswith("+00:00")
    gaps = table((folder / "gaps.csv").read_text(encoding="utf-8"))
    assert gaps[0]["question"].startswith("où sont les journaux ?") and "jane@example.com" not in gaps[0]["question"]
    feedback = table((folder / "feedback.csv").read_text(encoding="utf-8"))
    assert feedback[0]["kind"] == "not_helpful" and "user_id" not in feedback[0]


def test_export_one_kind_to_stdout_or_a_file_and_one_guild(db: Path, tmp_path: Path) -> None:
    proc = run("export", "--what", "decisions", "--guild", str(GUILD), env={"DATABASE_PATH": str(db)})
    assert proc.returncode == 0, proc.stderr
    assert [d["message_id"] for d in table(proc.stdout)] == ["2", "1"]
    out = tmp_path / "gaps.csv"
    proc = run("export", "--what", "gaps", "--days", "7", "--out", str(out), env={"DATABASE_PATH": str(db)})
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"created_at,guild_id,source,question\r\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0", "--out", "x"], "--days must be 1..3650"),
        (["--what", "all"], "--what all writes three files: give a folder with --out DIR"),
    ],
)
def test_export_refuses_bad_arguments(db: Path, args: list[str], message: str) -> None:
    proc = run("export", *args, env={"DATABASE_PATH": str(db)})
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_export_without_a_database_or_to_an_unwritable_place_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    proc = run("export", "--what", "gaps", env={"DATABASE_PATH": str(tmp_path / "none.sqlite3")})
    assert proc.returncode == 1 and "no database at" in proc.stderr and "Traceback" not in proc.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = run("export", "--out", str(blocker / "stats"), env={"DATABASE_PATH": str(db)})
    assert proc.returncode == 1 and "cannot write" in proc.stderr and "--out folder" in proc.stderr
    assert "Traceback" not in proc.stderr
