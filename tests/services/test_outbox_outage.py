"""The outbox through an outage and its circuit breaker: real HTTP through the fault proxy, real SQLite.

Refusals by an open breaker (no request sent) are not attempts and do not grow a row's backoff; the rows wait for
the breaker's probe, and once it closes the backlog goes out at once, at most DRAIN_CONCURRENCY requests at a time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.services.outbox import DRAIN_CONCURRENCY, DrainStats, Outbox, ticket_request_from_payload
from bot.services.resilience import CircuitBreaker
from bot.services.store import SqliteStore
from bot.services.support_api import (
    BREAKER_RESET_AFTER,
    HttpSupportApiClient,
    SupportApiUnavailable,
)
from sandbox import run_sandbox
from tests.services.test_outbox import clock, escalation
from tests.support_faults import FaultyProxy

ROOT = Path(__file__).resolve().parents[2]
ESCALATIONS = 50
OUTAGE_SECONDS = 8.0  # 503s for the first half, then every connection refused
# The requirement is "drained within 10 s of the recovery"; with the production breaker (a trial call every 5 s) the
# last ticket now comes at most one breaker period after it (0.3-2.5 s measured). With refusals counted as attempts
# (the old behaviour) the rows' backoff doubled 4-5 times during this outage and the last ticket came 12.5-14 s
# after the recovery, so this bound, tighter than the requirement, still leaves room on a loaded machine.
DRAIN_BOUND = 8.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sandbox():
    async with run_sandbox(db=":memory:", api_key="k") as running:
        yield running


def count_concurrency(proxy: FaultyProxy) -> collections.Counter[str]:
    """Track the forwarded requests in flight at once (``peak``) through the proxy."""
    seen: collections.Counter[str] = collections.Counter()
    forward = proxy._forward

    async def counted(request):  # type: ignore[no-untyped-def]
        seen["now"] += 1
        seen["peak"] = max(seen["peak"], seen["now"])
        try:
            return await forward(request)
        finally:
            seen["now"] -= 1

    proxy._forward = counted  # type: ignore[method-assign]
    return seen


def ticket_posts(proxy: FaultyProxy) -> int:
    return sum(1 for r in proxy.requests if r.method == "POST" and r.path.endswith("/tickets"))


async def test_backlog_drains_within_seconds_of_the_recovery_exactly_once(sandbox, tmp_path: Path) -> None:
    assert BREAKER_RESET_AFTER <= 5.0  # a recovery is noticed within 5 s (the bound below relies on it)
    loop = asyncio.get_running_loop()
    store = await SqliteStore.open(tmp_path / "outage.db")
    account = sandbox.account_id("team@demo.test")
    try:
        async with FaultyProxy(sandbox.base_url) as proxy, aiohttp.ClientSession() as session:
            concurrency = count_concurrency(proxy)
            # The production configuration: 3 s budget, default breaker, default Backoff; seeded jitter.
            client = HttpSupportApiClient(session, proxy.base_url, "k", rng=random.Random(1))
            outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=clock, rng=random.Random(2))
            worker = asyncio.create_task(outbox.run())
            try:
                proxy.failure_rate, proxy.random_faults = 1.0, ("503",)
                started = loop.time()
                for i in range(ESCALATIONS):  # users keep escalating through the outage
                    if i == ESCALATIONS // 2:
                        proxy.down()
                    await asyncio.sleep(max(0.0, started + OUTAGE_SECONDS * i / ESCALATIONS - loop.time()))
                    row = await outbox.submit(escalation(f"outage-{i}", account))
                    assert row.status == "pending"
                await asyncio.sleep(max(0.0, started + OUTAGE_SECONDS - loop.time()))
                assert sandbox.tickets() == []
                posts_during_outage = ticket_posts(proxy)
                proxy.failure_rate = 0.0
                proxy.up()
                recovered = loop.time()
                while (await store.escalations.count_escalations()).get("sent", 0) < ESCALATIONS:
                    if loop.time() - recovered > DRAIN_BOUND:
                        counts = await store.escalations.count_escalations()
                        pytest.fail(f"not drained {DRAIN_BOUND}s after the recovery: {counts}")
                    await asyncio.sleep(0.02)
                drained_after = loop.time() - recovered
            finally:
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
        rows = [await store.escalations.get_escalation(i) for i in range(1, ESCALATIONS + 1)]
        tickets = sandbox.tickets()
        assert len(tickets) == ESCALATIONS  # none lost, none twice
        assert sorted(t.idempotency_key for t in tickets) == sorted(f"outage-{i}" for i in range(ESCALATIONS))
        assert {r.ticket_id for r in rows} == {t.ticket_id for t in tickets}
        # Attempts count requests that went out, never refusals: at most one attempt per POST the proxy saw.
        assert sum(r.attempts for r in rows) <= ticket_posts(proxy)
        assert posts_during_outage < 3 * ESCALATIONS  # the breaker kept the dead API from being hammered
        assert 2 <= concurrency["peak"] <= DRAIN_CONCURRENCY  # drained concurrently, within the bound
        assert drained_after <= DRAIN_BOUND
    finally:
        await store.close()


async def test_a_refused_call_is_not_an_attempt_and_the_probe_goes_first(sandbox, tmp_path: Path) -> None:
    breaker_clock = FakeClock()
    store = await SqliteStore.open(tmp_path / "refused.db")
    account = sandbox.account_id("team@demo.test")
    try:
        async with FaultyProxy(sandbox.base_url) as proxy, aiohttp.ClientSession() as session:
            breaker = CircuitBreaker(failure_threshold=1, reset_after=30.0, clock=breaker_clock)
            client = HttpSupportApiClient(session, proxy.base_url, "k", breaker=breaker, rng=random.Random(1))
            outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=clock, rng=random.Random(2))
            assert outbox.breaker is breaker  # found on the client
            proxy.down()
            first = await outbox.submit(escalation("first", account))  # a real failure: it opens the breaker
            assert breaker.state == "open" and first.attempts == 1 and len(proxy.requests) == 1
            assert first.next_attempt_at <= clock()  # due again at once: it waits for the breaker, not a backoff
            requests = len(proxy.requests)
            second = await outbox.submit(escalation("second", account))  # refused: nothing sent
            assert (second.status, second.attempts, second.last_error) == ("pending", 0, None)
            for _ in range(3):
                assert await outbox.drain_once() == DrainStats()  # the open breaker: nothing tried
            assert len(proxy.requests) == requests
            assert [(await store.escalations.get_escalation(r.id)).attempts for r in (first, second)] == [1, 0]
            assert outbox.breaker_wait() == pytest.approx(30.0)

            breaker_clock.now += 30.0  # half-open: one trial call; it fails, the breaker opens again
            stats = await outbox.drain_once()
            assert (stats.retried, stats.sent, breaker.state) == (1, 0, "open")
            assert len(proxy.requests) == requests + 1
            assert [(await store.escalations.get_escalation(r.id)).attempts for r in (first, second)] == [2, 0]

            breaker_clock.now += 30.0
            proxy.up()  # the next trial (the oldest due row: "second") succeeds, then the rest follow at once
            stats = await outbox.drain_once()
            assert (stats.sent, stats.refused, breaker.state) == (2, 0, "closed")
            assert [(await store.escalations.get_escalation(r.id)).attempts for r in (first, second)] == [3, 1]
        assert sorted(t.idempotency_key for t in sandbox.tickets()) == ["first", "second"]
    finally:
        await store.close()


async def test_a_retry_refused_by_the_breaker_reports_the_real_failure(sandbox) -> None:
    """A request went out before the refusal: the caller must see its failure (an attempt), not "circuit open"."""
    breaker = CircuitBreaker(failure_threshold=1, reset_after=0.0)  # half-open again at once

    async def sleep_while_another_caller_probes(_seconds: float) -> None:
        assert breaker.try_acquire()  # someone else takes the half-open trial meanwhile

    async with FaultyProxy(sandbox.base_url) as proxy, aiohttp.ClientSession() as session:
        client = HttpSupportApiClient(
            session, proxy.base_url, "k", breaker=breaker, sleep=sleep_while_another_caller_probes
        )
        proxy.plan(["503"])
        request = ticket_request_from_payload(escalation("k1", sandbox.account_id("team@demo.test")).payload)
        with pytest.raises(SupportApiUnavailable) as info:
            await client.create_ticket(request, "k1")
        assert info.value.code != "circuit_open" and info.value.status == 503
        assert len(proxy.requests) == 1


WORKER = """
import asyncio, random, sys
from datetime import UTC, datetime
import aiohttp
from bot.services.outbox import Backoff, Outbox, ticket_request_from_payload
from bot.services.store import SqliteStore
from bot.services.support_api import HttpSupportApiClient

