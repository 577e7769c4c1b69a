from datetime import UTC, datetime, timedelta

import pytest

from bot.services.escalations import NewEscalation
from bot.services.store import SqliteStore
from bot.services.store.postgres import PostgresStore
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
