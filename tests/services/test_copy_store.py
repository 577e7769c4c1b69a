"""`python -m bot copy-store`: a SQLite store copied into an empty PostgreSQL database, and the exports on PostgreSQL.

A SQLite store is filled through the real repositories (every table it has holds rows), copied, then read back
through the PostgreSQL repositories and compared with what the SQLite ones read; the outbox's pending row is then
sent from PostgreSQL, and new rows get ids above the copied ones. The refusals (a target holding data, a missing
file, schemas that differ) and the all-or-nothing transaction are checked too, then `export` and `export-gaps` on
PostgreSQL against the same commands on SQLite. Needs a PostgreSQL server (tests/pg.py; skips without one).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.services.escalations import Escalation
from bot.services.outbox import Outbox
from bot.services.store import SqliteStore
from bot.services.store.postgres import PostgresStore
from bot.services.store.postgres.from_sqlite import CopyFailedError, CopyRefusedError, copy_sqlite_to_postgres
from tests.services.test_escalations_store import new
from tests.services.test_postgres_store import CountingSender
from tests.services.test_store import GUILD, OTHER_GUILD, make_decision, make_reply
from tests.test_cli import run

# Recent enough for the exports' default 30-day window; microseconds kept, to see that none are lost.
BASE = datetime.now(UTC).replace(microsecond=123456) - timedelta(days=2)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
NUL_REASON = "matched \x00 nothing"  # SQLite keeps the NUL; PostgreSQL text cannot: U+FFFD
PASSWORD = "s3cret-pw"


async def fill(store: SqliteStore | PostgresStore) -> None:
    """Write something into every table through the repositories, as the bot does."""
    config, replies, cooldowns, escalations = store.config, store.replies, store.cooldowns, store.escalations
    await config.seed_watch_channels(GUILD, [10, 11])
    await config.update_config(
        GUILD, volunteer_role_ids=[5, 6], staff_role_ids=[7], staff_log_channel_id=99, default_language="de",
        answer_threshold=0.65, channel_cooldown_seconds=45, reminder_period_hours=6, forum_tag_answered="Answered",
        forum_tag_needs_details="Needs details", forum_tag_escalated="Escalated",
    )  # fmt: skip
    await config.update_config(OTHER_GUILD, default_language="fr")
    await config.watch_channel(GUILD, 12, shadow=True)
    await config.watch_channel(OTHER_GUILD, 30)
    await replies.record_reply(make_reply(BASE, reply_message_id=500, source_message_id=400))
    await replies.record_reply(make_reply(BASE, reply_message_id=501, source_message_id=401, kind="remind",
                                          url=None, entry_id=None, confidence=0.3, missing=("error", "steps"),
                                          thread_id=None))  # fmt: skip
    await replies.record_reply(make_reply(BASE + timedelta(hours=1), reply_message_id=502, source_message_id=402,
                                          guild_id=OTHER_GUILD, confidence=0.95, lang="fr"))  # fmt: skip
    await replies.mark_reply_deleted(501, BASE + timedelta(minutes=5))
    await replies.record_decision(make_decision(BASE, message_id=400))
    await replies.record_decision(make_decision(BASE, message_id=401, action="remind", confidence=0.3, top_url=None,
                                                top_title=None, intent="bug_report"))  # fmt: skip
    await replies.record_decision(make_decision(BASE - timedelta(days=1), message_id=403, action="silent",
                                                reason=NUL_REASON, lang="es", intent="chitchat"))  # fmt: skip
    await replies.record_decision(make_decision(BASE + timedelta(hours=1), message_id=402, guild_id=OTHER_GUILD))
    await replies.record_feedback(500, 8, "solved", BASE + timedelta(minutes=1))
    await replies.record_feedback(500, 9, "not_helpful", BASE + timedelta(minutes=2))
    await replies.record_feedback(502, 8, "dismissed", BASE + timedelta(hours=2))
    await replies.record_gap(GUILD, "How do I roll back? write to jane@example.com", BASE, "unanswered")
    await replies.record_gap(GUILD, "Où sont les journaux ?", BASE + timedelta(minutes=3), "not_helpful")
    await replies.record_gap(OTHER_GUILD, "channel rollout percentage", BASE + timedelta(hours=1), "unanswered")
    await cooldowns.set_opt_out(70, True, BASE)
    await cooldowns.set_opt_out(71, True, BASE)
    await cooldowns.set_opt_out(71, False, BASE)  # opted in again: no row
    await cooldowns.note_reminder(GUILD, 7, BASE)
    await cooldowns.note_channel_reply(10, BASE + timedelta(seconds=30))
    await escalations.link_account(7, "acc_7", BASE)
    await escalations.note_link_attempt(7, "request", BASE)
    await escalations.note_link_attempt(7, "confirm", BASE + timedelta(minutes=1))
    pending, _ = await escalations.enqueue_escalation(new("key-pending", created_at=BASE, payload={"subject": "é"}))
    await escalations.mark_escalation_retry(pending.id, error="503 from the API", next_attempt_at=BASE)
    sent, _ = await escalations.enqueue_escalation(new("key-sent", created_at=BASE + timedelta(seconds=1)))
    await escalations.mark_escalation_sent(
        sent.id, ticket_id="T-1", ticket_url="https://t/1", ticket_status="open", now=BASE + timedelta(seconds=2)
    )
    await escalations.mark_user_notice_tried(sent.id, BASE + timedelta(seconds=2))  # its thread was out of reach
    await escalations.mark_escalation_notice(sent.id, "user", BASE + timedelta(seconds=3))
    await escalations.set_ticket_status(sent.id, "pending_customer")
    await escalations.mark_status_checked([sent.id], BASE + timedelta(seconds=4))
    failed, _ = await escalations.enqueue_escalation(new("key-failed", created_at=BASE, severity=1, thread_id=None))
    await escalations.mark_escalation_failed(failed.id, error="validation: app_id")
    await store.incidents.set_incident(("API degraded", "https://status.example.com/i/1"), BASE)
    await store.incidents.note_notified(20, GUILD, BASE)
    await store.incidents.note_notified(21, OTHER_GUILD, BASE + timedelta(seconds=1))
    await store.incidents.record_incidents([("DNS outage", "https://status.example.com/i/0", "identified")], BASE)
    [started] = await store.incidents.owed_notices([GUILD], BASE)
    await store.incidents.claim_notice(started.incident.id, GUILD, "started", BASE + timedelta(seconds=1))
    await store.incidents.record_incidents([("API degraded", "https://status.example.com/i/1", "investigating")],
                                           BASE + timedelta(minutes=1))  # fmt: skip


async def read_all(store: SqliteStore | PostgresStore) -> dict[str, Any]:
    """Everything the repositories can read back of what `fill` wrote."""
    config, replies, stats, cooldowns, escalations = (
        store.config, store.replies, store.stats, store.cooldowns, store.escalations
    )  # fmt: skip
    guilds = (GUILD, OTHER_GUILD)
    rows = await escalations.list_escalations(1, limit=100)
    return {
        "config": [await config.get_config(g) for g in guilds],
        "watched": [await config.watched_channels(g) for g in guilds],
        "is_watched": [await config.is_watched(c) for c in (10, 11, 12, 30, 99)],
        "replies": [await replies.get_reply(r) for r in (500, 501, 502)],
        "reply_lookups": [
            await replies.reply_for_source(401, "remind", include_deleted=True),
            await replies.reply_in_thread(20),
        ],
        "decisions": [await replies.get_decision(m) for m in (400, 401, 402, 403)],
        "decisions_since": await stats.decisions_since(EPOCH),
        "gaps_since": await stats.gaps_since(EPOCH),
        "gap_records": await stats.gap_records_since(EPOCH),
        "feedback": await stats.feedback_since(EPOCH),
        "stats": [await stats.stats(g, EPOCH) for g in guilds],
        "top_gaps": [await stats.top_gaps(g, EPOCH) for g in guilds],
        "daily": [await stats.daily_counts(g, EPOCH) for g in guilds],
        "split": [await stats.action_split(g, EPOCH, by) for g in guilds for by in ("lang", "channel")],
        "bands": [await stats.confidence_bands(g, EPOCH) for g in guilds],
        "opted_out": [await cooldowns.is_opted_out(u) for u in (70, 71, 72)],
        "reminders": [await cooldowns.last_reminder_at(GUILD, 7), await cooldowns.last_reminder_at(GUILD, 8)],
        "channel_replies": [await cooldowns.last_channel_reply_at(c) for c in (10, 11)],
        "links": [await escalations.linked_account(u) for u in (7, 8)],
        "link_attempts": [await escalations.count_link_attempts(7, k, EPOCH) for k in ("request", "confirm")],
        "escalations": rows,
        "by_key": [await escalations.escalation_by_key(e.idempotency_key) for e in rows],
        "by_status": await escalations.count_escalations(),
        "oldest_pending": await escalations.oldest_pending_at(),
        "incident": await store.incidents.current_incident(),
        "notified": await store.incidents.notified_channels(),
        "owed_incident_notices": await store.incidents.owed_notices([GUILD, OTHER_GUILD], EPOCH),
    }


def storable(value: Any) -> Any:
    """`value` as PostgreSQL stores it: NUL characters in text become U+FFFD (everything else is kept)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list | tuple):
        return type(value)(storable(item) for item in value)
    if isinstance(value, dict):
        return {key: storable(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: storable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows per table of the SQLite file (its own bookkeeping tables left out)."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables if t != "sqlite_sequence"}
    finally:
        conn.close()


async def pg_counts(url: str) -> dict[str, int]:
    """Rows per table of the PostgreSQL database (the migrations' bookkeeping left out)."""
    conn = await asyncpg.connect(url)
    try:
        tables = [
            r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables if t != "schema_version"}
    finally:
        await conn.close()


def with_password(url: str) -> str:
    """`url` with a password (the test server trusts its users and ignores it): to check that none is printed."""
    return f"{url}{'&' if '?' in url else '?'}password={PASSWORD}"


@pytest.fixture
async def filled(tmp_path: Path) -> Path:
    """A SQLite store with rows in every table."""
    path = tmp_path / "state" / "bot.sqlite3"
    async with await SqliteStore.open(path) as store:
        await fill(store)
    return path


# -- the copy --------------------------------------------------------------------------------------------------------


async def test_every_table_is_copied_and_reads_back_the_same_on_postgres(filled: Path, pg_url: str) -> None:
    counts = sqlite_counts(filled)
    assert all(counts.values()), f"fill() leaves a table empty: {counts}"  # a new table needs rows in fill()
    report = await copy_sqlite_to_postgres(filled, pg_url)
    assert {t.name: t.rows for t in report.tables} == counts  # every table, each row
    assert [t.name for t in report.tables].index("bot_reply") < [t.name for t in report.tables].index("feedback")
    assert report.replaced_text == 1 and report.rows == sum(counts.values())
    assert await pg_counts(pg_url) == counts
    async with await SqliteStore.open(filled) as sqlite, await PostgresStore.open(pg_url) as postgres:
        expected, copied = await read_all(sqlite), await read_all(postgres)
    assert copied == storable(expected)
    assert NUL_REASON.replace("\x00", "\ufffd") in {d.reason for d in copied["decisions"]}
    states = {e.idempotency_key: e for e in copied["escalations"]}
    assert states["key-pending"].status == "pending" and states["key-pending"].attempts == 1
    assert states["key-sent"].user_notified_at is not None and states["key-sent"].ticket_status == "pending_customer"
    assert states["key-sent"].status_checked_at == BASE + timedelta(seconds=4)
    assert states["key-sent"].user_notice_tried_at == BASE + timedelta(seconds=2)


async def test_the_copied_outbox_sends_its_pending_row_and_new_ids_follow_the_copied_ones(
    filled: Path, pg_url: str
) -> None:
    await copy_sqlite_to_postgres(filled, pg_url)
    async with await PostgresStore.open(pg_url) as store:
        before: list[Escalation] = await store.escalations.list_escalations(1, limit=100)
        pending = next(e for e in before if e.status == "pending")
        sender = CountingSender()
        outbox = Outbox(store.escalations, sender, lambda payload: payload, clock=lambda: BASE + timedelta(minutes=1))
        stats = await outbox.drain_once()
        assert stats.sent == 1 and sender.calls == {"key-pending": 1}  # the same key: the API's same ticket
        sent = await store.escalations.get_escalation(pending.id)
        assert sent is not None and sent.status == "sent" and sent.ticket_id == "T-key-pending"
        assert await store.escalations.count_escalations() == {"sent": 2, "failed": 1}
        row, created = await store.escalations.enqueue_escalation(new("key-new", created_at=BASE))
        assert created and row.id > max(e.id for e in before)
        again, created = await store.escalations.enqueue_escalation(new("key-sent"))
        assert not created and again.status == "sent"  # a copied key still deduplicates
        old_gaps = await store.stats.gap_records_since(EPOCH)
        await store.replies.record_gap(GUILD, "a new question", BASE + timedelta(hours=3), "unanswered")
        new_gap = (await store.stats.gap_records_since(BASE + timedelta(hours=3)))[-1]
        assert new_gap.id > max(g.id for g in old_gaps)


async def test_a_sqlite_sequence_above_the_copied_ids_is_kept(filled: Path, pg_url: str) -> None:
    conn = sqlite3.connect(filled)
    with conn:  # AUTOINCREMENT remembers deleted rows' ids; PostgreSQL must not hand them out again
        conn.execute("UPDATE sqlite_sequence SET seq = 40 WHERE name = 'escalation'")
    conn.close()
    await copy_sqlite_to_postgres(filled, pg_url)
    async with await PostgresStore.open(pg_url) as store:
        row, _ = await store.escalations.enqueue_escalation(new("key-after"))
    assert row.id == 41


async def test_a_target_holding_data_is_refused_and_left_alone(filled: Path, pg_url: str) -> None:
    async with await PostgresStore.open(pg_url) as store:
        await store.cooldowns.set_opt_out(5, True, BASE)
    with pytest.raises(CopyRefusedError, match=r"already holds data \(in opt_out\)"):
        await copy_sqlite_to_postgres(filled, pg_url)
    assert {t: n for t, n in (await pg_counts(pg_url)).items() if n} == {"opt_out": 1}


async def test_a_value_that_does_not_convert_rolls_the_whole_copy_back(filled: Path, pg_url: str) -> None:
    conn = sqlite3.connect(filled)
    with conn:  # written by hand (the store never does): copied after most other tables went in
        conn.execute("UPDATE incident_notice SET noted_at = 'yesterday' WHERE channel_id = 21")
    conn.close()
    with pytest.raises(CopyFailedError, match=r"incident_notice\.noted_at: a stored value is not an ISO-8601"):
        await copy_sqlite_to_postgres(filled, pg_url)
    assert set((await pg_counts(pg_url)).values()) == {0}


async def test_a_row_postgres_refuses_rolls_back_and_the_message_quotes_no_stored_text(
    filled: Path, pg_url: str
) -> None:
    conn = sqlite3.connect(filled)
    with conn:  # SQLite's length() stops at a NUL, so its CHECK (length <= 300) lets this through; PostgreSQL's not
        conn.execute(
            "INSERT INTO gap (guild_id, question, source, created_at) VALUES (1, ?, 'unanswered', ?)",
            ("x\x00" + "private words " * 30, "2026-11-22T12:00:00.000000+00:00"),
        )
    conn.close()
    with pytest.raises(CopyFailedError, match=r"while copying table gap .*CheckViolationError") as caught:
        await copy_sqlite_to_postgres(filled, pg_url)
    assert "private" not in str(caught.value), str(caught.value)
    assert set((await pg_counts(pg_url)).values()) == {0}


async def test_schemas_that_differ_are_refused_before_anything_is_written(filled: Path, pg_url: str) -> None:
    conn = sqlite3.connect(filled)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("ALTER TABLE opt_out ADD COLUMN reason TEXT")
    conn.close()
    with pytest.raises(
        CopyRefusedError, match=r"\(opt_out has no column reason in PostgreSQL; table notes has no PostgreSQL twin\)"
    ):
        await copy_sqlite_to_postgres(filled, pg_url)
    assert set((await pg_counts(pg_url)).values()) == {0}


# -- the command -----------------------------------------------------------------------------------------------------


async def test_copy_store_command_prints_the_counts_and_never_the_password(filled: Path, pg_url: str) -> None:
    env = {"DATABASE_PATH": str(filled), "DATABASE_URL": with_password(pg_url)}
    proc = await asyncio.to_thread(run, "copy-store", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "password=***" in proc.stdout and PASSWORD not in proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.split() == ["escalation", "3"] for line in lines)
    counts = sqlite_counts(filled)
    assert f"{sum(counts.values())} rows in {len(counts)} tables, counts verified" in lines[-2]
    assert "1 text value(s) held NUL characters" in lines[-1]
    again = await asyncio.to_thread(run, "copy-store", "--from", str(filled), "--to", with_password(pg_url))
    error = again.stderr.splitlines()[-1]  # the lines above: the log of opening both databases
    assert again.returncode == 1 and error.startswith("error: PostgreSQL at ") and "already holds data" in error
    assert PASSWORD not in again.stdout + again.stderr and "Traceback" not in again.stderr


async def test_copy_store_command_refuses_a_missing_file_or_target(tmp_path: Path, pg_url: str) -> None:
    missing = tmp_path / "none.sqlite3"
    proc = await asyncio.to_thread(run, "copy-store", env={"DATABASE_PATH": str(missing), "DATABASE_URL": pg_url})
    assert proc.returncode == 1 and proc.stderr.strip() == (
        f"error: no SQLite database at {missing} (setting DATABASE_PATH): nothing to copy"
    )
    assert not missing.exists()  # never created
    proc = await asyncio.to_thread(run, "copy-store", env={"DATABASE_PATH": str(missing), "DATABASE_URL": ""})
    assert proc.returncode == 2 and "set DATABASE_URL (or give --to URL)" in proc.stderr
    proc = await asyncio.to_thread(run, "copy-store", "--to", f"mysql://u:{PASSWORD}@h/db")
    assert proc.returncode == 2 and "postgresql://" in proc.stderr and PASSWORD not in proc.stderr
    assert set((await pg_counts(pg_url)).values()) == {0}


# -- export and export-gaps read the configured store ----------------------------------------------------------------


async def test_export_on_postgres_writes_the_same_files_as_on_sqlite(filled: Path, pg_url: str, tmp_path: Path) -> None:
    async with await PostgresStore.open(pg_url) as store:
        await fill(store)  # the same rows, written by the PostgreSQL repositories (no copy involved)
    for_sqlite = {"DATABASE_PATH": str(filled), "DATABASE_URL": ""}
    for_postgres = {"DATABASE_PATH": str(tmp_path / "absent.sqlite3"), "DATABASE_URL": with_password(pg_url)}
    outputs = []
    for name, env in (("sqlite", for_sqlite), ("postgres", for_postgres)):
        folder = tmp_path / name
        proc = await asyncio.to_thread(run, "export", "--days", "30", "--out", str(folder), env=env)
        assert proc.returncode == 0, proc.stderr
        gaps = await asyncio.to_thread(run, "export-gaps", "--days", "30", env=env)
        assert gaps.returncode == 0, gaps.stderr
        assert PASSWORD not in proc.stderr + gaps.stderr
        # PostgreSQL holds the NUL of one decision's reason as U+FFFD
        files = {p.name: p.read_bytes().replace(b"\x00", "\ufffd".encode()) for p in sorted(folder.iterdir())}
        # stderr's last line is the command's summary (the lines above: the log, naming the database)
        summary, gap_summary = proc.stderr.splitlines()[-1].split(" to ")[0], gaps.stderr.splitlines()[-1]
        outputs.append((files, summary, gaps.stdout, gap_summary))
    assert outputs[0] == outputs[1]
    files, summary, gap_lines, _ = outputs[1]
    assert summary == "exported 4 decisions, 3 gaps, 3 feedback from the last 30 days"
    assert len(gap_lines.splitlines()) == 3 and "jane@example.com" not in gap_lines
    assert not (tmp_path / "absent.sqlite3").exists()  # PostgreSQL was read, no SQLite file was made


async def test_export_with_an_unreachable_postgres_is_one_line_without_the_password(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    url = f"postgresql://bot:{PASSWORD}@127.0.0.1:{unused_tcp_port}/triage"
    proc = await asyncio.to_thread(run, "export-gaps", env={"DATABASE_URL": url})
    assert proc.returncode == 1 and proc.stderr.startswith("error: cannot reach PostgreSQL at postgresql://bot:***@")
    assert PASSWORD not in proc.stderr and "Traceback" not in proc.stderr
