"""Staff tools: /stats (report and chart, or CSV export), /faq-reload and /sync (also `@Bot sync` for the first
sync). Every slash command checks the staff role first (one `interaction_check`)."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.composition import build_engine
from bot.app.stats import StatsService, export_summary
from bot.exts._common import checked_config, config_of, is_staff

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot

log = logging.getLogger(__name__)

# Descriptions are localised from bot/resources/ui/ at /sync (bot/exts/translator.py); names stay English.
_T = app_commands.locale_str


class Staff(commands.Cog):
    """Statistics, FAQ reload and command sync."""

    def __init__(self, bot: commands.Bot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Every slash command of this cog is for staff (roles from /config, or Manage Server)."""
        return await checked_config(interaction, self.deps, staff_only=True) is not None

    @app_commands.command(
        name="stats", description=_T("Triage statistics with a chart, and FAQ gaps (staff)", key="commands.stats")
    )
    @app_commands.describe(
        days=_T("Period", key="commands.stats.days"),
        export=_T("Send the period's decisions, gaps and feedback as CSV files instead", key="commands.stats.export"),
    )
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction, days: Literal[7, 30] = 7, export: bool = False) -> None:
        """Show what the bot did over the last 7 or 30 days with a chart, or export it as CSV (privately)."""
        await send_stats(interaction, self.deps.stats, days, export=export)

    @app_commands.command(
        name="faq-reload", description=_T("Reload FAQ entries and docs (staff)", key="commands.faq-reload")
    )
    @app_commands.guild_only()
    async def faq_reload(self, interaction: discord.Interaction) -> None:
        """Rebuild the index from the FAQ and docs folders without blocking the bot."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            engine = await asyncio.to_thread(build_engine, self.deps.settings)
        except (ValueError, OSError) as exc:
            log.exception("FAQ reload failed")
            await interaction.followup.send(f"Reload failed, the previous index stays in use: {exc}", ephemeral=True)
            return
        self.deps.engines.replace(engine)
        await interaction.followup.send(
            f"Reloaded: {len(engine.index.entries)} FAQ entries, {len(engine.index.pages)} docs pages.", ephemeral=True
        )

    @app_commands.command(
        name="sync", description=_T("Publish the bot's slash commands to this server (staff)", key="commands.sync")
    )
    @app_commands.describe(scope=_T("This server only, or every server (global)", key="commands.sync.scope"))
    @app_commands.guild_only()
    async def sync(self, interaction: discord.Interaction, scope: Literal["server", "global"] = "server") -> None:
        """Sync the command tree on demand (never on start-up)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = interaction.guild if scope == "server" else None
        if guild is not None:
            self.bot.tree.copy_global_to(guild=guild)
        synced = await self.bot.tree.sync(guild=guild)
        await interaction.followup.send(f"Synced {len(synced)} command(s) ({scope}).", ephemeral=True)

    @commands.command(name="sync")
    @commands.guild_only()
    async def sync_text(self, ctx: commands.Context) -> None:
        """First-time setup: `@Bot sync` publishes the slash commands to this server (Manage Server or staff)."""
        guild = ctx.guild
        if guild is None:  # guild_only() lets no direct message through
            return
        config = await self.deps.store.config.get_config(guild.id)
        if not is_staff(ctx.author, config):
            log.info("refused text sync to user %s", ctx.author.id)
            return
        self.bot.tree.copy_global_to(guild=guild)
        synced = await self.bot.tree.sync(guild=guild)
        await ctx.reply(f"Synced {len(synced)} command(s) to this server.", mention_author=False)


async def send_stats(interaction: discord.Interaction, service: StatsService, days: int, *, export: bool) -> None:
    """Reply privately with the report and its PNG chart, or with the CSV files of the period."""
    guild_id = config_of(interaction).guild_id
    quiet = discord.AllowedMentions.none()
    if export:
        exported = await service.export(days, guild_id=guild_id)
        if sum(len(f.data) for f in exported) > interaction.filesize_limit:
            text = (
                f"The export of the last {days} days is too large to attach; use `python -m bot export --days {days}`."
            )
            await interaction.response.send_message(text, ephemeral=True)
            return
        files = [discord.File(io.BytesIO(f.data), filename=f.name) for f in exported]
        await interaction.response.send_message(
            export_summary(exported, days), files=files, ephemeral=True, allowed_mentions=quiet
        )
        return
    guild = interaction.guild

    def parent_of(channel_id: int) -> int | None:
        thread = guild.get_thread(channel_id) if guild else None
        return thread.parent_id if thread else None

    report = await service.report(guild_id, days, channel_parent=parent_of)
    chart = discord.File(io.BytesIO(await asyncio.to_thread(report.png)), filename="stats.png")
    await interaction.response.send_message(report.text(), file=chart, ephemeral=True, allowed_mentions=quiet)


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(Staff(bot, bot.deps))
