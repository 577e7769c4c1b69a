"""Outbox benchmark: 10,000 escalations through the outbox with 30% injected failures and timeouts.

The sandbox support API runs in its own process (`python -m sandbox`, a SQLite file); a fault-injecting proxy
(tests/support_faults.py) sits between it and the outbox and fails 30% of requests at random: 500, 503, malformed
JSON, refused connections, answers lost after the ticket was created, and calls slower than the client's budget.
Reported: lost (escalations without a ticket), duplicated (tickets beyond one per escalation), time to drain,
attempts; then ticket-creation latency p50/p99 against the healthy API on loopback (no proxy), the baseline.

The outage scenario (issue 11) runs the production configuration (default breaker, backoff and worker loop,
`Outbox.run`): users escalate through an outage (503s, then refused connections), the API comes back, and the
table reports the drain after the recovery: time from the recovery to the last ticket (target: 10 s).

Usage: python -m bench outbox [--escalations N] [--failure-rate R] [--outage-seconds S] [--outage-only]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import logging
import os
import random
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services.escalations import NewEscalation  # noqa: E402
from bot.services.outbox import Backoff, Outbox, ticket_request_from_payload  # noqa: E402
from bot.services.resilience import CircuitBreaker  # noqa: E402
from bot.services.store import SqliteStore  # noqa: E402
from bot.services.support_api import HttpSupportApiClient  # noqa: E402
from tests.support_faults import FaultyProxy  # noqa: E402

API_KEY = "bench-key"
BUDGET = 0.25  # per call in this benchmark, so that "slow" faults are timeouts without making the run long
FAULTS = ("500", "503", "garbage", "refuse", "drop_after_forward", "slow:0.4")
CONCURRENCY = 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _now() -> datetime:
    return datetime.now(UTC)


def _escalation(i: int) -> NewEscalation:
    payload = {
        "account_id": "acc_5", "org_id": "org_5", "app_id": "com.demo.team", "category": "troubleshooting",
        "severity": 1 + i % 4, "subject": f"bench escalation {i}", "body": "details", "transcript": [],
        "discord": {"guild_id": "1", "channel_id": "2", "thread_id": None, "message_url": "https://discord.com/x"},
    }  # fmt: skip
    return NewEscalation(
        idempotency_key=f"bench-{i}", guild_id=1, channel_id=2, thread_id=None, source_message_id=None,
        requester_id=3, opened_by=3, account_id="acc_5", org_id="org_5", app_id="com.demo.team", tier="team",
        category="troubleshooting", severity=1 + i % 4, lang="en", payload=payload, created_at=_now(),
    )  # fmt: skip


@contextlib.asynccontextmanager
async def _sandbox(db: Path):
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--port", str(port), "--db", str(db), "--api-key", API_KEY,
        "--log-level", "WARNING", cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/health", headers={"Authorization": f"Bearer {API_KEY}"}) as r:
                    if r.status == 200:
                        break
            await asyncio.sleep(0.05)
    try:
        yield base
    finally:
        proc.terminate()
        await proc.wait()


async def _outbox_run(count: int, failure_rate: float, tmp: Path) -> dict:
    async with _sandbox(tmp / "sandbox.db") as base, FaultyProxy(base, seed=7, failure_rate=failure_rate) as proxy:
        proxy.random_faults = FAULTS
        store = await SqliteStore.open(tmp / "bot.db")
        connector = aiohttp.TCPConnector(limit=CONCURRENCY * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            # The breaker would (rightly) stop calling an API that fails this often; here we measure the outbox.
            breaker = CircuitBreaker(failure_threshold=10_000)
            client = HttpSupportApiClient(
                session, proxy.base_url, API_KEY, budget=BUDGET, breaker=breaker, rng=random.Random(3)
            )
            outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=_now,
                            backoff=Backoff(base=0.05, cap=1.0), rng=random.Random(4))  # fmt: skip
            started = time.perf_counter()
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(count):
                queue.put_nowait(i)

            async def submitter() -> None:
                while not queue.empty():
                    await outbox.submit(_escalation(queue.get_nowait()))

            await asyncio.gather(*(submitter() for _ in range(CONCURRENCY)))
            submitted = time.perf_counter()
            passes = 0
            while (counts := await store.escalations.count_escalations()).get("pending", 0):
                passes += 1
                due = await store.escalations.due_escalations(_now(), limit=500)
                sem = asyncio.Semaphore(CONCURRENCY)

                async def one(row, sem=sem) -> None:
                    async with sem:
                        await outbox._attempt(row)

                await asyncio.gather(*(one(row) for row in due))
                if not due:
                    await asyncio.sleep(0.02)
            drained = time.perf_counter()
        attempts = await store._read_one("SELECT SUM(attempts) AS n FROM escalation")
        await store.close()
    with sqlite3.connect(tmp / "sandbox.db") as db:
        tickets = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        per_subject = collections.Counter(
            row[0] for row in db.execute("SELECT json_extract(request, '$.subject') FROM tickets")
        )
    return {
        "escalations": count,
        "tickets": tickets,
        "lost": count - len(per_subject),
        "duplicated": sum(n - 1 for n in per_subject.values()),
        "sent_rows": counts.get("sent", 0),
        "failed_rows": counts.get("failed", 0),
        "attempts": int(attempts["n"]),
        "faults_injected": sum(1 for r in proxy.requests if r.behaviour != "ok"),
        "requests": len(proxy.requests),
        "submit_s": submitted - started,
        "drain_s": drained - started,
        "passes": passes,
    }


async def _outage_run(count: int, outage: float, tmp: Path) -> dict:
    """Escalate `count` times, evenly, through an outage of `outage` seconds; time the drain after the recovery."""
    loop = asyncio.get_running_loop()
    async with _sandbox(tmp / "outage-sandbox.db") as base, FaultyProxy(base, seed=11) as proxy:
        store = await SqliteStore.open(tmp / "outage-bot.db")
        async with aiohttp.ClientSession() as session:
            # Production defaults: 3 s budget, the client's own breaker, the default Backoff, the worker loop.
            client = HttpSupportApiClient(session, proxy.base_url, API_KEY, rng=random.Random(5))
            delivered: list[float] = []
            all_delivered = asyncio.Event()

            async def on_sent(_row: object) -> None:
                delivered.append(loop.time())
                if len(delivered) == count:
                    all_delivered.set()

            outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=_now, rng=random.Random(6),
                            on_sent=on_sent)  # fmt: skip
            worker = asyncio.create_task(outbox.run())
            try:
                proxy.failure_rate, proxy.random_faults = 1.0, ("503",)
                started = loop.time()
                for i in range(count):
                    if i == count // 2:
                        proxy.down()  # the second half of the outage: connections refused
                    await asyncio.sleep(max(0.0, started + outage * i / count - loop.time()))
                    await outbox.submit(_escalation(300_000 + i))
                await asyncio.sleep(max(0.0, started + outage - loop.time()))
                requests_during_outage = len(proxy.requests)
                proxy.failure_rate = 0.0
                proxy.up()
                recovered = loop.time()
                await asyncio.wait_for(all_delivered.wait(), 900)  # the old doubling took ~200 s here
                drain = delivered[-1] - recovered
            finally:
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
        attempts = await store._read_one("SELECT SUM(attempts) AS n, MAX(attempts) AS m FROM escalation")
        counts = await store.escalations.count_escalations()
        await store.close()
    with sqlite3.connect(tmp / "outage-sandbox.db") as db:
        per_subject = collections.Counter(
            row[0] for row in db.execute("SELECT json_extract(request, '$.subject') FROM tickets")
        )
    return {
        "escalations": count, "outage_s": outage, "drain_s": drain, "lost": count - len(per_subject),
        "duplicated": sum(n - 1 for n in per_subject.values()), "sent_rows": counts.get("sent", 0),
        "requests_during_outage": requests_during_outage, "attempts": int(attempts["n"]),
        "max_attempts": int(attempts["m"]),
    }  # fmt: skip


async def _latency_run(count: int, tmp: Path) -> dict:
    async with _sandbox(tmp / "healthy.db") as base, aiohttp.ClientSession() as session:
        store = await SqliteStore.open(tmp / "latency.db")
        client = HttpSupportApiClient(session, base, API_KEY)
        outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=_now)
        timings = []
        for i in range(count):
            t = time.perf_counter()
            row = await outbox.submit(_escalation(100_000 + i))
            timings.append((time.perf_counter() - t) * 1000)
            assert row.status == "sent"
        direct = []
        for i in range(count):
            request = ticket_request_from_payload(_escalation(200_000 + i).payload)
            t = time.perf_counter()
            await client.create_ticket(request, f"direct-{i}")
            direct.append((time.perf_counter() - t) * 1000)
        await store.close()
    timings.sort()
    direct.sort()
    return {
        "p50": statistics.median(timings), "p99": timings[int(len(timings) * 0.99) - 1],
        "direct_p50": statistics.median(direct), "direct_p99": direct[int(len(direct) * 0.99) - 1],
    }  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the outbox benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench outbox")
    parser.add_argument("--escalations", type=int, default=10_000)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--latency-samples", type=int, default=500)
    parser.add_argument("--outage-seconds", type=float, default=18.0, help="0: skip the outage scenario")
    parser.add_argument("--outage-escalations", type=int, default=200)
    parser.add_argument("--outage-only", action="store_true", help="run only the outage scenario")
    args = parser.parse_args(argv)
    # Each injected fault is logged by the client and the outbox (WARNING) and by the proxy's server when a client
    # gives up mid-request; thousands of those lines would bury the table.
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        outage = None
        if args.outage_seconds > 0:
            outage = asyncio.run(_outage_run(args.outage_escalations, args.outage_seconds, Path(tmp)))
        if args.outage_only:
            if outage is None:
                parser.error("--outage-only needs --outage-seconds > 0")
            _print_outage(outage)
            return 0 if outage["lost"] == 0 and outage["duplicated"] == 0 else 1
        result = asyncio.run(_outbox_run(args.escalations, args.failure_rate, Path(tmp)))
        latency = asyncio.run(_latency_run(args.latency_samples, Path(tmp)))
    r = result
    print(f"### Outbox ({r['escalations']} escalations, {args.failure_rate:.0%} of requests failed or timed out)\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| lost (escalation without a ticket) | {r['lost']} | 0 |")
    print(f"| duplicated (extra tickets) | {r['duplicated']} | 0 |")
    print(f"| tickets in the sandbox | {r['tickets']} | {r['escalations']} |")
    print(f"| outbox rows sent / failed | {r['sent_rows']} / {r['failed_rows']} | {r['escalations']} / 0 |")
    print(f"| requests / injected faults | {r['requests']} / {r['faults_injected']} | |")
    print(f"| attempts per escalation (mean) | {r['attempts'] / max(r['escalations'], 1):.2f} | |")
    print(f"| time to submit all / to drain all | {r['submit_s']:.1f} s / {r['drain_s']:.1f} s | |")
    print(f"\n### Ticket creation latency, healthy API on loopback ({args.latency_samples} tickets)\n")
    print("| path | p50 | p99 |")
    print("|---|---|---|")
    print(f"| through the outbox (SQLite write + HTTP + SQLite update) | {latency['p50']:.1f} ms | "
          f"{latency['p99']:.1f} ms |")  # fmt: skip
    print(f"| baseline: client.create_ticket alone | {latency['direct_p50']:.1f} ms | {latency['direct_p99']:.1f} ms |")
    ok = r["lost"] == 0 and r["duplicated"] == 0
    if outage is not None:
        print()
        _print_outage(outage)
        ok = ok and outage["lost"] == 0 and outage["duplicated"] == 0
    return 0 if ok else 1


def _print_outage(o: dict) -> None:
    n = o["escalations"]
    print(f"### Outage ({n} escalations during {o['outage_s']:.0f} s of 503s then refused connections; "
          "production breaker, backoff and worker)\n")  # fmt: skip
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| drain after recovery (recovery to last ticket) | {o['drain_s']:.1f} s | <= 10 s |")
    print(f"| lost / duplicated | {o['lost']} / {o['duplicated']} | 0 / 0 |")
    print(f"| outbox rows sent | {o['sent_rows']} | {n} |")
    print(f"| requests reaching the API during the outage | {o['requests_during_outage']} | |")
    print(f"| attempts per escalation (mean / max) | {o['attempts'] / max(n, 1):.2f} / {o['max_attempts']} | |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
