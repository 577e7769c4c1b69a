"""The durable ticket outbox: nothing lost, nothing twice.

Every escalation is written to SQLite (with its idempotency key) before any network call. `Outbox.submit` then
tries to send it at once; whatever fails is retried by `Outbox.run` with exponential backoff and jitter until the
support API accepts it, across restarts (the rows are the queue). The idempotency key travels with every attempt,
so a retry after a lost response, a double click or a restart returns the same ticket instead of a second one.
Permanent rejections (validation, unknown account) stop the retries and are reported to staff.

During an outage the client's circuit breaker is the one gate for every escalation:
- a call the open breaker refuses (no request sent) is not an attempt: the row is left as it was (same `attempts`,
  same `next_attempt_at`), so its backoff does not grow while nothing is tried;
- a real failure that leaves the breaker open makes the row due again at once: it waits for the breaker's
  half-open probe, not for a per-row backoff that could outlast the outage;
- the worker sleeps until the breaker admits a trial call, sends one due row as the probe, and once the breaker
  closes sends the backlog at once, `DRAIN_CONCURRENCY` requests at a time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.services.escalations import Escalation, NewEscalation
from bot.services.support_api import TicketRequest

log = logging.getLogger(__name__)

# Requests the worker keeps in flight while draining (after an outage: the whole backlog at once). It bounds the
# load a just-recovered API gets from us: at most this many concurrent calls, so about DRAIN_CONCURRENCY / latency
# tickets per second (a few hundred per second on a healthy API, 200 tickets well under a second).
DRAIN_CONCURRENCY = 8
# How long the worker waits before looking again when a call was refused while the breaker does not say when it
# will admit one (half-open with another caller's trial in flight, or a client without a readable breaker).
REFUSED_RETRY_SECONDS = 0.25


class TicketSender(Protocol):
    """What the outbox needs from the support API client."""

    async def create_ticket(self, request: Any, idempotency_key: str) -> Any:
        """Create (or return the existing) ticket for this key."""


class Breaker(Protocol):
    """What the outbox reads of the client's circuit breaker (`resilience.CircuitBreaker`)."""

    @property
    def state(self) -> str: ...
    def seconds_until_trial(self) -> float: ...


def refused_by_breaker(exc: BaseException) -> bool:
    """Return True if `exc` is an open circuit's refusal: the call failed without sending a request."""
    return getattr(exc, "code", None) == "circuit_open"


