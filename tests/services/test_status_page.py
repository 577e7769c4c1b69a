"""StatusPageClient against a real aiohttp server on 127.0.0.1 (both formats, failures -> None) and diff_incidents."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.services.status_page import IncidentInfo, StatusPageClient, StatusReport, diff_incidents

NOW = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
PAGE_URL = "https://status.example.com/"


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    raw: bytes | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class FakeStatus:
    """Serves the scripted reply (the last one repeats) on every path and counts requests."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(200, {"indicator": "up", "uptime": "99.98%"})]
        self.paths: list[str] = []
        self.release = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_get("/{tail:.*}", self.handle)
        self.url = ""

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.paths.append(request.path)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), timeout=reply.delay)
        if reply.raw is not None:
            return web.Response(status=reply.status, body=reply.raw, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)


@pytest.fixture
async def status() -> AsyncIterator[FakeStatus]:
    fake = FakeStatus()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = f"http://127.0.0.1:{server.port}/"
    yield fake
    fake.release.set()
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def capgo(status: FakeStatus, session: aiohttp.ClientSession, **kwargs: Any) -> StatusPageClient:
    return StatusPageClient(
        session, status.url + "status.json", "capgo", page_url=PAGE_URL, clock=lambda: NOW, **kwargs
    )


def statuspage(status: FakeStatus, session: aiohttp.ClientSession, **kwargs: Any) -> StatusPageClient:
    return StatusPageClient(
        session, status.url + "api/v2/summary.json", "statuspage", page_url=PAGE_URL, clock=lambda: NOW, **kwargs
    )


def summary(indicator: str, incidents: list[dict[str, Any]], components: list[dict[str, Any]] | None = None) -> dict:
    return {
        "page": {"id": "p1", "name": "Example", "url": PAGE_URL},
        "status": {"indicator": indicator, "description": "whatever"},
        "components": components or [{"name": "API", "status": "operational"}],
        "incidents": incidents,
        "scheduled_maintenances": [],
    }


def incident(name: str, status: str, shortlink: str | None, components: list[str]) -> dict[str, Any]:
    return {
        "id": name.lower().replace(" ", "-"),
        "name": name,
        "status": status,
        "shortlink": shortlink,
        "impact": "major",
        "components": [{"id": c.lower(), "name": c, "status": "major_outage"} for c in components],
    }


# ------------------------------------------------------------------------------------------ capgo format


async def test_capgo_up_is_ok(status: FakeStatus, session: aiohttp.ClientSession) -> None:
    report = await capgo(status, session).fetch()

    assert report == StatusReport(ok=True, indicator="up", incidents=(), checked_at=NOW)
    assert status.paths == ["/status.json"]


@pytest.mark.parametrize("indicator", ["down", "degraded", "maintenance"])
async def test_capgo_anything_but_up_is_a_synthetic_incident(
    status: FakeStatus, session: aiohttp.ClientSession, indicator: str
) -> None:
    status.script(Reply(200, {"indicator": indicator, "uptime": "97.10%"}))

    report = await capgo(status, session).fetch()

    assert report == StatusReport(
        ok=False,
        indicator=indicator,
        incidents=(IncidentInfo("Service disruption", indicator, PAGE_URL, ()),),
        checked_at=NOW,
    )


async def test_capgo_page_url_defaults_to_the_polled_url(status: FakeStatus, session: aiohttp.ClientSession) -> None:
    status.script(Reply(200, {"indicator": "down"}))
    client = StatusPageClient(session, status.url + "status.json", "capgo", clock=lambda: NOW)

    report = await client.fetch()

    assert report is not None
    assert report.incidents == (IncidentInfo("Service disruption", "down", status.url + "status.json", ()),)


async def test_capgo_accepts_json_served_as_text(status: FakeStatus, session: aiohttp.ClientSession) -> None:
    status.script(Reply(200, raw=b'{"indicator": "up"}', headers={"Content-Type": "text/plain"}))

    report = await capgo(status, session).fetch()

    assert report == StatusReport(ok=True, indicator="up", incidents=(), checked_at=NOW)


# ------------------------------------------------------------------------------------------ statuspage format


async def test_statuspage_none_without_incidents_is_ok(status: FakeStatus, session: aiohttp.ClientSession) -> None:
    status.script(Reply(200, summary("none", [])))

    report = await statuspage(status, session).fetch()

    assert report == StatusReport(ok=True, indicator="none", incidents=(), checked_at=NOW)
    assert status.paths == ["/api/v2/summary.json"]


async def test_statuspage_keeps_only_unresolved_incidents(status: FakeStatus, session: aiohttp.ClientSession) -> None:
    status.script(
        Reply(
            200,
            summary(
                "major",
                [
                    incident("Builds failing", "investigating", "https://stspg.io/a1", ["Builds", "API"]),
                    incident("Old outage", "resolved", "https://stspg.io/b2", ["API"]),
                    incident("Dashboard slow", "monitoring", None, []),
                    incident("Last week", "postmortem", "https://stspg.io/c3", []),
                ],
            ),
        )
    )

    report = await statuspage(status, session).fetch()

    assert report == StatusReport(
        ok=False,
        indicator="major",
        incidents=(
            IncidentInfo("Builds failing", "investigating", "https://stspg.io/a1", ("Builds", "API")),
            IncidentInfo("Dashboard slow", "monitoring", PAGE_URL, ()),  # no shortlink: the human page
        ),
        checked_at=NOW,
    )


