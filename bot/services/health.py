"""The health and metrics HTTP endpoint (`HEALTH_PORT`): ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus).

How it works:
- `HealthProbe` runs the checks, each from a collaborator passed in (no Discord import: the runner passes a
  callable that reads the gateway state of its client):
  - ``gateway``: connected (ready, not closed, websocket open) and heartbeat latency; not connected: down.
  - ``database``: a rolled-back write (`Database.probe_write`) within `timeout` seconds; failing: down.
  - ``outbox``: pending depth, failed rows, the oldest pending age; degraded once that age passes `outbox_stale`.
  - ``support_api``: the circuit breaker state; open or half-open: degraded.
  - ``status_page``: age of the last successful poll and whether the latest one failed; stale or failing: degraded.
  A check without its collaborator (no support API, no status page) is "off" and does not count.
- The overall status is the worst one: "down" answers HTTP 503, "ok" and "degraded" answer 200 (the bot still
  answers questions when the support API or the status page is away).
- ``/metrics`` sets the outbox and breaker gauges from the same reads, then serves the registry's text
  (``text/plain; version=0.0.4``). Labels carry no message text and no ids (`bot/app/metrics.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from aiohttp import web

log = logging.getLogger(__name__)

Status = Literal["ok", "degraded", "down", "off"]
_RANK: dict[str, int] = {"off": 0, "ok": 0, "degraded": 1, "down": 2}
_BY_RANK: tuple[Status, Status, Status] = ("ok", "degraded", "down")
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class GatewayState:
    """The Discord connection as the runner sees it."""

    connected: bool
    latency_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One check's status and what it measured (JSON values)."""

    status: Status
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The check as the /healthz body shows it."""
        return {"status": self.status, **self.detail}


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Every check and the overall status (the worst)."""

    checks: dict[str, Check]
    checked_at: datetime

    @property
    def status(self) -> Status:
        """down if any check is down, degraded if any is degraded, else ok."""
        worst = max((_RANK[c.status] for c in self.checks.values()), default=0)
        return _BY_RANK[worst]

    def as_json(self) -> dict[str, Any]:
        """The /healthz body."""
        return {
            "status": self.status,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "checks": {name: check.as_json() for name, check in self.checks.items()},
        }


class WriteProbe(Protocol):
    """The database's write check (`bot.services.store.Database`)."""

    async def probe_write(self) -> None: ...


class OutboxReader(Protocol):
    """The outbox reads (`bot.services.store.EscalationRepository`)."""

    async def count_escalations(self) -> dict[str, int]: ...
    async def oldest_pending_at(self) -> datetime | None: ...


class MetricsSink(Protocol):
    """What the endpoint needs of the metrics (`bot.app.metrics.Metrics`)."""

    def set_outbox(self, counts: Mapping[str, int], oldest_pending_seconds: float | None) -> None: ...
    def set_breaker(self, state: str | None) -> None: ...
    def render(self) -> str: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _seconds(value: float | None) -> float | None:
    """A JSON-safe number of seconds (None for a missing, infinite or NaN value)."""
    return round(value, 3) if value is not None and math.isfinite(value) else None


