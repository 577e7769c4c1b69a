"""StatusWatch in processes sharing one store (shards): the leader records the status page's incidents, and every
process posts the staff lines of the guilds it has, each once, across restarts and take-overs, and tells the threads
of its guilds once the incident is over. Each process: a stand-in Discord client (its guild cache and channels), the
real deps and leadership over its own store on the same database (a SQLite file, then PostgreSQL, where the advisory
lock elects one leader; on SQLite each process leads), and one stand-in status page for all of them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

from bot.app.composition import build_deps
from bot.app.leadership import Leadership
from bot.core.decision import Incident
from bot.core.triage import TriageEngine
from bot.exts.status import StatusWatch
from bot.services.status_page import IncidentInfo, StatusReport
from bot.settings import load_settings
from tests.exts.test_ticket_watch import OURS, STAFF_LOG, THEIRS, THREAD, Client
from tests.services.conftest import Backend, backend, pg_server, pg_url  # noqa: F401 - the store fixtures

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SETTINGS = load_settings({"STATUS_URL": "off"}, env_file=None)  # the status page is the stand-in below
API = IncidentInfo("API degraded", "investigating", "https://status.example.com/i/1", ())
STARTED, RESOLVED = "Status page reports an incident: **API degraded**", "Incident resolved: **API degraded**"
TOLD = "The platform incident is resolved"


class Page:
    """The status page every process polls: the incidents the test sets."""

    def __init__(self) -> None:
        self.incidents: tuple[IncidentInfo, ...] = ()

    async def fetch(self) -> StatusReport:
        return StatusReport(not self.incidents, "major" if self.incidents else "none", self.incidents, NOW)


@contextlib.asynccontextmanager
async def process(database: Backend, engine: TriageEngine, page: Page, *guilds: int) -> AsyncIterator[StatusWatch]:
    """A bot process on `database` with `guilds` (each with its staff log channel), started as `running_deps` does."""
    store = await database.open_store()
    try:
        for guild in guilds:
            await store.config.update_config(guild, staff_log_channel_id=STAFF_LOG[guild])
        deps = build_deps(SETTINGS, engine, store, clock=lambda: NOW)
        deps = replace(deps, status=page, leadership=Leadership(store.leader_locks))  # type: ignore[arg-type]
        await deps.incidents.restore()  # the incident as the store has it
        yield StatusWatch(Client(guilds=dict.fromkeys(guilds, False)), deps)  # type: ignore[arg-type]
    finally:
        await store.close()  # gives the leadership up


def lines(watch: StatusWatch, channel_id: int, start: str) -> list[str]:
    """What `watch`'s process posted in a channel, starting with `start`."""
    client: Client = watch.bot  # type: ignore[assignment]
    return [line for line in client.sent(channel_id) if line.startswith(start)]


async def test_a_restart_during_an_incident_posts_nothing_again(
    backend: Backend,  # noqa: F811 - the imported fixture
    engine: TriageEngine,
) -> None:
    page = Page()
    page.incidents = (API,)
    async with process(backend, engine, page, OURS) as before:
        await before.tick()
        await before.tick()
        assert lines(before, STAFF_LOG[OURS], STARTED) == [f"{STARTED} (investigating) {API.url}"]
        await before.deps.incidents.note_thread(THREAD[OURS], OURS)  # the triage flow routed a member to it
    async with process(backend, engine, page, OURS) as after:
        assert after.deps.incident == Incident(API.name, API.url)
        await after.tick()  # the first poll after the restart: the same incident, told already
        await after.tick()
        assert after.bot.sent(STAFF_LOG[OURS]) == [] and after.bot.sent(THREAD[OURS]) == []  # type: ignore[attr-defined]
        page.incidents = ()
        await after.tick()
        await after.tick()
        assert after.bot.sent(STAFF_LOG[OURS]) == [f"{RESOLVED}."]  # type: ignore[attr-defined]
        assert len(lines(after, THREAD[OURS], TOLD)) == 1
    async with process(backend, engine, page, OURS) as again:
        await again.tick()
        assert again.bot.sent(STAFF_LOG[OURS]) == again.bot.sent(THREAD[OURS]) == []  # type: ignore[attr-defined]


async def test_two_processes_with_different_guilds_each_announce_in_their_own_once(
    backend: Backend,  # noqa: F811 - the imported fixture
    engine: TriageEngine,
) -> None:
    page = Page()
    async with process(backend, engine, page, OURS) as one, process(backend, engine, page, THEIRS) as two:
        await one.tick()
        await two.tick()
        assert one.deps.leadership.is_leader  # on PostgreSQL the other one follows; on SQLite each process leads
        assert two.deps.leadership.is_leader is (backend.name == "sqlite")
        page.incidents = (API,)
        for _ in range(2):
            await one.tick()
            await two.tick()
        assert two.deps.incident == Incident(API.name, API.url)  # the follower's triage sees it too
        assert len(lines(one, STAFF_LOG[OURS], STARTED)) == len(lines(two, STAFF_LOG[THEIRS], STARTED)) == 1
        await one.deps.incidents.note_thread(THREAD[OURS], OURS)
        await two.deps.incidents.note_thread(THREAD[THEIRS], THEIRS)
        page.incidents = ()
        await one.tick()
        assert len(lines(one, STAFF_LOG[OURS], RESOLVED)) == len(lines(one, THREAD[OURS], TOLD)) == 1
        # The other guild's thread is not in this process's cache: it stays owed to the process that has the guild.
        assert await one.deps.store.incidents.notified_channels() == [THREAD[THEIRS]]
        for _ in range(2):
            await two.tick()
            await one.tick()
        for watch, guild in ((one, OURS), (two, THEIRS)):
            assert len(lines(watch, STAFF_LOG[guild], RESOLVED)) == len(lines(watch, THREAD[guild], TOLD)) == 1
            assert len(lines(watch, STAFF_LOG[guild], STARTED)) == 1


async def test_a_guild_told_by_one_process_is_not_told_again_by_another(
    backend: Backend,  # noqa: F811 - the imported fixture
    engine: TriageEngine,
) -> None:
    page = Page()
    page.incidents = (API,)
    async with process(backend, engine, page, OURS) as first:
        await first.tick()
        assert len(lines(first, STAFF_LOG[OURS], STARTED)) == 1
    # It stops; another process takes over with that guild and a guild never told (new, or from another shard).
    async with process(backend, engine, page, OURS, THEIRS) as taking_over:
        await taking_over.tick()
        await taking_over.tick()
        assert lines(taking_over, STAFF_LOG[OURS], STARTED) == []
        assert len(lines(taking_over, STAFF_LOG[THEIRS], STARTED)) == 1
        page.incidents = ()
        await taking_over.tick()
        for guild in (OURS, THEIRS):  # the end: to both, each told of the start by one process or the other
            assert len(lines(taking_over, STAFF_LOG[guild], RESOLVED)) == 1
