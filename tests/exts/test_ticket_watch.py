"""TicketWatch in a process that has some guilds only (a shard of several over one database): its housekeeping
handles the rows of the guilds it has, and it claims no notice of a guild it does not have (or that is unavailable),
so the process that has that guild still posts it. A stand-in Discord client (the guild cache and channels), the real
deps over a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.app.composition import build_deps
from bot.app.tickets import USER_NOTICE_GIVE_UP
from bot.core.triage import TriageEngine
from bot.exts.tickets import TicketWatch
from bot.services.escalations import Escalation
from bot.services.store import SqliteStore
from bot.settings import load_settings
from tests.app.test_tickets import TicketApi
from tests.services.test_escalations_store import NOW, new

OURS, DOWN, THEIRS = 1_300_000_000_000_000_001, 1_300_000_000_000_000_003, 1_300_000_000_000_000_002
# Per guild: the thread of its escalations and its staff log channel.
THREAD = {OURS: 11, DOWN: 31, THEIRS: 21}
STAFF_LOG = {OURS: 12, DOWN: 32, THEIRS: 22}
STATUSES = ("sent", "failed", "pending")


class Channel(discord.abc.Messageable):
    """A channel that keeps what is sent to it."""

    def __init__(self, channel_id: int) -> None:
        self.id = channel_id
        self.sent: list[str] = []

    async def _get_channel(self) -> Any:
        return self

    async def send(self, content: str | None = None, **_: Any) -> Any:  # type: ignore[override]
        self.sent.append(content or "")


class Client:
    """The Discord client of a process: its guild cache (OURS, and DOWN in an outage) and their channels only."""

    def __init__(self, *, guilds: dict[int, bool]) -> None:
        self._guilds = {g: SimpleNamespace(id=g, unavailable=unavailable) for g, unavailable in guilds.items()}
        self.channels = {c: Channel(c) for g in self._guilds for c in (THREAD[g], STAFF_LOG[g])}

    @property
    def guilds(self) -> list[SimpleNamespace]:
        return list(self._guilds.values())

    def get_guild(self, guild_id: int) -> SimpleNamespace | None:
        return self._guilds.get(guild_id)

    def get_channel(self, channel_id: int) -> Channel | None:
        return self.channels.get(channel_id)

    def sent(self, channel_id: int) -> list[str]:
        return self.channels[channel_id].sent if channel_id in self.channels else []


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with await SqliteStore.open(tmp_path / "bot.db") as opened:
        for guild in THREAD:
            await opened.config.update_config(guild, staff_log_channel_id=STAFF_LOG[guild])
        yield opened


def watch(store: SqliteStore, engine: TriageEngine, client: Client, api: TicketApi | None = None) -> TicketWatch:
    settings = load_settings({"STATUS_URL": "off", "ESCALATION_ALERT_MINUTES": "30"}, env_file=None)
    deps = build_deps(settings, engine, store, clock=lambda: NOW)
    deps.tickets.support = api  # type: ignore[assignment] - reads tickets only
    return TicketWatch(client, deps)  # type: ignore[arg-type]


async def queue(store: SqliteStore, key: str, guild: int, *, status: str) -> Escalation:
    """An escalation of `guild` in its thread: sent (ticket T-key), failed, or pending for an hour (stuck)."""
    created = NOW - timedelta(hours=1)
    row, _ = await store.escalations.enqueue_escalation(
        new(key, guild_id=guild, channel_id=THREAD[guild], thread_id=THREAD[guild], created_at=created)
    )
    if status == "sent":
        await store.escalations.mark_escalation_sent(
            row.id, ticket_id=f"T-{key}", ticket_url="u", ticket_status="open", now=NOW
        )
    elif status == "failed":
        await store.escalations.mark_escalation_failed(row.id, error=f"ValidationFailed: {key}")
    return await store.escalations.get_escalation(row.id) or row


async def test_housekeeping_handles_the_rows_of_the_available_guilds_it_has(
    store: SqliteStore, engine: TriageEngine
) -> None:
    rows = {}
    for guild, name in ((THEIRS, "theirs"), (DOWN, "down"), (OURS, "ours")):
        for status in STATUSES:
            rows[name, status] = await queue(store, f"{name}-{status}", guild, status=status)
    client, api = Client(guilds={OURS: False, DOWN: True}), TicketApi(status="solved")
    cog = watch(store, engine, client, api)
    await cog.housekeeping()
    thread, staff = client.sent(THREAD[OURS]), client.sent(STAFF_LOG[OURS])
    assert any("T-ours-sent" in m for m in thread) and any("as solved" in m for m in thread)
    assert any("New ticket T-ours-sent" in m for m in staff)
    assert any("ValidationFailed: ours-failed" in m and "rejected" in m for m in staff)
    assert any(f"Escalation #{rows['ours', 'pending'].id} " in m and "still not accepted" in m for m in staff)
    assert api.reads == ["T-ours-sent"]  # the other guilds' tickets are read by the processes that have them
    assert client.sent(THREAD[DOWN]) == client.sent(STAFF_LOG[DOWN]) == []
    for name in ("theirs", "down"):  # nothing claimed: their owners still post all of it
        sent, failed, pending = [await store.escalations.get_escalation(rows[name, s].id) for s in STATUSES]
        assert sent is not None and failed is not None and pending is not None
        assert sent.user_notified_at is sent.staff_notified_at is sent.solved_notified_at is None
        assert failed.failure_notified_at is None and pending.stuck_alerted_at is None
    posted = len(thread) + len(staff)
    await cog.housekeeping()
    assert len(client.sent(THREAD[OURS])) + len(client.sent(STAFF_LOG[OURS])) == posted  # each said once


async def test_housekeeping_waits_while_the_process_has_no_guild(store: SqliteStore, engine: TriageEngine) -> None:
    stuck = await queue(store, "theirs-pending", THEIRS, status="pending")
    api = TicketApi()
    await queue(store, "theirs-sent", THEIRS, status="sent")
    await watch(store, engine, Client(guilds={}), api).housekeeping()
    assert api.reads == []
    unclaimed = await store.escalations.get_escalation(stuck.id)
    assert unclaimed is not None and unclaimed.stuck_alerted_at is None


async def test_a_rejection_is_told_by_the_process_with_the_guild_once(store: SqliteStore, engine: TriageEngine) -> None:
    rejected = await queue(store, "ours-failed", OURS, status="failed")
    elsewhere = Client(guilds={THEIRS: False})  # the outbox worker of another shard's process met the rejection
    await watch(store, engine, elsewhere).announce_failure(rejected)
    in_outage = Client(guilds={OURS: True})  # or this process's, while the guild is unavailable (or not sent yet)
    await watch(store, engine, in_outage).announce_failure(rejected)
    assert elsewhere.sent(STAFF_LOG[THEIRS]) == in_outage.sent(STAFF_LOG[OURS]) == []
    owed = await store.escalations.get_escalation(rejected.id)
    assert owed is not None and owed.failure_notified_at is None
    here = Client(guilds={OURS: False})
    cog = watch(store, engine, here)
    await cog.housekeeping()
    await cog.announce_failure(rejected)  # as its own worker would, too: still said once
    [line] = here.sent(STAFF_LOG[OURS])
    assert (
        f"Escalation #{rejected.id} " in line and "rejected by the support API: ValidationFailed: ours-failed" in line
    )


async def test_a_notice_for_a_thread_that_is_gone_waits_behind_the_others_then_is_given_up(
    store: SqliteStore, engine: TriageEngine
) -> None:
    gone = {}
    for key, sent_at in (("gone", NOW), ("gone-long-ago", NOW - USER_NOTICE_GIVE_UP)):
        row, _ = await store.escalations.enqueue_escalation(new(key, guild_id=OURS, channel_id=40, thread_id=41))
        await store.escalations.mark_escalation_sent(
            row.id, ticket_id=f"T-{key}", ticket_url="u", ticket_status="open", now=sent_at
        )
        gone[key] = row.id
    await queue(store, "ours-sent", OURS, status="sent")
    client = Client(guilds={OURS: False})  # thread 41 is not in its cache: deleted, or archived
    await watch(store, engine, client).housekeeping()
    assert any("T-ours-sent" in m for m in client.sent(THREAD[OURS]))
    assert any("New ticket T-gone" in m for m in client.sent(STAFF_LOG[OURS]))  # staff are told all the same
    waiting, given_up = [await store.escalations.get_escalation(gone[k]) for k in ("gone", "gone-long-ago")]
    assert waiting is not None and (waiting.user_notified_at, waiting.user_notice_tried_at) == (None, NOW)
    assert given_up is not None and given_up.user_notified_at == NOW  # a week without its thread: not tried again
    assert [r.id for r in await store.escalations.escalations_needing_notice("user")] == [waiting.id]
