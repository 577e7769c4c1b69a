"""Composition: settings in, everything the bot and the console use out. The one place objects are built.

`build_engine` (FAQ + docs index, analyser, page vectors), `open_store` (the SQLite file, or PostgreSQL when
DATABASE_URL is set; refused with one line when unusable) and `build_deps` (support API client, outbox, status page,
escalation service) are called by the Discord runner, the console, the command line, the benchmarks and the FAQ
reload; nothing else constructs them.

`Deps` is frozen: what changes while the bot runs lives in explicit holders (`EngineHolder` for the index a
`/faq-reload` swaps, `IncidentBoard` for the platform incident the status page reports), so every cog sees the
same current value without anyone mutating a shared bag of attributes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.app.leadership import Leadership
from bot.app.metrics import Metrics
from bot.core.analysis import Analyser
from bot.core.classifier import load_models
from bot.core.decision import DecisionSettings, Incident
from bot.core.render import default_escalation_texts
from bot.core.resources import EscalationTexts, UiTexts, load_ui_texts
from bot.core.triage import TriageEngine
from bot.services import page_vectors as vectors
from bot.services.semantic import load_encoder
from bot.settings import Secret, Settings

if TYPE_CHECKING:
    import aiohttp

    from bot.app.escalation import EscalationService
    from bot.app.feedback import FeedbackService
    from bot.app.stats import StatsService
    from bot.app.tickets import TicketDesk
    from bot.app.triage_flow import TriageFlow
    from bot.app.volunteer import VolunteerDesk
    from bot.services.health import GatewayState, HealthProbe
    from bot.services.outbox import Outbox
    from bot.services.status_page import StatusPageClient
    from bot.services.store import IncidentRepository, OwedIncidentNotice, SqliteStore
    from bot.services.store.postgres import PostgresStore
    from bot.services.support_api import SupportApiClient

log = logging.getLogger(__name__)

EXIT_OK, EXIT_BAD_INPUT, EXIT_CONFIG = 0, 1, 2


class StartupError(Exception):
    """The bot cannot start in this state (database, network, token): `main` prints the one-line message, no
    traceback, and exits with `exit_code` (EXIT_BAD_INPUT for a bad state, EXIT_CONFIG for a setting to change)."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def utcnow() -> datetime:
    """Return the current tz-aware UTC time (the one clock of the bot)."""
    return datetime.now(UTC)


class EngineHolder:
    """The triage engine in use; `/faq-reload` swaps it whole, so a message is triaged by one index or the other."""

    def __init__(self, engine: TriageEngine) -> None:
        self._engine = engine
        self._lock = threading.Lock()  # the swap happens on the loop, readers may be worker threads

    @property
    def current(self) -> TriageEngine:
        """The engine to use now."""
        with self._lock:
            return self._engine

    def replace(self, engine: TriageEngine) -> TriageEngine:
        """Use `engine` from now on; return the previous one."""
        with self._lock:
            previous, self._engine = self._engine, engine
        return previous


# How long after an incident ends the guilds told about its start are still told that it is over: a process that
# comes back later (the only one with those guilds) does not post a stale line.
RESOLVED_NOTICE_WINDOW = timedelta(days=1)


