"""The outbox against the sandbox over real HTTP, through a fault-injecting proxy: exactly one ticket, none lost."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.services.escalations import NewEscalation
from bot.services.outbox import Backoff, Outbox, ticket_request_from_payload
from bot.services.resilience import CircuitBreaker
from bot.services.store import SqliteStore
from bot.services.support_api import HttpSupportApiClient
from sandbox import run_sandbox
from tests.support_faults import FaultyProxy


def clock() -> datetime:
    return datetime.now(UTC)


def escalation(key: str, account_id: str) -> NewEscalation:
    payload = {
        "account_id": account_id, "org_id": "org_5", "app_id": "com.demo.team", "category": "troubleshooting",
        "severity": 3, "subject": f"problem {key}", "body": "details", "transcript": [],
        "discord": {"guild_id": "1", "channel_id": "2", "thread_id": None, "message_url": "https://discord.com/x"},
    }  # fmt: skip
    return NewEscalation(
        idempotency_key=key, guild_id=1, channel_id=2, thread_id=None, source_message_id=None, requester_id=3,
        opened_by=3, account_id=account_id, org_id="org_5", app_id="com.demo.team", tier="team",
        category="troubleshooting", severity=3, lang="en", payload=payload, created_at=clock(),
    )  # fmt: skip


@contextlib.asynccontextmanager
async def outbox_for(url: str, store: SqliteStore, *, budget: float = 3.0) -> AsyncIterator[Outbox]:
    async with aiohttp.ClientSession() as session:
        breaker = CircuitBreaker(failure_threshold=1000)  # these tests are about the outbox, not the breaker
        client = HttpSupportApiClient(session, url, "k", budget=budget, breaker=breaker, rng=random.Random(1))
        yield Outbox(store.escalations, client, ticket_request_from_payload, clock=clock, backoff=Backoff(0.01, 0.05),
                     rng=random.Random(2))  # fmt: skip


async def drain(outbox: Outbox, store: SqliteStore, expected: int, *, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while (await store.escalations.count_escalations()).get("sent", 0) < expected:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(await store.escalations.count_escalations())
        await outbox.drain_once()
        await asyncio.sleep(0.01)


@pytest.fixture
async def sandbox():
    async with run_sandbox(db=":memory:", api_key="k") as running:
        yield running


@pytest.mark.parametrize(
    "faults",
    [
        ["slow:0.6"],  # slower than the (test) budget of 0.3 s: timeout, then retried
        ["500", "503", "503"],
        ["refuse"],
        ["garbage"],
        ["drop_after_forward", "drop_after_forward"],  # created, but the answer was lost: the retry gets it back
    ],
    ids=["slow", "5xx", "refused", "malformed-json", "lost-answer"],
)
async def test_each_fault_ends_in_exactly_one_ticket(sandbox, tmp_path: Path, faults: list[str]) -> None:
    store = await SqliteStore.open(tmp_path / "o.db")
    try:
        async with FaultyProxy(sandbox.base_url) as proxy, outbox_for(proxy.base_url, store, budget=0.3) as outbox:
            proxy.plan(faults)
            row = await outbox.submit(escalation("key-1", sandbox.account_id("team@demo.test")))
            await drain(outbox, store, 1)
        assert len(sandbox.tickets()) == 1
        sent = await store.escalations.get_escalation(row.id)
        assert sent.status == "sent" and sent.ticket_id == sandbox.tickets()[0].ticket_id
    finally:
        await store.close()


async def test_api_down_for_a_while_then_back_and_a_restart_in_between(sandbox, tmp_path: Path) -> None:
    path = tmp_path / "restart.db"
    account = sandbox.account_id("team@demo.test")
    async with FaultyProxy(sandbox.base_url) as proxy:
        proxy.down()
        store = await SqliteStore.open(path)
        async with outbox_for(proxy.base_url, store, budget=0.3) as outbox:
            for i in range(5):
                row = await outbox.submit(escalation(f"down-{i}", account))
                assert row.status == "pending"
        await store.close()  # the bot stops with five escalations pending
        assert sandbox.tickets() == []
        proxy.up()
        store = await SqliteStore.open(path)  # ... and starts again
        try:
            async with outbox_for(proxy.base_url, store) as outbox:
                await drain(outbox, store, 5)
            assert len(sandbox.tickets()) == 5
            assert await store.escalations.count_escalations() == {"sent": 5}
        finally:
            await store.close()


async def test_duplicate_submissions_share_one_ticket(sandbox, tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "dup.db")
    try:
        async with outbox_for(sandbox.base_url, store) as outbox:
            account = sandbox.account_id("team@demo.test")
            rows = await asyncio.gather(*(outbox.submit(escalation("same", account)) for _ in range(5)))
            await drain(outbox, store, 1)
        assert len({r.id for r in rows}) == 1
        assert len(sandbox.tickets()) == 1
    finally:
        await store.close()


async def test_a_rejected_escalation_is_not_retried_and_staff_are_told(sandbox, tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "bad.db")
    told = []
    try:
        async with outbox_for(sandbox.base_url, store) as outbox:

            async def on_failed(row):  # type: ignore[no-untyped-def]
                told.append(row.id)

            outbox.on_failed = on_failed
            row = await outbox.submit(escalation("bad", "acc_does_not_exist"))
        assert (await store.escalations.get_escalation(row.id)).status == "failed"
        assert told == [row.id] and sandbox.tickets() == []
    finally:
        await store.close()


async def test_a_rejected_escalation_submitted_again_is_tried_once_more_with_its_key(sandbox, tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "again.db")
    told = []
    try:
        async with FaultyProxy(sandbox.base_url) as proxy, outbox_for(proxy.base_url, store) as outbox:

            async def on_failed(row):  # type: ignore[no-untyped-def]
                told.append(row.id)

            outbox.on_failed = on_failed
            row = await outbox.submit(escalation("bad", "acc_does_not_exist"))
            assert (await outbox.drain_once()).failed == 0  # the worker itself never retries a rejection
            again = await outbox.submit(escalation("bad", "acc_does_not_exist"))  # the requester tries again
            assert again.id == row.id and again.status == "failed" and again.attempts == 2
            posts = [r for r in proxy.requests if r[0] == "POST" and r[1].endswith("/tickets")]
            assert len(posts) == 2
        assert told == [row.id, row.id] and sandbox.tickets() == []
        assert await store.escalations.count_escalations() == {"failed": 1}
    finally:
        await store.close()
