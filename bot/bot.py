"""The Discord client: constructor-injected dependencies, explicit extension list, no globals."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
from discord.ext import commands

from bot.core.decision import Incident
from bot.core.render import default_escalation_texts
from bot.core.resources import EscalationTexts
from bot.core.triage import TriageEngine
from bot.services.store import SqliteStore
from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.watcher",
    "bot.exts.feedback",
    "bot.exts.volunteer",
    "bot.exts.admin",
    "bot.exts.escalation",
    "bot.exts.status",
    "bot.exts.errors",
)


def utcnow() -> datetime:
    """Return the current tz-aware UTC time (the one clock of the Discord side)."""
    return datetime.now(UTC)


@dataclass(slots=True)
class Deps:
    """Everything the cogs use, built once by the composition root."""

    settings: Settings
    engine: TriageEngine
    store: SqliteStore
    clock: Callable[[], datetime] = utcnow
    support: Any = None  # SupportApiClient when SUPPORT_API_URL is set
    outbox: Any = None  # Outbox when the support API is configured
    status: Any = None  # StatusPageClient for the brand's status page
    incident: Incident | None = None  # the platform incident in progress, from the status page
    escalation_texts: EscalationTexts = field(default_factory=default_escalation_texts)  # bot/resources/escalation/


def make_intents() -> discord.Intents:
    """Return the minimal intents: guilds, guild messages and the privileged message-content intent."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels, threads and forum tags
    intents.guild_messages = True  # new messages and edits in watched channels
    # Privileged: the bot cannot triage a question it cannot read. Enable "Message Content Intent" in the
    # Developer Portal (Bot tab); see the README.
    intents.message_content = True
    return intents


class SupportBot(commands.Bot):
    """The triage bot. Build it with its dependencies; `setup_hook` loads the extensions."""

    def __init__(self, deps: Deps, *, extensions: Sequence[str] = EXTENSIONS, **options: object) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=make_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self.deps = deps
        self._extensions = tuple(extensions)

    async def setup_hook(self) -> None:
        """Load extensions and persistent button handlers; never syncs commands (staff run /sync)."""
        for extension in self._extensions:
            try:
                await self.load_extension(extension)
            except commands.ExtensionError:
                log.exception("failed to load extension %s", extension)
                raise

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Seed the watch list from WATCH_CHANNELS the first time a guild is seen.

        Done when the guild arrives (not in on_ready, which comes seconds later) so no early question is missed.
        """
        seeds = [c for c in self.deps.settings.watch_channels if guild.get_channel(c) is not None]
        if seeds and await self.deps.store.seed_watch_channels(guild.id, seeds):
            log.info("watching %d channel(s) of guild %s from WATCH_CHANNELS", len(seeds), guild.id)

    async def on_ready(self) -> None:
        """Log readiness."""
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))
