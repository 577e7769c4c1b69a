"""The Discord client: constructor-injected dependencies, explicit extension list, no globals."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar, cast

import discord
from discord.ext import commands

from bot.app.composition import Deps, utcnow  # noqa: F401 - re-exported: cogs and tests import them from here
from bot.exts.translator import UiTranslator

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.watcher",
    "bot.exts.feedback",
    "bot.exts.volunteer",
    "bot.exts.admin",
    "bot.exts.staff",
    "bot.exts.escalation",
    "bot.exts.tickets",
    "bot.exts.status",
    "bot.exts.errors",
)


CogT = TypeVar("CogT", bound=commands.Cog)


def deps_of(client: discord.Client) -> Deps:
    """The dependencies of the bot handling an interaction (buttons and modals live outside the cogs)."""
    if not isinstance(client, SupportBot):
        raise TypeError(f"expected the SupportBot, got {type(client).__name__}")
    return client.deps


def cog_of(client: discord.Client, kind: type[CogT]) -> CogT:
    """The loaded cog of a class, typed (instead of looking one up by a name spelled as a string).

    Looked up by the class's cog name rather than isinstance: `load_extension` executes an extension as a fresh
    module object, so a cog class imported by another module earlier is not the loaded cog's class object.
    """
    cog = client.get_cog(kind.__cog_name__) if isinstance(client, commands.Bot) else None
    if cog is None:
        raise LookupError(f"{kind.__name__} is not loaded")
    return cast(CogT, cog)


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

    def __init__(self, deps: Deps, *, extensions: Sequence[str] = EXTENSIONS, **options: Any) -> None:
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
        """Set the commands' translator, load extensions and persistent button handlers; never syncs commands
        (staff run /sync, which sends the localised descriptions)."""
        await self.tree.set_translator(UiTranslator(self.deps.ui))
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
        if seeds and await self.deps.store.config.seed_watch_channels(guild.id, seeds):
            log.info("watching %d channel(s) of guild %s from WATCH_CHANNELS", len(seeds), guild.id)

    async def on_ready(self) -> None:
        """Log readiness."""
        log.info("ready as %s in %d guild(s)%s", self.user, len(self.guilds), _shards_text(self))


class ShardedSupportBot(SupportBot, commands.AutoShardedBot):
    """The triage bot connecting several shards from one process (SHARD_IDS with more than one id)."""


def _shards_text(client: discord.Client) -> str:
    if client.shard_count is None or client.shard_count <= 1:
        return ""
    ids = getattr(client, "shard_ids", None) or [client.shard_id]
    return f", shard(s) {','.join(map(str, ids))} of {client.shard_count}"


def make_bot(deps: Deps, **options: Any) -> SupportBot:
    """The bot for this process's shards (settings SHARD_COUNT / SHARD_IDS).

    One shard (the usual case, also one shard of several per process) is a plain `commands.Bot` given `shard_id` and
    `shard_count`; several shards in one process need discord.py's `AutoShardedBot` (one gateway connection each).
    """
    settings = deps.settings
    if not settings.sharded:
        return SupportBot(deps, **options)
    if len(settings.shard_ids) == 1:
        return SupportBot(deps, shard_id=settings.shard_ids[0], shard_count=settings.shard_count, **options)
    return ShardedSupportBot(deps, shard_ids=list(settings.shard_ids), shard_count=settings.shard_count, **options)
