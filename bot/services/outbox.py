"""The durable ticket outbox: nothing lost, nothing twice.

Every escalation is written to SQLite (with its idempotency key) before any network call. `Outbox.submit` then
tries to send it at once; whatever fails is retried by `Outbox.run` with exponential backoff and jitter until the
support API accepts it, across restarts (the rows are the queue). The idempotency key travels with every attempt,
so a retry after a lost response, a double click or a restart returns the same ticket instead of a second one.
Permanent rejections (validation, unknown account) stop the retries and are reported to staff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.services.escalations import Escalation, NewEscalation
from bot.services.support_api import DiscordRef, TicketRequest, TranscriptLine

log = logging.getLogger(__name__)


class TicketSender(Protocol):
    """What the outbox needs from the support API client."""

    async def create_ticket(self, request: Any, idempotency_key: str) -> Any:
        """Create (or return the existing) ticket for this key."""


class OutboxStore(Protocol):
    """The store methods the outbox uses (SqliteStore provides them)."""

    async def enqueue_escalation(self, new: NewEscalation) -> tuple[Escalation, bool]: ...
    async def get_escalation(self, escalation_id: int) -> Escalation | None: ...
    async def due_escalations(self, now: datetime, limit: int = 50) -> list[Escalation]: ...
    async def next_due_at(self) -> datetime | None: ...
    async def mark_escalation_sent(
        self, escalation_id: int, *, ticket_id: str, ticket_url: str, ticket_status: str, now: datetime
    ) -> None: ...
    async def mark_escalation_retry(self, escalation_id: int, *, error: str, next_attempt_at: datetime) -> None: ...
    async def mark_escalation_failed(self, escalation_id: int, *, error: str) -> None: ...


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


Callback = Callable[[Escalation], Awaitable[None]]


def ticket_request_from_payload(payload: dict[str, Any]) -> TicketRequest:
    """Rebuild the API client's TicketRequest from the JSON stored in the outbox (the inverse of `to_json`)."""
    discord_ref = payload["discord"]
    return TicketRequest(
        account_id=payload["account_id"],
        org_id=payload["org_id"],
        app_id=payload.get("app_id"),
        category=payload["category"],
        severity=int(payload["severity"]),
        subject=payload["subject"],
        body=payload["body"],
        transcript=tuple(
            TranscriptLine(author=line["author"], at=datetime.fromisoformat(line["at"]), content=line["content"])
            for line in payload.get("transcript", [])
        ),
        discord=DiscordRef(
            guild_id=discord_ref["guild_id"],
            channel_id=discord_ref["channel_id"],
            thread_id=discord_ref.get("thread_id"),
            message_url=discord_ref.get("message_url", ""),
        ),
    )


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
    ) -> None:
        self.store = store
        self.client = client
        self.build_request = build_request
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.on_sent = on_sent
        self.on_failed = on_failed
        self.is_retryable = is_retryable or (lambda exc: bool(getattr(exc, "retryable", False)))
        self._in_flight: set[int] = set()
        self._wake = asyncio.Event()

    async def submit(self, new: NewEscalation) -> Escalation:
        """Write the escalation, then try to send it once right away; return its current state."""
        row, created = await self.store.enqueue_escalation(new)
        if not created:
            log.info("escalation %s already queued (same idempotency key): no second ticket", row.id)
            return row
        log.info("escalation %s queued for guild %s", row.id, row.guild_id)
        await self._attempt(row)
        return await self.store.get_escalation(row.id) or row

    def wake(self) -> None:
        """Ask the worker loop to look at the queue now."""
        self._wake.set()

    async def drain_once(self, limit: int = 50) -> DrainStats:
        """Try every due escalation once."""
        stats = DrainStats()
        for row in await self.store.due_escalations(self.clock(), limit):
            outcome = await self._attempt(row)
            if outcome == "sent":
                stats.sent += 1
            elif outcome == "retry":
                stats.retried += 1
            elif outcome == "failed":
                stats.failed += 1
        return stats

    async def run(self, *, idle: float = 5.0, busy_limit: int = 50) -> None:
        """Send due escalations forever (until cancelled), sleeping until the next one is due."""
        while True:
            try:
                stats = await self.drain_once(busy_limit)
            except Exception:  # a broken pass must not end the worker: log, wait, go on
                log.exception("outbox pass failed; retrying in %.0fs", idle)
                stats = DrainStats()
            if stats.sent + stats.retried + stats.failed >= busy_limit:
                continue  # more may be due right now
            next_due = await self.store.next_due_at()
            wait = idle
            if next_due is not None:
                wait = max(0.05, min(idle, (next_due - self.clock()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

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
            reason = f"{type(exc).__name__}: {exc}"[:300]
            if self.is_retryable(exc):
                delay = self.backoff.delay(row.attempts, self.rng)
                await self.store.mark_escalation_retry(
                    row.id, error=reason, next_attempt_at=self.clock() + timedelta(seconds=delay)
                )
                log.warning("escalation %s not sent (%s); retry %d in %.1fs", row.id, type(exc).__name__,
                            row.attempts + 1, delay)  # fmt: skip
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
