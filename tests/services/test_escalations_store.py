from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.escalations import Escalation, NewEscalation
from bot.services.store import Database, SqliteStore
from bot.services.store._convert import ts
from bot.services.store.escalations import _INSERT as SQLITE_INSERT
from bot.services.store.escalations import new_escalation_row
from bot.services.store.postgres import PgDatabase, PostgresStore
from bot.services.store.postgres.escalations import _INSERT as PG_INSERT
from tests.services.conftest import Backend

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def new(key: str = "k-1", **changes: object) -> NewEscalation:
    values = {
        "idempotency_key": key, "guild_id": 1, "channel_id": 2, "thread_id": 3, "source_message_id": 4,
        "requester_id": 5, "opened_by": 5, "account_id": "acc_1", "org_id": "org_1", "app_id": "com.demo.team",
        "tier": "team",
        "category": "live_updates", "severity": 2, "lang": "en", "payload": {"subject": "s"}, "created_at": NOW,
    }  # fmt: skip
    values.update(changes)
    return NewEscalation(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(any_store: SqliteStore | PostgresStore) -> SqliteStore | PostgresStore:
    """A SQLite file, then PostgreSQL (tests/services/conftest.py)."""
    return any_store


async def test_enqueue_is_idempotent_per_key(store: SqliteStore) -> None:
    first, created = await store.escalations.enqueue_escalation(new())
    again, created_again = await store.escalations.enqueue_escalation(new(payload={"subject": "other"}))
    assert created and not created_again
    assert first.id == again.id and again.status == "pending" and again.payload == {"subject": "s"}
    assert await store.escalations.count_escalations() == {"pending": 1}


async def test_due_retry_sent_and_notices(store: SqliteStore) -> None:
    row, _ = await store.escalations.enqueue_escalation(new())
    assert [e.id for e in await store.escalations.due_escalations(NOW)] == [row.id]
    await store.escalations.mark_escalation_retry(row.id, error="503", next_attempt_at=NOW + timedelta(seconds=30))
    assert await store.escalations.due_escalations(NOW) == []
    assert await store.escalations.next_due_at() == NOW + timedelta(seconds=30)
    retried = await store.escalations.get_escalation(row.id)
    assert retried.attempts == 1 and retried.last_error == "503"
    await store.escalations.mark_escalation_sent(
        row.id, ticket_id="T-1", ticket_url="https://t/1", ticket_status="open", now=NOW
    )
    sent = await store.escalations.get_escalation(row.id)
    assert sent.status == "sent" and sent.ticket_id == "T-1" and sent.attempts == 2
    assert [e.id for e in await store.escalations.escalations_needing_notice("user")] == [row.id]
    assert await store.escalations.mark_escalation_notice(row.id, "user", NOW) is True
    assert await store.escalations.mark_escalation_notice(row.id, "user", NOW) is False  # never twice
    assert await store.escalations.escalations_needing_notice("user") == []
    assert [e.id for e in await store.escalations.open_tickets()] == [row.id]


async def test_failed_and_stuck(store: SqliteStore) -> None:
    old, _ = await store.escalations.enqueue_escalation(new("old", created_at=NOW - timedelta(hours=2)))
    fresh, _ = await store.escalations.enqueue_escalation(new("fresh"))
    stuck = await store.escalations.stuck_escalations(NOW - timedelta(hours=1))
    assert [e.id for e in stuck] == [old.id]
    await store.escalations.mark_escalation_notice(old.id, "stuck", NOW)
    assert await store.escalations.stuck_escalations(NOW - timedelta(hours=1)) == []
    await store.escalations.mark_escalation_failed(fresh.id, error="validation: severity")
    assert [e.id for e in await store.escalations.list_escalations(1, status="failed")] == [fresh.id]
    assert len(await store.escalations.list_escalations(1)) == 2


async def test_links_and_attempts_survive_a_restart(backend: Backend) -> None:
    store = await backend.open_store()
    await store.escalations.link_account(42, "acc_9", NOW)
    await store.escalations.note_link_attempt(42, "request", NOW)
    await store.escalations.note_link_attempt(42, "request", NOW - timedelta(hours=2))
    await store.escalations.enqueue_escalation(new())
    await store.close()
    store = await backend.open_store()
    try:
        assert await store.escalations.linked_account(42) == "acc_9"
        assert await store.escalations.count_link_attempts(42, "request", NOW - timedelta(hours=1)) == 1
        assert len(await store.escalations.due_escalations(NOW)) == 1  # the outbox survives a restart
        assert await store.escalations.unlink_account(42) is True
        assert await store.escalations.linked_account(42) is None
        with pytest.raises(ValueError, match="severity"):
            await store.escalations.enqueue_escalation(new("bad", severity=7))
    finally:
        await store.close()


async def test_only_a_failed_escalation_is_requeued(store: SqliteStore) -> None:
    failed, _ = await store.escalations.enqueue_escalation(new("failed"))
    pending, _ = await store.escalations.enqueue_escalation(new("pending"))
    await store.escalations.mark_escalation_failed(failed.id, error="validation: subject")
    assert await store.escalations.requeue_failed_escalation(pending.id, NOW) is False
    assert await store.escalations.requeue_failed_escalation(failed.id, NOW + timedelta(minutes=5)) is True
    requeued = await store.escalations.get_escalation(failed.id)
    assert requeued.status == "pending" and requeued.attempts == 1 and requeued.idempotency_key == "failed"
    assert requeued.next_attempt_at == NOW + timedelta(minutes=5) and requeued.payload == {"subject": "s"}
    assert await store.escalations.requeue_failed_escalation(failed.id, NOW) is False  # pending again: nothing to do
    await store.escalations.mark_escalation_sent(
        failed.id, ticket_id="T-1", ticket_url="u", ticket_status="open", now=NOW
    )
    assert await store.escalations.requeue_failed_escalation(failed.id, NOW) is False  # a sent ticket is never resent


async def test_the_submitting_worker_claims_a_pending_row_not_a_sent_one(store: SqliteStore) -> None:
    row, _ = await store.escalations.enqueue_escalation(new("claim"))
    assert await store.escalations.claim_escalation(row.id, NOW) is True
    await store.escalations.mark_escalation_sent(row.id, ticket_id="T-1", ticket_url="u", ticket_status="open", now=NOW)
    assert await store.escalations.claim_escalation(row.id, NOW) is False


# -- issue 10: the housekeeping reads of one process's guilds (shards over one database) -----------------------------

OURS, THEIRS = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002  # snowflakes of today's size (beyond 2**53)


async def sent(store: SqliteStore, key: str, guild_id: int) -> int:
    """Queue and send an escalation of `guild_id`; return its id."""
    row, _ = await store.escalations.enqueue_escalation(new(key, guild_id=guild_id))
    await store.escalations.mark_escalation_sent(
        row.id, ticket_id=f"T-{key}", ticket_url="u", ticket_status="open", now=NOW
    )
    return row.id


def ids(rows: list[Escalation]) -> list[int]:
    return [row.id for row in rows]


async def test_housekeeping_reads_keep_the_given_guilds_before_the_limit(store: SqliteStore) -> None:
    escalations, old = store.escalations, NOW - timedelta(hours=1)
    # Another shard's rows come first (lower ids): with the limit applied before the guild, they would crowd ours out.
    theirs = [await sent(store, f"theirs-{i}", THEIRS) for i in range(3)]
    ours = await sent(store, "ours", OURS)
    stuck_theirs, _ = await escalations.enqueue_escalation(new("stuck-theirs", guild_id=THEIRS, created_at=old))
    stuck_ours, _ = await escalations.enqueue_escalation(new("stuck-ours", guild_id=OURS, created_at=old))
    before = NOW - timedelta(minutes=30)

    assert ids(await escalations.escalations_needing_notice("user", limit=1, guild_ids=[OURS])) == [ours]
    assert ids(await escalations.open_tickets(limit=1, guild_ids=[OURS])) == [ours]
    assert ids(await escalations.stuck_escalations(before, limit=1, guild_ids=[OURS])) == [stuck_ours.id]
    assert ids(await escalations.escalations_needing_notice("staff", guild_ids={THEIRS})) == theirs
    assert ids(await escalations.open_tickets(guild_ids=(THEIRS,))) == theirs
    assert ids(await escalations.stuck_escalations(before, guild_ids=[THEIRS])) == [stuck_theirs.id]
    # None: every guild (one process); several guilds; no guild at all: no row.
    for guild_ids in (None, [OURS, THEIRS]):
        assert ids(await escalations.escalations_needing_notice("user", guild_ids=guild_ids)) == [*theirs, ours]
        assert ids(await escalations.open_tickets(guild_ids=guild_ids)) == [*theirs, ours]
        assert ids(await escalations.stuck_escalations(before, guild_ids=guild_ids)) == [stuck_theirs.id, stuck_ours.id]
    assert await escalations.escalations_needing_notice("user", guild_ids=[]) == []
    assert await escalations.open_tickets(guild_ids=[]) == []
    assert await escalations.stuck_escalations(before, guild_ids=[]) == []


async def test_a_rejection_notice_is_owed_once_per_rejection(store: SqliteStore) -> None:
    escalations = store.escalations
    rejected, _ = await escalations.enqueue_escalation(new("rejected", guild_id=OURS))
    accepted = await sent(store, "accepted", OURS)
    assert await escalations.escalations_needing_notice("failed") == []  # pending: nothing to say yet
    await escalations.mark_escalation_failed(rejected.id, error="validation: subject")
    assert ids(await escalations.escalations_needing_notice("failed", guild_ids=[OURS])) == [rejected.id]
    assert await escalations.escalations_needing_notice("failed", guild_ids=[THEIRS]) == []
    assert ids(await escalations.escalations_needing_notice("user")) == [accepted]  # a rejection owes no ticket notice
    assert await escalations.mark_escalation_notice(rejected.id, "failed", NOW) is True
    assert await escalations.mark_escalation_notice(rejected.id, "failed", NOW) is False  # never twice
    assert await escalations.escalations_needing_notice("failed") == []
    # Submitted again and rejected again: a new rejection, told again (once).
    assert await escalations.requeue_failed_escalation(rejected.id, NOW) is True
    requeued = await escalations.get_escalation(rejected.id)
    assert requeued is not None and requeued.failure_notified_at is None
    assert await escalations.escalations_needing_notice("failed") == []  # pending again
    await escalations.mark_escalation_failed(rejected.id, error="validation: subject")
    assert ids(await escalations.escalations_needing_notice("failed")) == [rejected.id]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each backend in turn, with no schema yet (`backend`'s PostgreSQL database is already at the latest version)."""
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "bot.sqlite3"))
    return Backend("postgres", request.getfixturevalue("pg_empty_url"))


