"""The incidents repository on both backends (a SQLite file, then PostgreSQL): the status page's incidents as the
leader records them, the staff notices owed per guild and claimed once (two stores on one database stand for two
processes), the threads taken per guild, and migration 0005 over a store with an incident in progress."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.store import Database, OwedIncidentNotice, SqliteStore
from bot.services.store.postgres import PgDatabase, PostgresStore
from tests.services.conftest import AnyStore, Backend

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
G1, G2, G3 = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002, 1_300_000_000_000_000_003
API = ("API degraded", "https://status.example.com/i/1", "investigating")
DNS = ("DNS outage", "https://status.example.com/i/2", "identified")


def owed(notices: list[OwedIncidentNotice]) -> list[tuple[str, int, str]]:
    """(incident name, guild, kind) of each owed notice, in the store's order."""
    return [(n.incident.name, n.guild_id, n.kind) for n in notices]


@pytest.fixture
def store(any_store: AnyStore) -> AnyStore:
    """A SQLite file, then PostgreSQL (tests/services/conftest.py)."""
    return any_store


async def test_the_leader_records_each_incident_once_from_its_start_to_its_end(store: AnyStore) -> None:
    incidents = store.incidents
    await incidents.record_incidents([API, API], NOW)  # listed twice in one poll: one incident
    [started] = await incidents.owed_notices([G1], NOW)
    assert started.kind == "started" and started.incident.status == "investigating"
    assert started.incident.started_at == NOW and started.incident.resolved_at is None
    await incidents.record_incidents([(*API[:2], "identified"), DNS], LATER)  # a restart's first poll: kept
    assert owed(await incidents.owed_notices([G1], NOW)) == [(API[0], G1, "started"), (DNS[0], G1, "started")]
    [again, dns] = await incidents.owed_notices([G1], NOW)
    assert again.incident == started.incident and dns.incident.id > started.incident.id
    assert await incidents.claim_notice(started.incident.id, G1, "started", NOW) is True
    await incidents.record_incidents([DNS], LATER)  # the API incident ended
    [resolved, dns_started] = await incidents.owed_notices([G1], NOW)
    assert resolved.kind == "resolved" and resolved.incident.resolved_at == LATER
    assert (dns_started.incident.name, dns_started.kind) == (DNS[0], "started")
    await incidents.record_incidents([API], LATER + timedelta(hours=1))  # the same name and link later: a new one
    names = owed(await incidents.owed_notices([G1], NOW))
    assert names == [(API[0], G1, "resolved"), (API[0], G1, "started")]  # the old one's end, the new one's start
    ids = [n.incident.id for n in await incidents.owed_notices([G1], NOW)]
    assert ids[1] > dns.incident.id > ids[0]


async def test_a_notice_is_claimed_once_and_only_while_it_is_owed(store: AnyStore) -> None:
    incidents = store.incidents
    await incidents.record_incidents([API], NOW)
    assert owed(await incidents.owed_notices([G1, G2], NOW)) == [(API[0], G1, "started"), (API[0], G2, "started")]
    [first, _] = await incidents.owed_notices([G1, G2], NOW)
    incident_id = first.incident.id
    assert await incidents.claim_notice(incident_id, G1, "resolved", NOW) is False  # not over yet
    assert await incidents.claim_notice(incident_id, G1, "started", NOW) is True
    assert await incidents.claim_notice(incident_id, G1, "started", NOW) is False  # never twice
    assert owed(await incidents.owed_notices([G1, G2], NOW)) == [(API[0], G2, "started")]
    await incidents.record_incidents([], LATER)
    # G1 was told of the start: its end is owed; G2 never was: neither its start (over) nor its end is.
    assert owed(await incidents.owed_notices([G1, G2], NOW)) == [(API[0], G1, "resolved")]
    assert await incidents.claim_notice(incident_id, G2, "started", LATER) is False
    assert await incidents.claim_notice(incident_id, G2, "resolved", LATER) is False
    assert await incidents.owed_notices([G1], LATER + timedelta(seconds=1)) == []  # ended before the window
    assert await incidents.claim_notice(incident_id, G1, "resolved", LATER) is True
    assert await incidents.claim_notice(incident_id, G1, "resolved", LATER) is False
    assert await incidents.owed_notices([G1, G2, G3], NOW) == []
    assert await incidents.owed_notices([], NOW) == []
    with pytest.raises(ValueError, match="kind"):
        await incidents.claim_notice(incident_id, G1, "ended", NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="guild_id"):
        await incidents.claim_notice(incident_id, 0, "started", NOW)


