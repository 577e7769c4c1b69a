"""/healthz and /metrics over real HTTP on 127.0.0.1 (port 0), a real SQLite store and the composition's wiring."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import tests.exts.test_e2e as e2e
from bot.app.composition import Deps, StartupError, build_deps, build_health_probe, serving_health
from bot.app.triage_flow import Author, IncomingMessage
from bot.core.triage import TriageEngine
from bot.runner import gateway_state
from bot.services.health import GatewayState, HealthProbe, bound_port, start_health_server
from bot.services.store import SqliteStore
from bot.settings import SettingsError, load_settings
from tests.app.test_metrics import check_histograms, parse
from tests.fake_discord import FakeDiscord
from tests.services.test_escalations_store import new

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[1] / "data"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / "bot.db")
    yield store
    await store.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def settings_for(tmp_path: Path, **env: str):
    base = {"FAQ_PATH": str(DATA / "faq"), "DATABASE_PATH": str(tmp_path / "bot.db"), "STATUS_URL": "off"}
    return load_settings({**base, **env}, env_file=None)


@contextlib.asynccontextmanager
async def serving(probe: HealthProbe) -> AsyncIterator[str]:
    runner = await start_health_server("127.0.0.1", 0, probe)
    try:
        yield f"http://127.0.0.1:{bound_port(runner)}"
    finally:
        await runner.cleanup()


async def get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with http.get(url + "/healthz") as response:
        assert response.headers["Content-Type"].startswith("application/json")
        return response.status, await response.json()


@pytest.fixture
def full_deps(store: SqliteStore, engine: TriageEngine, tmp_path: Path) -> Any:
    """Deps with the support API (outbox, breaker) and a status page configured; nothing is ever called."""

    @contextlib.asynccontextmanager
    async def build(clock: Clock) -> AsyncIterator[Deps]:
        settings = settings_for(
            tmp_path,
            SUPPORT_API_URL="http://127.0.0.1:9/v1",
            SUPPORT_API_KEY="k",
            STATUS_URL="http://127.0.0.1:9/status.json",
            ESCALATION_ALERT_MINUTES="30",
        )
        async with aiohttp.ClientSession() as session:
            yield build_deps(settings, engine, store, session, clock=clock)

    return build


async def test_healthz_reports_every_check_then_down_when_the_database_closes(
    full_deps: Any, store: SqliteStore, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    async with full_deps(clock) as deps:
        connected = GatewayState(connected=True, latency_seconds=0.042)
        async with serving(build_health_probe(deps, lambda: connected)) as url:
            status, body = await get_json(http, url)
            assert status == 200 and body["status"] == "ok", body
            checks = body["checks"]
            assert checks["gateway"] == {"status": "ok", "connected": True, "latency_seconds": 0.042}
            assert checks["database"] == {"status": "ok", "writable": True}
            assert checks["outbox"] == {"status": "ok", "depth": 0, "failed": 0, "oldest_pending_age_seconds": None}
            assert checks["support_api"] == {"status": "ok", "breaker": "closed"}
            assert checks["status_page"] == {"status": "ok", "reachable": True, "last_poll_age_seconds": None}

            await store.close()
            status, body = await get_json(http, url)
            assert status == 503 and body["status"] == "down"
            assert body["checks"]["database"]["status"] == "down" and not body["checks"]["database"]["writable"]
            assert "closed" in body["checks"]["database"]["error"]


async def test_outbox_depth_and_oldest_age_come_from_the_store(
    full_deps: Any, store: SqliteStore, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    await store.escalations.enqueue_escalation(new("a", created_at=NOW - timedelta(minutes=10)))
    await store.escalations.enqueue_escalation(new("b", created_at=NOW - timedelta(minutes=2)))
    sent, _ = await store.escalations.enqueue_escalation(new("c", created_at=NOW - timedelta(hours=5)))
    await store.escalations.mark_escalation_sent(sent.id, ticket_id="t", ticket_url="u", ticket_status="open", now=NOW)
    assert await store.escalations.oldest_pending_at() == NOW - timedelta(minutes=10)
    async with full_deps(clock) as deps, serving(build_health_probe(deps)) as url:
        status, body = await get_json(http, url)
        assert status == 200 and body["checks"]["gateway"] == {"status": "off"}
        assert body["checks"]["outbox"] == {
            "status": "ok", "depth": 2, "failed": 0, "oldest_pending_age_seconds": 600.0,
        }  # fmt: skip
        clock.now = NOW + timedelta(minutes=25)  # the oldest is now 35 minutes old: past ESCALATION_ALERT_MINUTES
        status, body = await get_json(http, url)
        assert status == 200 and body["status"] == "degraded"
        assert body["checks"]["outbox"]["status"] == "degraded"
        assert body["checks"]["outbox"]["oldest_pending_age_seconds"] == 2100.0

        async with http.get(url + "/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            families = parse(await response.text())
        depth = {s[1]["status"]: s[2] for s in families["triagebot_outbox_escalations"]["samples"]}
        assert depth == {"pending": 2, "sent": 1, "failed": 0}
        assert families["triagebot_outbox_oldest_pending_seconds"]["samples"][0][2] == 2100.0


async def test_an_open_breaker_degrades_and_a_stale_status_page_degrades(
    full_deps: Any, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    async with full_deps(clock) as deps, serving(build_health_probe(deps)) as url:
        breaker = deps.support.breaker
        for _ in range(breaker.failure_threshold):
            breaker.record_failure()
        status, body = await get_json(http, url)
        assert status == 200 and body["status"] == "degraded"
        assert body["checks"]["support_api"] == {"status": "degraded", "breaker": "open"}
        async with http.get(url + "/metrics") as response:
            circuit = parse(await response.text())["triagebot_support_api_circuit"]["samples"]
        assert {s[1]["status"]: s[2] for s in circuit} == {"closed": 0, "half_open": 0, "open": 1}
        breaker.record_success()

        await deps.incidents.set(None)  # what the status cog does after each successful poll
        clock.now = NOW + timedelta(seconds=45)
        _, body = await get_json(http, url)
        assert body["status"] == "ok"
        assert body["checks"]["status_page"] == {"status": "ok", "reachable": True, "last_poll_age_seconds": 45.0}
        clock.now = NOW + timedelta(minutes=10)  # no successful poll for 10 minutes
        _, body = await get_json(http, url)
        assert body["checks"]["status_page"]["status"] == "degraded"
        assert body["checks"]["status_page"]["last_poll_age_seconds"] == 600.0


async def test_a_hung_database_check_times_out_as_down_without_cancelling_the_probe(
    http: aiohttp.ClientSession,
) -> None:
    release = asyncio.Event()
    finished: list[bool] = []
    done = asyncio.Event()

    class SlowDatabase:
        async def probe_write(self) -> None:
            await release.wait()
            finished.append(True)
            done.set()

    probe = HealthProbe(database=SlowDatabase(), timeout=0.2)
    async with serving(probe) as url:
        status, body = await get_json(http, url)
        assert status == 503 and body["checks"]["database"]["status"] == "down"
        assert "no answer within 0.2 s" in body["checks"]["database"]["error"]
        release.set()
        await asyncio.wait_for(done.wait(), 5)  # the timed-out probe was shielded: it ran to its end
        status, body = await get_json(http, url)  # and the next request runs a new one
        assert status == 200 and finished == [True, True]


async def test_metrics_after_triage_show_decisions_by_action_rule_and_lang_and_latency(
    store: SqliteStore, engine: TriageEngine, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    deps = build_deps(settings_for(tmp_path), engine, store, clock=lambda: NOW)
    await store.config.watch_channel(1, 10)
    await store.config.update_config(1, channel_cooldown_seconds=0)
    for i, text in enumerate(("How do I configure the widget update channel?", "thanks, that fixed it!")):
        message = IncomingMessage(
            message_id=100 + i, guild_id=1, channel_id=10, watch_root_id=10, thread_id=None,
            author=Author(user_id=7 + i), content=text,
        )  # fmt: skip
        await deps.triage.handle(message)
    async with serving(build_health_probe(deps)) as url, http.get(url + "/metrics") as response:
        text = await response.text()
    families = parse(text)
    decisions = {
        (s[1]["action"], s[1]["rule"], s[1]["lang"]): s[2] for s in families["triagebot_decisions_total"]["samples"]
    }
    assert sum(decisions.values()) == 2 and {(a, lang) for a, _, lang in decisions} == {
        ("answer", "en"),
        ("silent", "en"),
    }
    check_histograms(families)
    counts = [s[2] for s in families["triagebot_triage_seconds"]["samples"] if s[0].endswith("_count")]
    assert sum(counts) == 2
    assert "triagebot_outbox_escalations" in families  # no support API: the family is there, without samples
    assert families["triagebot_support_api_circuit"]["samples"] == []


async def test_no_health_port_no_server_and_a_taken_port_is_a_clear_startup_error(
    store: SqliteStore, engine: TriageEngine, tmp_path: Path
) -> None:
    deps = build_deps(settings_for(tmp_path), engine, store)
    assert deps.settings.health_port is None
    async with serving_health(deps) as port:
        assert port is None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = dataclasses.replace(deps.settings, health_port=taken.getsockname()[1])
        with pytest.raises(StartupError, match="HEALTH_PORT") as caught:
            async with serving_health(dataclasses.replace(deps, settings=busy)):
                pass
        assert caught.value.exit_code == 2


def test_health_settings_default_off_on_loopback() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.health_port is None and settings.health_host == "127.0.0.1"
    settings = load_settings({"HEALTH_PORT": "9102", "HEALTH_HOST": "0.0.0.0"}, env_file=None)
    assert settings.health_port == 9102 and settings.health_host == "0.0.0.0"


@pytest.mark.parametrize("raw", ["0", "65536", "http", "-1", "80.5", "²", "123456"])
def test_a_bad_health_port_is_a_clear_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"setting HEALTH_PORT must be a TCP port 1\.\.65535"):
        load_settings({"HEALTH_PORT": raw}, env_file=None)


def test_a_bad_health_host_is_named() -> None:
    with pytest.raises(SettingsError, match="setting HEALTH_HOST"):
        load_settings({"HEALTH_HOST": "http://x/"}, env_file=None)


# -- end to end: the real bot on the fake Discord ----------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server, e2e._pointed(server):
        yield server
    server.assert_clean()


async def test_healthz_says_the_gateway_is_connected_while_the_bot_runs(
    fake: FakeDiscord, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    async with e2e.running_bot(fake, tmp_path) as bot:
        settings = dataclasses.replace(bot.deps.settings, health_port=0)
        deps = dataclasses.replace(bot.deps, settings=settings)
        async with serving_health(deps, gateway=lambda: gateway_state(bot)) as port:
            url = f"http://127.0.0.1:{port}"
            status, body = await get_json(http, url)
            assert status == 200 and body["status"] == "ok", body
            assert body["checks"]["gateway"]["status"] == "ok" and body["checks"]["gateway"]["connected"] is True
            latency = body["checks"]["gateway"]["latency_seconds"]
            assert latency is None or latency >= 0
            assert body["checks"]["outbox"] == {"status": "off"}  # no SUPPORT_API_URL in this run
            assert body["checks"]["status_page"] == {"status": "off"}

            general = fake.channel_id("general")
            await fake.user_sends(general, fake.user_id("alice"), e2e.QUESTION)
            await fake.wait_for_message(general)
            async with http.get(url + "/metrics") as response:
                families = parse(await response.text())
            answered = [s for s in families["triagebot_decisions_total"]["samples"] if s[1]["action"] == "answer"]
            assert [s[2] for s in answered] == [1.0]

            await bot.close()
            status, body = await get_json(http, url)
            assert status == 503 and body["checks"]["gateway"] == {
                "status": "down", "connected": False, "latency_seconds": None,
            }  # fmt: skip