async def test_rejections_from_before_the_notice_column_are_not_owed_after_the_upgrade(
    empty_backend: Backend, tmp_path: Path
) -> None:
    """Migration 0004 adds the rejection notice; rows already rejected had their staff line then, none is owed."""
    backend = empty_backend
    folder = backend.migrations_up_to(3, tmp_path / "before-0004")
    keys = {"rejected-then": "failed", "waiting": "pending"}
    rejected = "UPDATE escalation SET status = 'failed' WHERE idempotency_key = 'rejected-then'"
    if backend.name == "sqlite":
        async with await Database.open(backend.target, migrations_dir=folder) as database:
            assert database.schema_version == 3
            for key in keys:
                await database.write(SQLITE_INSERT, (*new_escalation_row(new(key)), ts(NOW), ts(NOW)))
            await database.write(rejected)
    else:
        async with await PgDatabase.open(backend.target, migrations_dir=folder) as pg_database:
            assert pg_database.schema_version == 3
            for key in keys:
                await pg_database.execute(PG_INSERT, *new_escalation_row(new(key)), NOW)
            await pg_database.execute(rejected)
    store = await backend.open_store()
    try:
        rows = {key: await store.escalations.escalation_by_key(key) for key in keys}
        assert {key: row.status for key, row in rows.items() if row} == keys
        assert rows["rejected-then"] is not None and rows["rejected-then"].failure_notified_at == NOW
        assert rows["waiting"] is not None and rows["waiting"].failure_notified_at is None
        assert await store.escalations.escalations_needing_notice("failed") == []
    finally:
        await store.close()


