"""A worker process killed -9 mid-send on PostgreSQL: another process delivers each escalation exactly once.

A real second process queues and claims N escalations (`Outbox.drain_once`: leased with ``claim_lease``) and sends
them through the fault proxy, which holds every answer: some requests reach the sandbox API first (its ticket
exists, the answer never comes back), the others are held before it. The test kills that process with SIGKILL. A
worker in the test process (its own store and outbox, straight to the sandbox) cannot claim the rows while the lease
runs, then sends them all: every row ends `sent` once and the sandbox holds N tickets, one per idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.services.outbox import Backoff, Outbox, ticket_request_from_payload
from bot.services.resilience import CircuitBreaker
from bot.services.store.postgres import PostgresStore
from bot.services.support_api import HttpSupportApiClient
from sandbox import run_sandbox
from tests.support_faults import FaultyProxy

ROOT = Path(__file__).resolve().parents[2]
COUNT = 5
REACHED_API = 2  # of the COUNT requests, how many the proxy forwards before holding the answer
LEASE = timedelta(seconds=3)  # production: DEFAULT_CLAIM_LEASE, 60 s

# The killed process: queue COUNT escalations, claim them (leased) and send them; the proxy never answers.
WORKER = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
import aiohttp
from bot.services.outbox import Outbox, ticket_request_from_payload
from bot.services.store.postgres import PostgresStore
from bot.services.support_api import HttpSupportApiClient
from tests.services.test_outbox import escalation

async def main(db_url, api_url, account, count, lease):
    store = await PostgresStore.open(db_url, claim_lease=timedelta(seconds=float(lease)))
    for i in range(int(count)):
        await store.escalations.enqueue_escalation(escalation(f"crash-{i}", account))
    async with aiohttp.ClientSession() as session:
        client = HttpSupportApiClient(session, api_url, "k", budget=60.0)
        outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=lambda: datetime.now(UTC))
        await outbox.drain_once()  # claims every row, then waits for answers that never come
    await asyncio.sleep(3600)

asyncio.run(main(*sys.argv[1:]))
"""


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def sandbox():
    async with run_sandbox(db=":memory:", api_key="k") as running:
        yield running


def hold_answers(proxy: FaultyProxy) -> None:
    """Forward a request to the API as usual, then never relay its answer (until the proxy closes)."""
    forward = proxy._forward

    async def forward_then_hold(request: web.Request) -> web.Response:
        await forward(request)
        await asyncio.Event().wait()  # cancelled when the proxy shuts down
        raise AssertionError("unreachable")

    proxy._forward = forward_then_hold  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def direct_outbox(store: PostgresStore, url: str) -> AsyncIterator[Outbox]:
    async with aiohttp.ClientSession() as session:
        client = HttpSupportApiClient(session, url, "k", breaker=CircuitBreaker(failure_threshold=1000))
        yield Outbox(store.escalations, client, ticket_request_from_payload, clock=clock, backoff=Backoff(0.05, 0.2),
                     rng=random.Random(1))  # fmt: skip


async def test_a_worker_killed_mid_send_is_finished_by_another_process_once(sandbox, pg_url: str) -> None:
    loop = asyncio.get_running_loop()
    account = sandbox.account_id("team@demo.test")
    async with FaultyProxy(sandbox.base_url) as proxy:
        hold_answers(proxy)
        # The first requests reach the API and their answers are lost; the rest are held before reaching it.
        proxy.plan(["ok"] * REACHED_API + ["slow:60"] * (COUNT - REACHED_API))
        args = (pg_url, proxy.base_url, account, str(COUNT), str(LEASE.total_seconds()))
        killed = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER, *args, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        try:
            deadline = loop.time() + 15
            while len(proxy.requests) < COUNT or len(sandbox.tickets()) < REACHED_API:  # every row claimed, mid-send
                if killed.returncode is not None or loop.time() > deadline:
                    killed.kill()
                    _, err = await killed.communicate()
                    pytest.fail(f"the worker process did not send its requests: {err.decode()[-2000:]}")
                await asyncio.sleep(0.02)
        finally:
            with contextlib.suppress(ProcessLookupError):
                killed.kill()  # SIGKILL: no outcome recorded, its requests cut mid-flight
            await killed.wait()
        assert killed.returncode == -9

        async with (
            await PostgresStore.open(pg_url, claim_lease=LEASE) as store,
            direct_outbox(store, sandbox.base_url) as outbox,
        ):
            assert await store.escalations.count_escalations() == {"pending": COUNT}
            lease_end = await store.escalations.next_due_at()  # a leased row is due when its lease ends
            assert lease_end is not None

            refused = await outbox.drain_once()
            assert clock() < lease_end, "the test was too slow to try before the lease ran out"
            assert refused.tried == 0  # the rows are still leased to the dead process

            deadline = loop.time() + 10
            while (await store.escalations.count_escalations()).get("sent", 0) < COUNT:
                assert loop.time() < deadline, await store.escalations.count_escalations()
                before = clock()
                stats = await outbox.drain_once()
                assert not stats.tried or before >= lease_end  # nothing claimed before the lease ran out
                await asyncio.sleep(0.1)

            rows = [await store.escalations.escalation_by_key(f"crash-{i}") for i in range(COUNT)]
    tickets = sandbox.tickets()
    assert sorted(t.idempotency_key for t in tickets) == [f"crash-{i}" for i in range(COUNT)]  # N tickets, 1 per key
    by_key = {t.idempotency_key: t.ticket_id for t in tickets}
    assert all(r is not None and r.status == "sent" and r.attempts == 1 for r in rows), rows  # sent once each
    assert all(r is not None and r.ticket_id == by_key[r.idempotency_key] for r in rows)