class OutboxStore(Protocol):
    """The store methods the outbox uses (SqliteStore provides them)."""

    async def enqueue_escalation(self, new: NewEscalation) -> tuple[Escalation, bool]: ...
    async def get_escalation(self, escalation_id: int) -> Escalation | None: ...
    async def due_escalations(self, now: datetime, limit: int = 50) -> list[Escalation]: ...
    async def claim_escalation(self, escalation_id: int, now: datetime) -> bool: ...
    async def next_due_at(self) -> datetime | None: ...
    async def mark_escalation_sent(
        self, escalation_id: int, *, ticket_id: str, ticket_url: str, ticket_status: str, now: datetime
    ) -> None: ...
    async def mark_escalation_retry(self, escalation_id: int, *, error: str, next_attempt_at: datetime) -> None: ...
    async def mark_escalation_failed(self, escalation_id: int, *, error: str) -> None: ...
    async def requeue_failed_escalation(self, escalation_id: int, now: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: base * 2**attempts, capped, times a random factor in [0.5, 1]."""

    base: float = 2.0
    cap: float = 300.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Return the delay in seconds before the next attempt."""
        return min(self.cap, self.base * (2 ** min(attempts, 30))) * rng.uniform(0.5, 1.0)


@dataclass(slots=True)
class DrainStats:
    """What one pass over the due escalations did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    refused: int = 0  # refused by the open circuit breaker: nothing sent, nothing counted

    def count(self, outcome: str) -> None:
        """Add the outcome of one row ("sent", "retry", "failed", "refused"; "busy" is not counted)."""
        if outcome == "sent":
            self.sent += 1
        elif outcome == "retry":
            self.retried += 1
        elif outcome == "failed":
            self.failed += 1
        elif outcome == "refused":
            self.refused += 1

    @property
    def tried(self) -> int:
        """Rows that went to the API in this pass."""
        return self.sent + self.retried + self.failed


Callback = Callable[[Escalation], Awaitable[None]]


def ticket_request_from_payload(payload: dict[str, Any]) -> TicketRequest:
    """Rebuild the API client's TicketRequest from the JSON stored in the outbox (`TicketRequest.from_json`)."""
    return TicketRequest.from_json(payload)


class Outbox:
    """Queue escalations durably and send them until the API accepts them."""

    def __init__(
        self,
        store: OutboxStore,
        client: TicketSender,
        build_request: Callable[[dict[str, Any]], Any],
        *,
        clock: Callable[[], datetime],
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        on_sent: Callback | None = None,
        on_failed: Callback | None = None,
        is_retryable: Callable[[BaseException], bool] | None = None,
        breaker: Breaker | None = None,
        concurrency: int = DRAIN_CONCURRENCY,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.store = store
        self.client = client
        self.build_request = build_request
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.on_sent = on_sent
        self.on_failed = on_failed
        self.is_retryable = is_retryable or (lambda exc: bool(getattr(exc, "retryable", False)))
        # The client's breaker (HttpSupportApiClient.breaker) unless one is given; None: no breaker to wait for.
        self.breaker: Breaker | None = breaker if breaker is not None else getattr(client, "breaker", None)
        self.concurrency = concurrency
        self._in_flight: set[int] = set()
        self._wake = asyncio.Event()

    async def submit(self, new: NewEscalation) -> Escalation:
        """Write the escalation, then try to send it once right away; return its current state."""
        row, created = await self.store.enqueue_escalation(new)
        if not created:
            if row.status == "failed" and await self.store.requeue_failed_escalation(row.id, self.clock()):
                # The same request submitted again after the API rejected it: one more try, same key and payload
                # (whatever was wrong on the API side, e.g. its configuration, may have been fixed meanwhile).
                log.info("escalation %s submitted again after a rejection: trying once more", row.id)
                requeued = await self.store.get_escalation(row.id) or row
                if await self.store.claim_escalation(row.id, self.clock()):
                    await self._attempt(requeued)
                return await self.store.get_escalation(row.id) or requeued
            log.info("escalation %s already queued (same idempotency key): no second ticket", row.id)
            return row
        log.info("escalation %s queued for guild %s", row.id, row.guild_id)
        # Leased first: another process's worker (PostgreSQL, several processes) may be draining the queue now.
        if await self.store.claim_escalation(row.id, self.clock()):
            await self._attempt(row)
        else:
            log.info("escalation %s skipped by this submit: another worker is sending it", row.id)
        return await self.store.get_escalation(row.id) or row

    def wake(self) -> None:
        """Ask the worker loop to look at the queue now."""
        self._wake.set()

    def breaker_wait(self) -> float:
        """Return how long the breaker still refuses every call (0.0: closed, half-open, or no breaker)."""
        return 0.0 if self.breaker is None else self.breaker.seconds_until_trial()

    def _breaker_state(self) -> str:
        return "closed" if self.breaker is None else self.breaker.state

    async def drain_once(self, limit: int = 50) -> DrainStats:
        """Try every due escalation once, `concurrency` at a time; stop early when the breaker refuses calls.

        While the breaker is half-open the first due row goes alone, as its trial call; once the breaker is closed
        the others follow concurrently. While it is open nothing is sent (and nothing is counted).
        """
        stats = DrainStats()
        if self.breaker_wait() > 0:
            return stats
        rows = collections.deque(await self.store.due_escalations(self.clock(), limit))

        async def worker() -> None:
            while rows and not stats.refused and self._breaker_state() == "closed":
                stats.count(await self._attempt(rows.popleft()))

        while rows and not stats.refused:
            state = self._breaker_state()
            if state == "open":
                break  # our own failures (or someone else's) opened it during this pass: wait for the probe
            if state == "half_open":
                stats.count(await self._attempt(rows.popleft()))  # the trial call goes alone
                continue
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.concurrency, len(rows))):
                    group.create_task(worker())
        return stats

    async def run(self, *, idle: float = 5.0, busy_limit: int = 50) -> None:
        """Send due escalations forever (until cancelled), sleeping until the next one is due.

        While the circuit breaker is open the worker sleeps until it admits a trial call instead of polling the
        rows: the refusals would change nothing.
        """
        while True:
            gate = self.breaker_wait()
            if gate > 0:
                await self._sleep(min(idle, gate))
                continue
            try:
                stats = await self.drain_once(busy_limit)
            except Exception:  # a broken pass must not end the worker: log, wait, go on
                log.exception("outbox pass failed; retrying in %.0fs", idle)
                stats = DrainStats()
            if stats.refused:
                # Refused without a request: the breaker re-opened, or another caller holds the half-open trial.
                await self._sleep(min(idle, max(REFUSED_RETRY_SECONDS, self.breaker_wait())))
                continue
            if stats.tried >= busy_limit:
                continue  # more may be due right now
            next_due = await self.store.next_due_at()
            wait = idle
            if next_due is not None:
                wait = max(0.05, min(idle, (next_due - self.clock()).total_seconds()))
            await self._sleep(wait)

    async def _sleep(self, seconds: float) -> None:
        """Wait `seconds`, or less if `wake()` is called (a new escalation, a shorter retry deadline)."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _attempt(self, row: Escalation) -> str:
        if row.id in self._in_flight:
            return "busy"
        self._in_flight.add(row.id)
        try:
            return await self._send(row)
        finally:
            self._in_flight.discard(row.id)

    async def _send(self, row: Escalation) -> str:
        try:
            ticket = await self.client.create_ticket(self.build_request(row.payload), row.idempotency_key)
        except Exception as exc:
            if refused_by_breaker(exc):
                # No request went out: not an attempt. The row stays as it was, due, and waits for the breaker.
                log.debug("escalation %s held: circuit open", row.id)
                return "refused"
            reason = f"{type(exc).__name__}: {exc}"[:300]
            if self.is_retryable(exc):
                # A failure that left the breaker open: the breaker's probe says when the API is back, for every
                # row; a per-row backoff on top would only keep this one waiting after the recovery.
                delay = 0.0 if self._breaker_state() == "open" else self.backoff.delay(row.attempts, self.rng)
                await self.store.mark_escalation_retry(
                    row.id, error=reason, next_attempt_at=self.clock() + timedelta(seconds=delay)
                )
                when = f"in {delay:.1f}s" if delay else "when the circuit closes"
                log.warning("escalation %s not sent (%s); retry %d %s", row.id, type(exc).__name__,
                            row.attempts + 1, when)  # fmt: skip
                self._wake.set()  # the worker may be sleeping on an older, later deadline
                return "retry"
            await self.store.mark_escalation_failed(row.id, error=reason)
            log.error("escalation %s rejected by the support API (%s); staff are told", row.id, type(exc).__name__)
            if self.on_failed is not None:
                failed = await self.store.get_escalation(row.id)
                if failed is not None:
                    await self._callback(self.on_failed, failed)
            return "failed"
        await self.store.mark_escalation_sent(
            row.id, ticket_id=ticket.ticket_id, ticket_url=ticket.url, ticket_status=ticket.status, now=self.clock()
        )
        log.info("escalation %s is ticket %s", row.id, ticket.ticket_id)
        if self.on_sent is not None:
            sent = await self.store.get_escalation(row.id)
            if sent is not None:
                await self._callback(self.on_sent, sent)
        return "sent"

    async def _callback(self, callback: Callback, row: Escalation) -> None:
        try:
            await callback(row)
        except Exception:  # a Discord hiccup must not undo a sent ticket; notices are retried from the store
            log.exception("notification for escalation %s failed", row.id)