# -- the housekeeping's pages rotate: every open ticket and owed notice gets its turn --------------------------------


async def test_open_tickets_are_returned_least_recently_checked_first(store: SqliteStore) -> None:
    escalations = store.escalations
    rows = [await sent(store, f"open-{i}", OURS) for i in range(25)]  # more than one pass reads
    first = ids(await escalations.open_tickets(limit=20, guild_ids=[OURS]))
    assert first == rows[:20]  # none checked yet: by id
    await escalations.mark_status_checked(first, NOW)
    second = ids(await escalations.open_tickets(limit=20, guild_ids=[OURS]))
    assert second == rows[20:] + rows[:15]  # never checked first, then the least recently checked
    assert set(first) | set(second) == set(rows)  # two passes poll all 25
    await escalations.mark_status_checked(second, NOW + timedelta(seconds=30))
    assert ids(await escalations.open_tickets(limit=20, guild_ids=[OURS])) == rows[15:20] + rows[:15]  # then by id
    await escalations.mark_status_checked([], NOW)  # nothing tried: nothing written
    assert ids(await escalations.open_tickets(limit=5, guild_ids=[THEIRS])) == []  # still filtered by guild


async def test_an_owed_user_notice_that_could_not_be_posted_moves_behind_the_others(store: SqliteStore) -> None:
    escalations = store.escalations
    gone, first, second = [await sent(store, f"notice-{i}", OURS) for i in range(3)]
    await escalations.mark_user_notice_tried(gone, NOW)  # its thread was deleted
    assert ids(await escalations.escalations_needing_notice("user", limit=2, guild_ids=[OURS])) == [first, second]
    assert ids(await escalations.escalations_needing_notice("user")) == [first, second, gone]
    await escalations.mark_user_notice_tried(first, NOW + timedelta(seconds=30))
    assert ids(await escalations.escalations_needing_notice("user")) == [second, gone, first]  # least recently tried
    assert ids(await escalations.escalations_needing_notice("staff")) == [gone, first, second]  # other notices: by id
    assert await escalations.mark_escalation_notice(second, "user", NOW) is True
    await escalations.mark_user_notice_tried(second, NOW)  # posted already: not recorded
    posted = await escalations.get_escalation(second)
    assert posted is not None and posted.user_notice_tried_at is None
    tried = await escalations.get_escalation(gone)
    assert tried is not None and tried.user_notice_tried_at == NOW