async def test_statuspage_degraded_component_without_incident(
    status: FakeStatus, session: aiohttp.ClientSession
) -> None:
    components = [
        {"name": "API", "status": "operational"},
        {"name": "Updates CDN", "status": "degraded_performance"},
        {"name": "Console", "status": "partial_outage"},
    ]
    status.script(Reply(200, summary("minor", [incident("Fixed", "resolved", "https://stspg.io/z", [])], components)))

    report = await statuspage(status, session).fetch()

    assert report == StatusReport(
        ok=False,
        indicator="minor",
        incidents=(IncidentInfo("Service disruption", "minor", PAGE_URL, ("Updates CDN", "Console")),),
        checked_at=NOW,
    )


# ------------------------------------------------------------------------------------------ failures -> None


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, raw=b"<html>maintenance</html>"),
        Reply(200, raw=b""),
        Reply(200, ["up"]),
        Reply(200, {"uptime": "99%"}),
        Reply(200, {"indicator": 1}),
        Reply(200, {"indicator": ""}),
        Reply(200, {"indicator": "up", "uptime": {"nested": True}}),
        Reply(500, {"indicator": "up"}),
        Reply(404, raw=b"not found"),
    ],
)
async def test_capgo_garbage_or_error_is_none(status: FakeStatus, session: aiohttp.ClientSession, reply: Reply) -> None:
    status.script(reply)

    assert await capgo(status, session).fetch() is None
    assert len(status.paths) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"incidents": []},
        {"status": "none", "incidents": []},
        {"status": {"indicator": None}, "incidents": []},
        {"status": {"indicator": "none"}, "incidents": {}},
        {"status": {"indicator": "major"}, "incidents": [None]},
        {"status": {"indicator": "major"}, "incidents": [{"name": "x"}]},
        {"status": {"indicator": "major"}, "incidents": [{"name": "x", "status": "identified", "shortlink": 3}]},
        {"status": {"indicator": "major"}, "incidents": [{"name": "x", "status": "identified", "components": [{}]}]},
    ],
)
async def test_statuspage_garbage_is_none(
    status: FakeStatus, session: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    status.script(Reply(200, body))

    assert await statuspage(status, session).fetch() is None


async def test_slow_status_page_is_none_within_the_budget(status: FakeStatus, session: aiohttp.ClientSession) -> None:
    status.script(Reply(200, {"indicator": "up"}, delay=5.0))

    started = time.monotonic()
    report = await capgo(status, session, budget=0.3).fetch()

    assert report is None
    assert time.monotonic() - started < 0.3 + 0.2


async def test_unreachable_status_page_is_none(session: aiohttp.ClientSession) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = StatusPageClient(session, f"http://127.0.0.1:{port}/status.json", "capgo", page_url=PAGE_URL)

    assert await client.fetch() is None
    assert client.reachable is False


async def test_outage_is_logged_once_and_recovery_once(
    status: FakeStatus, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.services.status_page")
    status.script(
        Reply(503, raw=b""),
        Reply(200, raw=b"garbage"),
        Reply(503, raw=b""),
        Reply(200, {"indicator": "up"}),
        Reply(200, {"indicator": "up"}),
        Reply(502, raw=b""),
    )
    client = capgo(status, session)

    results = [await client.fetch() for _ in range(6)]

    assert [r is None for r in results] == [True, True, True, False, False, True]
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.services.status_page"]
    warnings = [message for level, message in records if level == "WARNING"]
    assert len(warnings) == 2  # one per outage, not one per poll
    assert "failed: HTTP 503" in warnings[0]
    assert "failed: HTTP 502" in warnings[1]
    assert [level for level, message in records if "reachable again" in message] == ["INFO"]
    assert [level for level, _ in records].count("DEBUG") == 2


def test_client_rejects_an_unknown_format(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="fmt"):
        StatusPageClient(session, "https://status.example.com/x.json", "rss")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ diff_incidents


def report(*incidents: IncidentInfo) -> StatusReport:
    return StatusReport(
        ok=not incidents, indicator="major" if incidents else "none", incidents=incidents, checked_at=NOW
    )


BUILDS = IncidentInfo("Builds failing", "investigating", "https://stspg.io/a1", ("Builds",))
CDN = IncidentInfo("CDN slow", "identified", "https://stspg.io/b2", ("Updates CDN",))


def test_diff_first_poll_reports_ongoing_incidents_as_started() -> None:
    assert diff_incidents(None, report(BUILDS)) == ([BUILDS], [])
    assert diff_incidents(None, report()) == ([], [])


def test_diff_started_and_resolved() -> None:
    assert diff_incidents(report(BUILDS), report(BUILDS, CDN)) == ([CDN], [])
    assert diff_incidents(report(BUILDS, CDN), report(CDN)) == ([], [BUILDS])
    assert diff_incidents(report(BUILDS), report(CDN)) == ([CDN], [BUILDS])
    assert diff_incidents(report(BUILDS, CDN), report()) == ([], [BUILDS, CDN])


def test_diff_status_change_is_neither_start_nor_resolution() -> None:
    identified = IncidentInfo(BUILDS.name, "identified", BUILDS.url, ("Builds", "API"))
    assert diff_incidents(report(BUILDS), report(identified)) == ([], [])


def test_diff_unknown_current_changes_nothing() -> None:
    assert diff_incidents(report(BUILDS), None) == ([], [])
    assert diff_incidents(None, None) == ([], [])


def test_diff_capgo_synthetic_incident_follows_the_indicator() -> None:
    down = IncidentInfo("Service disruption", "down", PAGE_URL, ())
    degraded = IncidentInfo("Service disruption", "degraded", PAGE_URL, ())
    assert diff_incidents(report(), report(down)) == ([down], [])
    assert diff_incidents(report(down), report(degraded)) == ([], [])
    assert diff_incidents(report(degraded), report()) == ([], [degraded])