async def main(db, url):
    store = await SqliteStore.open(db)
    async with aiohttp.ClientSession() as session:
        client = HttpSupportApiClient(session, url, "k", budget=0.5)
        outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=lambda: datetime.now(UTC),
                        backoff=Backoff(0.05, 0.5))
        await outbox.run(idle=0.2)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def sent_rows(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COUNT(*) FROM escalation WHERE status = 'sent'").fetchone()[0]


async def test_kill_9_mid_batch_then_restart_loses_and_duplicates_nothing(sandbox, tmp_path: Path) -> None:
    count, db = 60, tmp_path / "killed.db"
    store = await SqliteStore.open(db)
    account = sandbox.account_id("team@demo.test")
    for i in range(count):
        await store.escalations.enqueue_escalation(escalation(f"kill-{i}", account))
    await store.close()
    loop = asyncio.get_running_loop()
    async with FaultyProxy(sandbox.base_url, seed=3, failure_rate=0.3) as proxy:
        proxy.random_faults = ("500", "503", "garbage", "refuse", "drop_after_forward", "slow:1.0")

        async def worker() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(sys.executable, "-c", WORKER, str(db), proxy.base_url, cwd=ROOT)

        first = await worker()
        deadline = loop.time() + 15
        while len(sandbox.tickets()) < count // 3:  # mid-batch: some sent, some in flight, most still queued
            assert loop.time() < deadline and first.returncode is None
            await asyncio.sleep(0.01)
        first.kill()  # SIGKILL: no cleanup, requests in flight are cut
        await first.wait()
        assert 0 < sent_rows(db) < count
        second = await worker()
        try:
            deadline = loop.time() + 15
            while sent_rows(db) < count:
                assert loop.time() < deadline, (sent_rows(db), len(sandbox.tickets()))
                await asyncio.sleep(0.05)
        finally:
            second.kill()
            await second.wait()
    tickets = sandbox.tickets()
    assert sorted(t.idempotency_key for t in tickets) == sorted(f"kill-{i}" for i in range(count))  # 0 lost, 0 twice
    store = await SqliteStore.open(db)
    try:
        rows = [await store.escalations.escalation_by_key(f"kill-{i}") for i in range(count)]
    finally:
        await store.close()
    by_key = {t.idempotency_key: t.ticket_id for t in tickets}
    assert all(r.ticket_id == by_key[r.idempotency_key] for r in rows)  # 0 merged: each row has its own ticket
