"""Leader election among processes sharing one database: `Leadership` over the store's lock (SQLite: always the
leader; PostgreSQL: one advisory lock, two stores on one database stand for two processes), and the status cog
polling only while it leads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from bot.app.composition import IncidentBoard
from bot.app.leadership import Leadership
from bot.core.decision import Incident
from bot.exts.status import StatusWatch
from bot.services.store import SqliteStore
from bot.services.store.postgres import PostgresStore
from bot.services.store.postgres.database import lead_key
from tests.services.conftest import pg_server, pg_url  # noqa: F401 - the PostgreSQL fixtures

GUILD = 1_300_000_000_000_000_001


class FlakyLock:
    """A lock whose answers the test sets; raises when told to."""

    def __init__(self) -> None:
        self.answer: bool | Exception = True
        self.released: list[str] = []

    async def try_lead(self, name: str) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def release_lead(self, name: str) -> None:
        self.released.append(name)


async def test_leadership_follows_the_lock_and_a_database_error_means_follow() -> None:
    lock = FlakyLock()
    leadership = Leadership(lock, "job")
    assert await leadership.acquire() and leadership.is_leader
    lock.answer = OSError("connection reset")
    assert not await leadership.acquire() and not leadership.is_leader
    await leadership.release()
    assert lock.released == []  # nothing held, nothing given up
    lock.answer = True
    assert await leadership.acquire()
    await leadership.release()
    assert lock.released == ["job"] and not leadership.is_leader


async def test_without_a_lock_and_on_sqlite_the_process_always_leads(tmp_path: Path) -> None:
    assert await Leadership().acquire()
    async with await SqliteStore.open(tmp_path / "bot.db") as store:
        first, second = Leadership(store.leader_locks), Leadership(store.leader_locks)
        assert await first.acquire() and await second.acquire()  # one process: nobody to elect against


async def test_one_of_two_stores_on_one_database_leads_and_the_other_takes_over(pg_url: str) -> None:  # noqa: F811
    a, b = await PostgresStore.open(pg_url), await PostgresStore.open(pg_url)
    try:
        lead_a, lead_b = Leadership(a.leader_locks), Leadership(b.leader_locks)
        assert await lead_a.acquire()
        assert not await lead_b.acquire()
        assert await lead_a.acquire() and not await lead_b.acquire()  # asked again: the same leader
        await a.close()  # the leader stops (close gives the lock up)
        assert await lead_b.acquire()
        assert await b.leader_locks.try_lead("another job")  # leaderships of different jobs are independent
    finally:
        await a.close()
        await b.close()


async def test_a_leader_whose_connection_dies_loses_the_lead(pg_url: str) -> None:  # noqa: F811
    a, b = await PostgresStore.open(pg_url), await PostgresStore.open(pg_url)
    try:
        assert await a.leader_locks.try_lead("status-page")
        admin = await asyncpg.connect(pg_url)
        try:  # what the server does when a process is killed: the session ends, its locks go with it
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint "
                "& x'ffffffff'::bigint",
                lead_key("status-page"),
            )
        finally:
            await admin.close()
        for _ in range(50):
            if await b.leader_locks.try_lead("status-page"):
                break
            await asyncio.sleep(0.05)
        assert await b.leader_locks.try_lead("status-page")
        assert not await a.leader_locks.try_lead("status-page")  # noticed its connection is gone, and b leads now
    finally:
        await a.close()
        await b.close()


class _BrokenSession:
    """A held leadership connection in the state asyncpg reports when the server ended the session mid-call."""

    def __init__(self) -> None:
        self.terminated = False

    async def fetchval(self, *args: object) -> None:
        raise asyncpg.InternalClientError("cannot switch to state 11; another operation (2) is in progress")

    async def execute(self, *args: object) -> None:
        raise asyncpg.InternalClientError("cannot switch to state 11")

    def terminate(self) -> None:
        self.terminated = True


async def test_a_leadership_connection_in_an_impossible_state_is_dropped_not_kept(pg_url: str) -> None:  # noqa: F811
    """Seen once under load: the check of a held connection raised asyncpg's InternalClientError, which escaped, so the
    dead connection stayed the 'held' one and the process could never lead again. Now it is dropped and the lock
    is tried afresh."""
    store = await PostgresStore.open(pg_url)
    try:
        broken = _BrokenSession()
        store.database._leads["status-page"] = broken  # type: ignore[assignment]
        assert await store.leader_locks.try_lead("status-page")  # a fresh connection takes the free lock
        assert broken.terminated and store.database._leads["status-page"] is not broken
    finally:
        await store.close()


class FakeStatus:
    def __init__(self) -> None:
        self.fetches = 0

    async def fetch(self) -> Any:
        self.fetches += 1
        return None  # unreachable: the board is left as it is


async def test_status_cog_polls_as_leader_and_reads_the_board_as_follower(tmp_path: Path) -> None:
    async with await SqliteStore.open(tmp_path / "bot.db") as store:
        lock = FlakyLock()
        status = FakeStatus()
        leader_board = IncidentBoard(store.incidents)
        await leader_board.set(Incident("API down", "https://status.example/1"))
        follower_board = IncidentBoard(store.incidents)
        deps = SimpleNamespace(status=status, leadership=Leadership(lock), incidents=follower_board)
        cog = StatusWatch(SimpleNamespace(guilds=[]), deps)  # type: ignore[arg-type]
        await cog.tick()
        assert status.fetches == 1 and follower_board.current is None  # leader: polled
        lock.answer = False
        await cog.tick()
        assert status.fetches == 1  # follower: no poll, the board read from the store instead
        assert follower_board.current == Incident("API down", "https://status.example/1")


async def test_channels_noted_by_another_process_are_told_once(tmp_path: Path) -> None:
    async with await SqliteStore.open(tmp_path / "bot.db") as store:
        here, there = IncidentBoard(store.incidents), IncidentBoard(store.incidents)
        await here.note_thread(1, GUILD)
        await there.note_thread(2, GUILD)
        await there.note_thread(3, GUILD + 1)
        assert await here.take_notified([GUILD]) == [1, 2]
        assert await there.take_notified([GUILD]) == []  # already told: the store is the one list
        assert await here.take_notified([GUILD]) == []
        assert await there.take_notified([GUILD + 1]) == [3]  # each process takes the channels of its guilds


@pytest.mark.parametrize("name", ["status-page", "x"])
def test_lead_keys_are_stable_signed_64_bit(name: str) -> None:
    assert lead_key(name) == lead_key(name) and -(2**63) <= lead_key(name) < 2**63
