"""TicketDesk over a real store (SQLite, then PostgreSQL): with several processes sharing one database (shards), each
one's housekeeping handles the rows of its own guilds only, claims nothing of another's, and reads each open ticket's
status from the API once in all."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest

from bot.app.tickets import OPEN_TICKETS_PER_PASS, USER_NOTICE_GIVE_UP, TicketDesk
from bot.services.escalations import Escalation
from bot.services.store import SqliteStore
from bot.services.store.postgres import PostgresStore
from bot.services.support_api import SupportApiUnavailable, Ticket
from bot.settings import load_settings
from tests.services.conftest import Backend, backend, pg_server, pg_url  # noqa: F401 - the store fixtures
from tests.services.test_escalations_store import NOW, new

OURS, THEIRS = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002  # each the guild of one process's shard
ALERT_AFTER = timedelta(minutes=30)
Store = SqliteStore | PostgresStore


class TicketApi:
    """The support API's ticket reads: every ticket has `status`; records which tickets were read. `down`: every read
    fails; `failing`: the reads of these tickets fail."""

    def __init__(self, status: str = "solved") -> None:
        self.status = status
        self.reads: list[str] = []
        self.down = False
        self.failing: set[str] = set()

    async def get_ticket(self, ticket_id: str) -> Ticket:
        if self.down or ticket_id in self.failing:
            raise SupportApiUnavailable("down")
        self.reads.append(ticket_id)
        return Ticket(ticket_id, self.status, f"https://support.invalid/{ticket_id}", NOW, NOW)


@pytest.fixture
async def stores(backend: Backend) -> AsyncIterator[tuple[Store, Store]]:  # noqa: F811 - the imported fixture
    """Two stores on one database: two bot processes."""
    here, there = await backend.open_store(), await backend.open_store()
    try:
        yield here, there
    finally:
        await here.close()
        await there.close()


def desk(store: Store, api: TicketApi | None = None, clock: Callable[[], datetime] = lambda: NOW) -> TicketDesk:
    return TicketDesk(
        escalations=store.escalations,
        config=store.config,
        support=api,  # type: ignore[arg-type] - reads tickets only
        policy=load_settings({}, env_file=None).policy,
        clock=clock,
        alert_after=ALERT_AFTER,
    )


async def sent(store: Store, key: str, guild_id: int) -> Escalation:
    row, _ = await store.escalations.enqueue_escalation(new(key, guild_id=guild_id))
    await store.escalations.mark_escalation_sent(
        row.id, ticket_id=f"T-{key}", ticket_url="u", ticket_status="open", now=NOW
    )
    return row


def keys(rows: list[Escalation]) -> list[str]:
    return [row.idempotency_key for row in rows]


async def test_owed_notices_of_a_process_do_not_starve_behind_another_shards(stores: tuple[Store, Store]) -> None:
    here, there = stores
    for i in range(50):  # a full page of owed notices of the other shard's guild, older than ours
        await sent(there, f"theirs-{i}", THEIRS)
    await sent(here, "ours", OURS)
    assert keys(await desk(here).owed_user_notices(guild_ids=[OURS])) == ["ours"]
    assert "ours" not in keys(await desk(here).owed_user_notices(guild_ids=None))  # every guild: the first 50 only
    assert len(await desk(there).owed_user_notices(guild_ids=[THEIRS])) == 50
    assert await desk(here).owed_user_notices(guild_ids=[]) == []


async def test_each_process_claims_the_stuck_alerts_of_its_own_guilds(stores: tuple[Store, Store]) -> None:
    here, there = stores
    old = NOW - 2 * ALERT_AFTER
    theirs, _ = await there.escalations.enqueue_escalation(new("theirs", guild_id=THEIRS, created_at=old))
    ours, _ = await here.escalations.enqueue_escalation(new("ours", guild_id=OURS, created_at=old))
    await here.config.update_config(OURS, staff_log_channel_id=7)
    [(row, config)] = await desk(here).newly_stuck(guild_ids=[OURS])
    assert row.id == ours.id and config.guild_id == OURS and config.staff_log_channel_id == 7
    assert await desk(here).newly_stuck(guild_ids=[OURS]) == []  # claimed: once
    unclaimed = await there.escalations.get_escalation(theirs.id)
    assert unclaimed is not None and unclaimed.stuck_alerted_at is None  # left to the process that has the guild
    assert [r.id for r, _ in await desk(there).newly_stuck(guild_ids=[THEIRS])] == [theirs.id]
    assert await desk(there).newly_stuck(guild_ids=None) == []  # every guild (one process): nothing left


async def test_each_open_ticket_is_read_from_the_api_by_one_process(stores: tuple[Store, Store]) -> None:
    here, there = stores
    theirs, ours = await sent(there, "theirs", THEIRS), await sent(here, "ours", OURS)
    api_here, api_there = TicketApi(), TicketApi()
    assert keys(await desk(here, api_here).newly_solved(guild_ids=[OURS])) == ["ours"]
    assert api_here.reads == ["T-ours"]  # not the other shard's ticket
    unclaimed = await there.escalations.get_escalation(theirs.id)
    assert unclaimed is not None and (unclaimed.ticket_status, unclaimed.solved_notified_at) == ("open", None)
    assert keys(await desk(there, api_there).newly_solved(guild_ids=[THEIRS])) == ["theirs"]
    assert api_there.reads == ["T-theirs"]
    assert await desk(here, api_here).newly_solved(guild_ids=[OURS]) == []  # told once
    solved = await here.escalations.get_escalation(ours.id)
    assert solved is not None and solved.ticket_status == "solved" and solved.solved_notified_at == NOW


async def test_a_process_reads_its_open_tickets_only_and_stops_when_the_api_is_down(
    stores: tuple[Store, Store],
) -> None:
    here, there = stores
    for i in range(25):  # more open tickets of the other guild than one pass reads (OPEN_TICKETS_PER_PASS)
        await sent(there, f"theirs-{i}", THEIRS)
    await sent(here, "ours", OURS)
    api = TicketApi(status="open")
    assert await desk(here, api).newly_solved(guild_ids=[OURS]) == []
    assert api.reads == ["T-ours"]  # its own ticket is read although 25 older ones of another guild are open
    api.down = True
    assert await desk(here, api).newly_solved(guild_ids=[OURS]) == []
    assert await desk(here, None).newly_solved(guild_ids=[OURS]) == []  # no support API configured


async def test_a_rejection_notice_is_owed_to_the_process_with_the_guild(stores: tuple[Store, Store]) -> None:
    here, there = stores
    rejected = {}
    for store, key, guild in ((there, "theirs", THEIRS), (here, "ours", OURS)):
        row, _ = await store.escalations.enqueue_escalation(new(key, guild_id=guild))
        await store.escalations.mark_escalation_failed(row.id, error="ValidationFailed: subject")
        rejected[key] = row
    [owed] = await desk(here).owed_failure_notices(guild_ids=[OURS])
    assert owed.id == rejected["ours"].id and owed.last_error == "ValidationFailed: subject"
    assert await desk(here).claim(owed, "failed") is True
    assert await desk(here).owed_failure_notices(guild_ids=[OURS]) == []
    assert keys(await desk(there).owed_failure_notices(guild_ids=[THEIRS])) == ["theirs"]


class Clock:
    """A clock the test moves: each housekeeping pass at its own moment."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def test_every_open_ticket_is_read_in_turn_the_least_recently_read_first(stores: tuple[Store, Store]) -> None:
    here, _ = stores
    for i in range(25):  # more open tickets than one pass reads: the newer ones must get their turn too
        await sent(here, f"t{i:02}", OURS)
    api, clock = TicketApi(status="open"), Clock()
    tickets = [f"T-t{i:02}" for i in range(25)]
    assert await desk(here, api, clock).newly_solved(guild_ids=[OURS]) == []
    assert api.reads == tickets[:OPEN_TICKETS_PER_PASS]
    api.reads.clear()
    clock.now += timedelta(seconds=30)
    api.status = "solved"
    assert keys(await desk(here, api, clock).newly_solved(guild_ids=[OURS])) == [f"t{i:02}" for i in range(20, 25)] + [
        f"t{i:02}" for i in range(15)
    ]  # the five never read, then the least recently read: all 25 in two passes, each solved one told
    assert api.reads == tickets[20:] + tickets[:15]