async def test_rows_from_before_the_rotation_columns_are_checked_first_after_the_upgrade(
    empty_backend: Backend, tmp_path: Path
) -> None:
    """Migration 0006 adds `status_checked_at` and `user_notice_tried_at`, empty on the rows already there."""
    backend = empty_backend
    folder = backend.migrations_up_to(5, tmp_path / "before-0006")
    sent_then = "UPDATE escalation SET status = 'sent', ticket_id = 'T-' || idempotency_key, ticket_status = 'open'"
    if backend.name == "sqlite":
        async with await Database.open(backend.target, migrations_dir=folder) as database:
            assert database.schema_version == 5
            for key in ("a", "b"):
                await database.write(SQLITE_INSERT, (*new_escalation_row(new(key)), ts(NOW), ts(NOW)))
            await database.write(sent_then)
    else:
        async with await PgDatabase.open(backend.target, migrations_dir=folder) as pg_database:
            assert pg_database.schema_version == 5
            for key in ("a", "b"):
                await pg_database.execute(PG_INSERT, *new_escalation_row(new(key)), NOW)
            await pg_database.execute(sent_then)
    store = await backend.open_store()
    try:
        a, b = await store.escalations.escalation_by_key("a"), await store.escalations.escalation_by_key("b")
        assert a is not None and b is not None
        assert (a.status_checked_at, a.user_notice_tried_at, b.status_checked_at) == (None, None, None)
        assert ids(await store.escalations.escalations_needing_notice("user")) == [a.id, b.id]  # still owed
        await store.escalations.mark_status_checked([a.id], NOW)
        assert ids(await store.escalations.open_tickets()) == [b.id, a.id]
        await store.escalations.mark_user_notice_tried(a.id, NOW)
        assert ids(await store.escalations.escalations_needing_notice("user")) == [b.id, a.id]
    finally:
        await store.close()
