"""Staff commands: /config, /stats, /faq-reload and /sync. Every one checks the staff role first."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.composition import build_engine
from bot.core.faq import LANGS
from bot.exts._common import checked_config, config_of, is_staff

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot

log = logging.getLogger(__name__)

WatchableChannel = discord.TextChannel | discord.ForumChannel


class Admin(commands.Cog):
    """Staff configuration, statistics, FAQ reload and command sync."""

    config = app_commands.Group(name="config", description="Configure the triage bot (staff)", guild_only=True)

    def __init__(self, bot: commands.Bot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Every command of this cog is for staff (roles from /config, or Manage Server)."""
        return await checked_config(interaction, self.deps, staff_only=True) is not None

    async def _done(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @config.command(name="show", description="Show the current configuration")
    async def config_show(self, interaction: discord.Interaction) -> None:
        """Show the configuration of this server."""
        config = config_of(interaction)
        watched = await self.deps.store.config.watched_channels(config.guild_id)
        threshold = config.answer_threshold or self.deps.settings.triage.answer_threshold
        lines = [
            "**Watched channels:** "
            + (", ".join(f"<#{c}>{' (shadow)' if w.shadow else ''}" for c, w in watched.items()) or "none"),
            "**Volunteer roles:** " + (", ".join(f"<@&{r}>" for r in config.volunteer_role_ids) or "none"),
            "**Staff roles:** " + (", ".join(f"<@&{r}>" for r in config.staff_role_ids) or "none (Manage Server)"),
            "**Staff log channel:** "
            + (f"<#{config.staff_log_channel_id}>" if config.staff_log_channel_id else "none"),
            f"**Default language:** {config.default_language}",
            f"**Answer threshold:** {threshold:.2f}",
            f"**Channel cooldown:** {config.channel_cooldown_seconds}s; "
            f"**reminders:** at most one per user every {config.reminder_period_hours}h",
            f"**Forum tags:** answered={config.forum_tag_answered or '-'}, "
            f"needs details={config.forum_tag_needs_details or '-'}, escalated={config.forum_tag_escalated or '-'}",
        ]
        await self._done(interaction, "\n".join(lines))

    @config.command(name="watch", description="Watch a channel (text or forum)")
    @app_commands.describe(channel="Channel to watch", shadow="Only report what the bot would do to the staff log")
    async def config_watch(
        self, interaction: discord.Interaction, channel: WatchableChannel, shadow: bool = False
    ) -> None:
        """Add a channel to the watch list."""
        config = config_of(interaction)
        await self.deps.store.config.watch_channel(config.guild_id, channel.id, shadow=shadow)
        await self._done(interaction, f"Watching {channel.mention}{' in shadow mode' if shadow else ''}.")

    @config.command(name="unwatch", description="Stop watching a channel")
    async def config_unwatch(self, interaction: discord.Interaction, channel: WatchableChannel) -> None:
        """Remove a channel from the watch list."""
        config = config_of(interaction)
        await self.deps.store.config.unwatch_channel(config.guild_id, channel.id)
        await self._done(interaction, f"No longer watching {channel.mention}.")

    @config.command(name="shadow", description="Turn shadow mode on or off for a watched channel")
    async def config_shadow(self, interaction: discord.Interaction, channel: WatchableChannel, enabled: bool) -> None:
        """Toggle shadow mode on a watched channel."""
        config = config_of(interaction)
        if not await self.deps.store.config.set_shadow(config.guild_id, channel.id, enabled):
            await self._done(interaction, f"{channel.mention} is not watched; use /config watch first.")
            return
        await self._done(interaction, f"Shadow mode {'on' if enabled else 'off'} for {channel.mention}.")

    @config.command(name="role", description="Add or remove a volunteer or staff role")
    async def config_role(
        self,
        interaction: discord.Interaction,
        kind: Literal["volunteer", "staff"],
        role: discord.Role,
        action: Literal["add", "remove"] = "add",
    ) -> None:
        """Manage the roles the bot treats as volunteers or staff."""
        config = config_of(interaction)
        field = "volunteer_role_ids" if kind == "volunteer" else "staff_role_ids"
        current = set(getattr(config, field))
        current = current | {role.id} if action == "add" else current - {role.id}
        await self.deps.store.config.update_config(config.guild_id, **{field: tuple(sorted(current))})
        verb = "added to" if action == "add" else "removed from"
        await self._done(interaction, f"{role.mention} {verb} the {kind} roles.")

    @config.command(name="log-channel", description="Channel where staff notices and shadow replies go")
    async def config_log_channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Set the staff log channel."""
        config = config_of(interaction)
        await self.deps.store.config.update_config(config.guild_id, staff_log_channel_id=channel.id)
        await self._done(interaction, f"Staff log channel set to {channel.mention}.")

    @config.command(name="language", description="Default language for volunteer-posted answers")
    async def config_language(self, interaction: discord.Interaction, code: str) -> None:
        """Set the default language."""
        config = config_of(interaction)
        if code not in LANGS:
            await self._done(interaction, f"Unknown language {code!r}; use one of {', '.join(LANGS)}.")
            return
        await self.deps.store.config.update_config(config.guild_id, default_language=code)
        await self._done(interaction, f"Default language set to {code}.")

    @config.command(name="threshold", description="Confidence needed to answer on its own (0..1)")
    async def config_threshold(
        self, interaction: discord.Interaction, value: app_commands.Range[float, 0.0, 1.0]
    ) -> None:
        """Set this server's answer threshold."""
        config = config_of(interaction)
        await self.deps.store.config.update_config(config.guild_id, answer_threshold=float(value))
        await self._done(interaction, f"Answer threshold set to {value:.2f}.")

    @config.command(name="cooldowns", description="Channel cooldown (seconds) and reminder period (hours)")
    async def config_cooldowns(
        self,
        interaction: discord.Interaction,
        channel_seconds: app_commands.Range[int, 0, 3600] | None = None,
        reminder_hours: app_commands.Range[int, 0, 720] | None = None,
    ) -> None:
        """Set the cooldowns."""
        config = config_of(interaction)
        changes: dict[str, int] = {}
        if channel_seconds is not None:
            changes["channel_cooldown_seconds"] = int(channel_seconds)
        if reminder_hours is not None:
            changes["reminder_period_hours"] = int(reminder_hours)
        if changes:
            await self.deps.store.config.update_config(config.guild_id, **changes)
        await self._done(interaction, "Cooldowns updated." if changes else "Nothing to change.")

    @config.command(name="forum-tags", description="Forum tag names applied for each outcome")
    async def config_forum_tags(
        self,
        interaction: discord.Interaction,
        answered: str | None = None,
        needs_details: str | None = None,
        escalated: str | None = None,
    ) -> None:
        """Set the forum tag names."""
        config = config_of(interaction)
        changes = {
            k: v
            for k, v in {
                "forum_tag_answered": answered,
                "forum_tag_needs_details": needs_details,
                "forum_tag_escalated": escalated,
            }.items()
            if v is not None
        }
        if changes:
            await self.deps.store.config.update_config(config.guild_id, **changes)
        await self._done(interaction, "Forum tags updated." if changes else "Nothing to change.")

    @app_commands.command(name="stats", description="Triage statistics and FAQ gaps (staff)")
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction, days: Literal[7, 30] = 7) -> None:
        """Show what the bot did over the last 7 or 30 days, and the top unanswered questions."""
        report = await self.deps.stats.report(config_of(interaction).guild_id, days)
        await interaction.response.send_message(
            report.text()[:2000], ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(name="faq-reload", description="Reload FAQ entries and docs (staff)")
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

    @app_commands.command(name="sync", description="Publish the bot's slash commands to this server (staff)")
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


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(Admin(bot, bot.deps))