class HealthProbe:
    """See the module docstring; every collaborator but the database is optional."""

    def __init__(
        self,
        *,
        database: WriteProbe,
        gateway: Callable[[], GatewayState] | None = None,
        outbox: OutboxReader | None = None,
        breaker_state: Callable[[], str] | None = None,
        status_polled_at: Callable[[], datetime | None] | None = None,
        status_reachable: Callable[[], bool] | None = None,
        metrics: MetricsSink | None = None,
        outbox_stale: timedelta = timedelta(minutes=30),
        status_stale: timedelta = timedelta(minutes=5),
        timeout: float = 2.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.database = database
        self.gateway = gateway
        self.outbox = outbox
        self.breaker_state = breaker_state
        self.status_polled_at = status_polled_at
        self.status_reachable = status_reachable
        self.metrics = metrics
        self.outbox_stale = outbox_stale
        self.status_stale = status_stale
        self.timeout = timeout
        self.clock = clock
        self.started_at = clock()
        self._write_probe: asyncio.Task[None] | None = None

    async def report(self) -> HealthReport:
        """Run every check (concurrently, each within `timeout` seconds)."""
        names = ("gateway", "database", "outbox", "support_api", "status_page")
        checks = await asyncio.gather(
            self._guarded(self._gateway),
            self._guarded(self._database),
            self._guarded(self._outbox),
            self._guarded(self._support_api),
            self._guarded(self._status_page),
        )
        return HealthReport(dict(zip(names, checks, strict=True)), self.clock())

    async def metrics_text(self) -> str:
        """The metrics, with the outbox and breaker gauges read now (skipped when the database cannot be read)."""
        if self.metrics is None:
            return ""
        self.metrics.set_breaker(self.breaker_state() if self.breaker_state else None)
        if self.outbox is not None:
            try:
                async with asyncio.timeout(self.timeout):
                    counts = await self.outbox.count_escalations()
                    oldest = await self.outbox.oldest_pending_at()
            except Exception as exc:  # a scrape still returns the counters
                log.debug("metrics: outbox not read (%s)", type(exc).__name__)
            else:
                self.metrics.set_outbox(counts, (self.clock() - oldest).total_seconds() if oldest else None)
        return self.metrics.render()

    async def _guarded(self, check: Callable[[], Awaitable[Check]]) -> Check:
        try:
            async with asyncio.timeout(self.timeout):
                return await check()
        except TimeoutError:
            return Check("down", {"error": f"no answer within {self.timeout:g} s"})
        except Exception as exc:  # one failing check must not hide the others
            return Check("down", {"error": _error(exc)})

    async def _gateway(self) -> Check:
        if self.gateway is None:
            return Check("off")
        state = self.gateway()
        detail = {"connected": state.connected, "latency_seconds": _seconds(state.latency_seconds)}
        return Check("ok" if state.connected else "down", detail)

    async def _database(self) -> Check:
        # One write probe at a time, shielded: a timed-out health request must not cancel it between its BEGIN
        # and its ROLLBACK (see `Database.probe_write`); a later request waits for the same one.
        if self._write_probe is None or self._write_probe.done():
            self._write_probe = asyncio.ensure_future(self.database.probe_write())
            self._write_probe.add_done_callback(_consume)
        try:
            await asyncio.shield(self._write_probe)
        except Exception as exc:  # reported, not raised
            return Check("down", {"writable": False, "error": _error(exc)})
        return Check("ok", {"writable": True})

    async def _outbox(self) -> Check:
        if self.outbox is None:
            return Check("off")
        counts = await self.outbox.count_escalations()
        oldest = await self.outbox.oldest_pending_at()
        age = (self.clock() - oldest).total_seconds() if oldest else None
        detail = {
            "depth": counts.get("pending", 0),
            "failed": counts.get("failed", 0),
            "oldest_pending_age_seconds": _seconds(age),
        }
        stale = age is not None and age > self.outbox_stale.total_seconds()
        return Check("degraded" if stale else "ok", detail)

    async def _support_api(self) -> Check:
        if self.breaker_state is None:
            return Check("off")
        state = self.breaker_state()
        return Check("ok" if state == "closed" else "degraded", {"breaker": state})

    async def _status_page(self) -> Check:
        if self.status_polled_at is None:
            return Check("off")
        polled = self.status_polled_at()
        now = self.clock()
        reachable = self.status_reachable() if self.status_reachable else True
        age = (now - polled).total_seconds() if polled else None
        detail = {"reachable": reachable, "last_poll_age_seconds": _seconds(age)}
        # Not polled yet: fine during the first `status_stale` after start (the first poll waits for the gateway).
        waited = age if age is not None else (now - self.started_at).total_seconds()
        healthy = reachable and waited <= self.status_stale.total_seconds()
        return Check("ok" if healthy else "degraded", detail)


def _consume(task: asyncio.Task[None]) -> None:
    """Retrieve a finished probe's exception, so a probe nobody awaited any more logs no 'never retrieved'."""
    if not task.cancelled():
        task.exception()


def _error(exc: BaseException) -> str:
    """A short reason for a check's failure (the exception type and its first line)."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the HTTP server ---------------------------------------------------------------------------------------------


def build_app(probe: HealthProbe) -> web.Application:
    """The aiohttp application serving ``/healthz`` and ``/metrics`` (GET and HEAD)."""

    async def healthz(request: web.Request) -> web.Response:
        report = await probe.report()
        return web.Response(
            text=json.dumps(report.as_json(), separators=(",", ":")),
            status=503 if report.status == "down" else 200,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def metrics(request: web.Request) -> web.Response:
        body = (await probe.metrics_text()).encode()
        return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_health_server(host: str, port: int, probe: HealthProbe) -> web.AppRunner:
    """Serve the probe on `host`:`port` (0: any free port, see `bound_port`); stop it with ``await runner.cleanup()``.

    Raises `OSError` when the address cannot be bound (port in use, unknown host).
    """
    runner = web.AppRunner(build_app(probe), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("health endpoint on http://%s:%d/healthz and /metrics", host, bound_port(runner))
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The TCP port the server listens on."""
    for address in runner.addresses:
        with contextlib.suppress(TypeError, IndexError):
            return int(address[1])
    raise RuntimeError("the health server is not listening")