async def test_two_processes_claiming_the_same_notices_each_get_it_once(backend: Backend) -> None:
    one, two = await backend.open_store(), await backend.open_store()
    try:
        await one.incidents.record_incidents([API], NOW)
        await two.incidents.record_incidents([API], NOW)  # two leaders for a moment: still one incident
        notices = await one.incidents.owed_notices([G1, G2], NOW)
        assert notices == await two.incidents.owed_notices([G1, G2], NOW)
        results = await asyncio.gather(
            *(s.incidents.claim_notice(n.incident.id, n.guild_id, n.kind, NOW) for n in notices for s in (one, two))
        )
        assert sorted(results) == [False, False, True, True]  # each guild's notice: one process
        assert await two.incidents.owed_notices([G1, G2], NOW) == []
    finally:
        await one.close()
        await two.close()


async def test_threads_are_taken_per_guild_once(backend: Backend) -> None:
    one, two = await backend.open_store(), await backend.open_store()
    try:
        await one.incidents.note_notified(11, G1, NOW)
        await two.incidents.note_notified(21, G2, NOW)
        await one.incidents.note_notified(12, G1, NOW - timedelta(seconds=1))
        await two.incidents.note_notified(12, G1, NOW)  # noted twice: once
        assert await one.incidents.notified_channels() == [12, 11, 21]
        taken = await asyncio.gather(one.incidents.take_notified([G1]), two.incidents.take_notified([G1]))
        assert sorted(taken) == [[], [12, 11]]  # one process took G1's channels, oldest first
        assert await one.incidents.take_notified([G3]) == []
        assert await two.incidents.take_notified([G2, G3]) == [21]
        assert await one.incidents.notified_channels() == []
        with pytest.raises(ValueError, match="guild_id"):
            await one.incidents.note_notified(13, 0, NOW)
    finally:
        await one.close()
        await two.close()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each backend in turn, with no schema yet (`backend`'s PostgreSQL database is already at the latest version)."""
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "bot.sqlite3"))
    return Backend("postgres", request.getfixturevalue("pg_empty_url"))


# What a store at version 4 holds during an incident: the incident, the guilds (G1 with a staff log channel), the
# bot's replies in the channels it told (51 in G2; 52 has no reply: its guild is unknown).
BEFORE_0005 = [
    "INSERT INTO incident_state (id, name, url, started_at) VALUES "
    "(1, 'API degraded', 'https://status.example.com/i/1', '2026-11-22T11:00:00.000000+00:00')",
    f"INSERT INTO guild_config (guild_id, staff_log_channel_id) VALUES ({G1}, 99), ({G2}, NULL)",
    "INSERT INTO bot_reply (reply_message_id, guild_id, channel_id, source_message_id, author_id, kind, confidence, "
    f"lang, created_at) VALUES (700, {G2}, 51, 600, 5, 'route', 0.9, 'en', '2026-11-22T11:30:00.000000+00:00')",
    "INSERT INTO incident_notice (channel_id, noted_at) VALUES (51, '2026-11-22T11:30:00.000000+00:00'), "
    "(52, '2026-11-22T11:31:00.000000+00:00')",
]


async def test_the_incident_in_progress_at_the_upgrade_is_not_announced_again(
    empty_backend: Backend, tmp_path: Path
) -> None:
    """Migration 0005: the guilds with a staff log channel were told the incident in progress; its end is owed
    to them, its start to the others only; the channels told keep their guild (from the bot's reply there)."""
    backend = empty_backend
    folder = backend.migrations_up_to(4, tmp_path / "before-0005")
    if backend.name == "sqlite":
        async with await Database.open(backend.target, migrations_dir=folder) as database:
            assert database.schema_version == 4
            for statement in BEFORE_0005:
                await database.write(statement)
    else:
        async with await PgDatabase.open(backend.target, migrations_dir=folder) as pg_database:
            assert pg_database.schema_version == 4
            for statement in BEFORE_0005:
                await pg_database.execute(statement)
    store: SqliteStore | PostgresStore = await backend.open_store()
    try:
        incidents = store.incidents
        assert await incidents.current_incident() == ("API degraded", "https://status.example.com/i/1")
        [new_guild] = await incidents.owed_notices([G1, G2], NOW)  # G2 has no staff log channel: it was not told
        assert (new_guild.guild_id, new_guild.kind, new_guild.incident.status) == (G2, "started", "")
        assert new_guild.incident.started_at == datetime.fromisoformat("2026-11-22T11:00:00+00:00")
        assert await incidents.notified_channels() == [51]  # 52: no guild known, forgotten
        await incidents.record_incidents([API], NOW)  # the leader's first poll after the upgrade: the same incident
        assert owed(await incidents.owed_notices([G1, G2], NOW)) == [(API[0], G2, "started")]
        await incidents.record_incidents([], LATER)
        assert owed(await incidents.owed_notices([G1, G2], NOW)) == [(API[0], G1, "resolved")]
        assert await incidents.take_notified([G2]) == [51]
    finally:
        await store.close()