async def test_a_ticket_whose_read_fails_does_not_block_the_others(stores: tuple[Store, Store]) -> None:
    here, _ = stores
    for i in range(3):
        await sent(here, f"t{i}", OURS)
    api, clock = TicketApi(status="solved"), Clock()
    api.failing = {"T-t0"}  # e.g. a ticket the API keeps failing on
    assert await desk(here, api, clock).newly_solved(guild_ids=[OURS]) == []  # stops at the first error
    clock.now += timedelta(seconds=30)
    assert keys(await desk(here, api, clock).newly_solved(guild_ids=[OURS])) == ["t1", "t2"]  # its turn came
    api.down = True  # the API is down: the tried ticket still counts as checked
    assert await desk(here, api, clock).newly_solved(guild_ids=[OURS]) == []
    row = await here.escalations.escalation_by_key("t0")
    assert row is not None and row.status_checked_at == clock.now


async def test_an_unreachable_users_notice_waits_behind_the_others_then_is_given_up(
    stores: tuple[Store, Store], caplog: pytest.LogCaptureFixture
) -> None:
    here, _ = stores
    gone = await sent(here, "gone", OURS)
    await sent(here, "other", OURS)
    clock = Clock()
    [row, _] = await desk(here, clock=clock).owed_user_notices(guild_ids=[OURS])
    assert row.id == gone.id
    assert await desk(here, clock=clock).user_notice_unreachable(row) is False  # its thread is gone: try later
    assert keys(await desk(here, clock=clock).owed_user_notices(guild_ids=[OURS])) == ["other", "gone"]
    clock.now = NOW + USER_NOTICE_GIVE_UP
    with caplog.at_level(logging.INFO, logger="bot.app.tickets"):
        assert await desk(here, clock=clock).user_notice_unreachable(row) is True
    assert keys(await desk(here, clock=clock).owed_user_notices(guild_ids=[OURS])) == ["other"]  # never tried again
    assert [r.getMessage() for r in caplog.records] == [
        f"escalation {gone.id}: its thread stayed unreachable for 7 days; the requester's notice is given up"
    ]