class IncidentBoard:
    """The platform incident in progress (from the status page), the staff notices owed about the page's incidents,
    and the channels told about it.

    Read by the triage flow for every message; written through to the store when given one, so that after a
    restart the bot still knows the incident and still tells those channels when it is resolved. Several processes
    (shards) share the store: the leader records what the status page says (`set`, `record`), and every process
    claims the notices (`owed_notices`, `claim`) and takes the channels (`take_notified`) of the guilds it has, so
    each is said once, by a process that can post it, and a restart or a take-over finds them said. Without a store
    (tests of the triage flow) no staff notice is owed and the channels are kept in memory.
    """

    def __init__(self, repository: IncidentRepository | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.current: Incident | None = None
        self.updated_at: datetime | None = None  # the last `set` (a successful status poll): the health check reads it
        self._notified: dict[int, int] = {}  # channel -> guild, without a store
        self._repository = repository
        self._clock = clock

    async def restore(self) -> None:
        """Load the incident in progress as the store has it (a previous run, or the leader of the processes)."""
        if self._repository is None:
            return
        saved = await self._repository.current_incident()
        self.current = Incident(*saved) if saved else None

    async def set(self, incident: Incident | None) -> bool:
        """Record the incident in progress (None: resolved); True when this changed what was on the board."""
        changed = incident != self.current
        self.current = incident
        self.updated_at = self._clock()
        if changed and self._repository is not None:
            saved = (incident.title, incident.url) if incident else None
            await self._repository.set_incident(saved, self._clock())
        return changed

    async def record(self, incidents: Sequence[tuple[str, str, str]]) -> None:
        """Record the status page's unresolved incidents, (name, url, status) each, whose start and end staff are told
        in every guild (`owed_notices`); an incident already recorded is kept, so a restart announces nothing again."""
        if self._repository is not None:
            await self._repository.record_incidents(incidents, self._clock())

    async def owed_notices(self, guild_ids: Collection[int]) -> list[OwedIncidentNotice]:
        """The staff notices owed in `guild_ids` (a process's own): an incident's start where it was not told, its end
        (within `RESOLVED_NOTICE_WINDOW`) where its start was."""
        if self._repository is None or not guild_ids:
            return []
        return await self._repository.owed_notices(guild_ids, self._clock() - RESOLVED_NOTICE_WINDOW)

    async def claim(self, notice: OwedIncidentNotice) -> bool:
        """Take an owed notice to post it: True for one caller only, across processes and restarts."""
        if self._repository is None:
            return False
        incident_id, guild_id = notice.incident.id, notice.guild_id
        return await self._repository.claim_notice(incident_id, guild_id, notice.kind, self._clock())

    async def note_thread(self, channel_id: int, guild_id: int) -> None:
        """Remember a channel or thread (of `guild_id`) that got the incident notice."""
        if self._repository is None:
            self._notified.setdefault(channel_id, guild_id)
            return
        await self._repository.note_notified(channel_id, guild_id, self._clock())

    async def take_notified(self, guild_ids: Collection[int]) -> list[int]:
        """The channels of `guild_ids` to tell that the incident is resolved, by id (each once: they are forgotten).

        With a store, the store's list (every note is written through to it): it also holds the channels other
        processes noted, and a channel is taken once, by a process that has its guild."""
        if self._repository is not None:
            return sorted(await self._repository.take_notified(guild_ids))
        taken = sorted(c for c, g in self._notified.items() if g in guild_ids)
        for channel_id in taken:
            del self._notified[channel_id]
        return taken


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything the cogs use, built once by :func:`build_deps` (tests build it the same way)."""

    settings: Settings
    engines: EngineHolder
    store: SqliteStore | PostgresStore
    escalation: EscalationService
    tickets: TicketDesk
    triage: TriageFlow
    feedback: FeedbackService
    stats: StatsService
    volunteers: VolunteerDesk
    clock: Callable[[], datetime] = utcnow
    support: SupportApiClient | None = None  # when SUPPORT_API_URL is set
    outbox: Outbox | None = None  # with the support API
    status: StatusPageClient | None = None  # when STATUS_URL is set
    incidents: IncidentBoard = field(default_factory=IncidentBoard)
    escalation_texts: EscalationTexts = field(default_factory=default_escalation_texts)  # bot/resources/escalation/
    ui: UiTexts = field(default_factory=load_ui_texts)  # bot/resources/ui/: labels of the Discord UI
    metrics: Metrics = field(default_factory=Metrics)  # counted by the triage flow and feedback, served at /metrics
    # Which process polls the status page (one leader among the processes sharing the database; README "Scale").
    leadership: Leadership = field(default_factory=Leadership)

    @property
    def engine(self) -> TriageEngine:
        """The triage engine in use (after the latest reload)."""
        return self.engines.current

    @property
    def incident(self) -> Incident | None:
        """The platform incident in progress, if any."""
        return self.incidents.current


def build_deps(
    settings: Settings,
    engine: TriageEngine,
    store: SqliteStore | PostgresStore,
    session: aiohttp.ClientSession | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Deps:
    """Build the bot's dependencies: the support API client and its outbox when SUPPORT_API_URL is set, the status
    page client when STATUS_URL is set (both need the HTTP `session`), and the escalation service over them."""
    # Imported here, not at the top: the command line and benchmarks build engines without the network stack.
    from bot.app.escalation import EscalationService
    from bot.app.feedback import FeedbackService
    from bot.app.stats import StatsService
    from bot.app.tickets import TicketDesk
    from bot.app.triage_flow import TriageFlow
    from bot.app.volunteer import VolunteerDesk
    from bot.services.outbox import Outbox, ticket_request_from_payload
    from bot.services.status_page import StatusPageClient
    from bot.services.support_api import HttpSupportApiClient

    support: SupportApiClient | None = None
    outbox: Outbox | None = None
    status: StatusPageClient | None = None
    if settings.support_api_url and session is not None:
        support = HttpSupportApiClient(session, settings.support_api_url, settings.support_api_key.get_secret_value())
        outbox = Outbox(store.escalations, support, ticket_request_from_payload, clock=clock)
        log.info("official support escalation enabled (%s)", settings.support_api_url)
    else:
        log.info("SUPPORT_API_URL not set: escalation commands explain where to write instead")
    if settings.status_url and session is not None:
        # Settings accept only the two formats the client parses ("capgo" is the default).
        status_format: Literal["capgo", "statuspage"] = (
            "statuspage" if settings.status_format == "statuspage" else "capgo"
        )
        status = StatusPageClient(session, settings.status_url, status_format, page_url=settings.brand.status_url)
    engines = EngineHolder(engine)
    escalation = EscalationService(
        store=store.escalations,
        support=support,
        outbox=outbox,
        policy=settings.policy,
        out_of_scope=lambda text: engines.current.analyser.analyse(text).route == "out_of_scope",
        clock=clock,
    )
    incidents = IncidentBoard(store.incidents, clock)
    metrics = Metrics()
    flow = TriageFlow(
        config=store.config,
        replies=store.replies,
        cooldowns=store.cooldowns,
        engines=engines,
        incidents=incidents,
        thresholds=settings.triage,
        clock=clock,
        metrics=metrics,
        official_support=outbox is not None,
    )
    tickets = TicketDesk(
        escalations=store.escalations,
        config=store.config,
        support=support,
        policy=settings.policy,
        clock=clock,
        alert_after=timedelta(minutes=settings.escalation_alert_minutes),
    )
    return Deps(
        settings=settings,
        engines=engines,
        store=store,
        escalation=escalation,
        tickets=tickets,
        feedback=FeedbackService(
            replies=store.replies, config=store.config, engines=engines, clock=clock, metrics=metrics
        ),
        volunteers=VolunteerDesk(replies=store.replies, engines=engines, clock=clock),
        stats=StatsService(stats=store.stats, clock=clock),
        triage=flow,
        incidents=incidents,
        clock=clock,
        support=support,
        outbox=outbox,
        status=status,
        metrics=metrics,
        leadership=Leadership(store.leader_locks),
    )


@contextlib.asynccontextmanager
async def running_deps(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> AsyncIterator[Deps]:
    """Everything the Discord bot needs, open for as long as the block runs, closed in reverse order after it.

    The database first (a damaged or unwritable one is refused at once, before seconds of indexing), then the
    engine (page vectors attach in the background), one HTTP session for the support API and the status page,
    the dependencies over them, and the incident board as a previous run left it.
    """
    import aiohttp

    store = await open_store(
        settings.database_path,
        settings.database_url,
        claim_lease=timedelta(seconds=settings.outbox_claim_lease_seconds),
    )
    try:
        engine = await asyncio.to_thread(build_engine, settings, page_vectors="background")
        # Load what the first message would load lazily (language model, regexes), off the event loop: otherwise
        # the first question of the day stalls every other event for ~0.2 s.
        await asyncio.to_thread(engine.triage, "warm-up: how do I upload a bundle?", now=clock())
        # The index is hundreds of thousands of long-lived objects: move them out of the collector's reach so a
        # full collection never has to walk them (they live as long as the process).
        gc.collect()
        gc.freeze()
        log.info("index ready: %d FAQ entries, %d docs pages", len(engine.index.entries), len(engine.index.pages))
        async with aiohttp.ClientSession() as session:
            deps = build_deps(settings, engine, store, session, clock=clock)
            await deps.incidents.restore()  # an incident (and who was told) from before a restart
            yield deps
    finally:
        await store.close()


def build_health_probe(deps: Deps, gateway: Callable[[], GatewayState] | None = None) -> HealthProbe:
    """The checks behind /healthz and /metrics over `deps`; `gateway` reads the Discord connection (the runner's)."""
    from bot.services.health import HealthProbe

    breaker = getattr(deps.support, "breaker", None)  # the HTTP client's circuit breaker (fakes have none)
    status = deps.status
    return HealthProbe(
        database=deps.store.database,
        gateway=gateway,
        outbox=deps.store.escalations if deps.outbox is not None else None,
        breaker_state=(lambda: str(breaker.state)) if breaker is not None else None,
        status_polled_at=(lambda: deps.incidents.updated_at) if status is not None else None,
        status_reachable=(lambda: status.reachable) if status is not None else None,
        metrics=deps.metrics,
        outbox_stale=timedelta(minutes=deps.settings.escalation_alert_minutes),
        clock=deps.clock,
    )


@contextlib.asynccontextmanager
async def serving_health(deps: Deps, gateway: Callable[[], GatewayState] | None = None) -> AsyncIterator[int | None]:
    """Serve /healthz and /metrics on HEALTH_HOST:HEALTH_PORT while the block runs; yield the bound port, or None
    (and serve nothing) when HEALTH_PORT is not set. A port that cannot be bound raises `StartupError`."""
    settings = deps.settings
    if settings.health_port is None:
        yield None
        return
    from bot.services.health import bound_port, start_health_server

    try:
        runner = await start_health_server(
            settings.health_host, settings.health_port, build_health_probe(deps, gateway)
        )
    except OSError as exc:
        raise StartupError(
            f"cannot serve the health endpoint on {settings.health_host}:{settings.health_port} "
            f"({exc.strerror or exc}); set HEALTH_PORT to a free port or HEALTH_HOST to an address of this machine",
            EXIT_CONFIG,
        ) from exc
    try:
        yield bound_port(runner)
    finally:
        await runner.cleanup()


async def open_store(
    path: Path, database_url: Secret | None = None, *, claim_lease: timedelta | None = None
) -> SqliteStore | PostgresStore:
    """Open the store: PostgreSQL at `database_url` (DATABASE_URL) when set, else the SQLite file at `path`
    (DATABASE_PATH). A database that cannot be used raises `StartupError` (its message never shows a password).

    `claim_lease` (OUTBOX_CLAIM_LEASE_SECONDS) is how long an outbox worker's claim keeps the other processes off an
    escalation on PostgreSQL (None: the store's default, 60 s); SQLite ignores it (one process, nothing to share)."""
    from bot.services.store import DatabaseUnusableError, SqliteStore, StoreError

    setting = "DATABASE_URL" if database_url else "DATABASE_PATH"
    try:
        if database_url:
            from bot.services.store.postgres import DEFAULT_CLAIM_LEASE, PostgresStore

            lease = DEFAULT_CLAIM_LEASE if claim_lease is None else claim_lease
            return await PostgresStore.open(database_url.get_secret_value(), claim_lease=lease)
        return await SqliteStore.open(path)
    except DatabaseUnusableError as exc:
        raise StartupError(str(exc), EXIT_CONFIG if exc.bad_setting else EXIT_BAD_INPUT) from exc
    except StoreError as exc:  # a migration that failed, or a database newer than this code
        raise StartupError(f"{exc} ({setting})") from exc


def build_engine(
    settings: Settings,
    *,
    faq: Path | None = None,
    docs: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    page_vectors: str = "sync",
    vectors_cache: Path | None = None,
    vectors_progress: Callable[[int, int], None] | None = None,
) -> TriageEngine:
    """Build the triage engine from settings (folders may be overridden on the command line).

    `page_vectors` says when the semantic re-ranker's page vectors are computed if not cached: "sync" now (the
    command line and benchmarks; a progress line on stderr), "background" in a thread while the engine already
    answers with the lexical re-ranker (the bot), "off" never. `vectors_cache` overrides .cache/page-vectors.npz;
    `vectors_progress` is told (passages embedded, passages to embed) by a background build.
    """
    placeholders = settings.brand.placeholders(settings.docs_site.docs_url)
    engine = TriageEngine.from_folders(
        faq_path=faq or settings.faq_path,
        docs_path=docs or settings.docs_path,
        placeholders=placeholders,
        site_url=settings.brand.site_url,
        docs_base_url=settings.docs_site.base_url,
        docs_locales=settings.docs_site.locales,
        url_rule=settings.docs_site.url_rule,
        settings=DecisionSettings(
            answer_threshold=settings.triage.answer_threshold,
            suggest_threshold=settings.triage.suggest_threshold,
            remind_min_missing=settings.triage.remind_min_missing,
            remind_min_probability=settings.triage.remind_min_probability,
        ),
        progress=progress,
    )
    encoder = load_encoder() if settings.semantic else None
    engine.analyser = Analyser(load_models(), encoder=encoder)
    engine.encoder = encoder
    if engine.wants_page_vectors and encoder is not None and page_vectors != "off":
        if page_vectors == "background":
            vectors.attach_in_background(
                engine.index,
                engine.page_summaries,
                encoder,
                vectors_cache,
                sections=engine.page_sections,
                progress=vectors_progress,
            )
        else:
            vectors.attach(engine.index, engine.page_summaries, encoder, vectors_cache, sections=engine.page_sections)
    # The section texts (5,661 passages for the Capgo docs, ~5 MB) are only read to embed them: the background
    # build holds its own reference until it is done. With page_vectors "off" the caller may attach them itself.
    if page_vectors != "off":
        engine.page_sections = {}
    return engine


def build_analyser(settings: Settings) -> Analyser:
    """The message analyser: semantic models when enabled and the encoder loads, else the n-gram models."""
    encoder = load_encoder() if settings.semantic else None
    return Analyser(load_models(), encoder=encoder)
