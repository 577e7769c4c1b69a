"""Composition root of the Discord side: build everything once, inject it, run until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

import aiohttp
import discord
import yarl

from bot.bot import Deps, SupportBot, utcnow
from bot.cli import build_engine
from bot.services.outbox import Outbox, ticket_request_from_payload
from bot.services.status_page import StatusPageClient
from bot.services.store import SqliteStore
from bot.services.support_api import HttpSupportApiClient
from bot.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_RUNTIME = 0, 2, 3


def point_at_discord(settings: Settings) -> None:
    """Use a Discord-compatible server other than Discord's own when configured (local tests)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
        log.info("REST API base: %s", discord.http.Route.BASE)
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        log.info("gateway: %s", settings.discord_gateway_url)


def _close_on_signals(bot: SupportBot) -> None:
    # SIGTERM (systemd, docker stop) and Ctrl+C close the gateway and the database instead of killing mid-write.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not available on Windows
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))


async def run_discord(settings: Settings, *, bot_options: dict | None = None) -> int:
    """Connect to Discord with DISCORD_TOKEN and run until the bot is closed."""
    point_at_discord(settings)
    # Page vectors of the semantic re-ranker: loaded from .cache/ or computed in a background thread (minutes on a
    # new docs site); until they are attached the engine answers with the lexical re-ranker.
    engine = await asyncio.to_thread(build_engine, settings, page_vectors="background")
    # Load what the first message would load lazily (language model, regexes), off the event loop: otherwise the
    # first question of the day stalls every other event for ~0.2 s.
    await asyncio.to_thread(engine.triage, "warm-up: how do I upload a bundle?", now=utcnow())
    # The index is hundreds of thousands of long-lived objects: move them out of the collector's reach so a full
    # collection never has to walk them (they live as long as the process).
    gc.collect()
    gc.freeze()
    log.info("index ready: %d FAQ entries, %d docs pages", len(engine.index.entries), len(engine.index.pages))
    store = await SqliteStore.open(settings.database_path)
    session = aiohttp.ClientSession()
    try:
        deps = Deps(settings=settings, engine=engine, store=store, clock=utcnow)
        wire_support(deps, session)
        bot = SupportBot(deps, **(bot_options or {}))
        _close_on_signals(bot)
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())
        log.info("stopped cleanly")
    except discord.LoginFailure:
        log.error("Discord refused the token: check DISCORD_TOKEN (Developer Portal -> Bot -> Reset Token)")
        return EXIT_CONFIG
    except discord.PrivilegedIntentsRequired:
        log.error(
            "the Message Content intent is not enabled for this bot: Developer Portal -> Bot -> "
            "Privileged Gateway Intents -> Message Content Intent"
        )
        return EXIT_CONFIG
    finally:
        await session.close()
        await store.close()
    return EXIT_OK


def wire_support(deps: Deps, session: aiohttp.ClientSession) -> None:
    """Build the support API client, the outbox and the status-page client from the settings."""
    settings = deps.settings
    if settings.support_api_url:
        deps.support = HttpSupportApiClient(
            session, settings.support_api_url, settings.support_api_key.get_secret_value()
        )
        deps.outbox = Outbox(deps.store, deps.support, ticket_request_from_payload, clock=deps.clock)
        log.info("official support escalation enabled (%s)", settings.support_api_url)
    else:
        log.info("SUPPORT_API_URL not set: escalation commands explain where to write instead")
    if settings.status_url:
        deps.status = StatusPageClient(
            session, settings.status_url, settings.status_format, page_url=settings.brand.status_url
        )
