"""Staff configuration: /config (watched channels, roles, log channel, language, thresholds, cooldowns, forum tags).

Every command checks the staff role first (one `interaction_check`). /stats, /faq-reload and /sync: bot/exts/staff.py.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.faq import LANGS
from bot.exts._common import checked_config, config_of

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot

log = logging.getLogger(__name__)

WatchableChannel = discord.TextChannel | discord.ForumChannel
# Descriptions are localised from bot/resources/ui/ at /sync (bot/exts/translator.py); names stay English.
_T = app_commands.locale_str


class Admin(commands.Cog):
    """The /config group."""

    config = app_commands.Group(
        name="config", description=_T("Configure the triage bot (staff)", key="commands.config"), guild_only=True
    )

    def __init__(self, bot: commands.Bot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Every command of this cog is for staff (roles from /config, or Manage Server)."""
        return await checked_config(interaction, self.deps, staff_only=True) is not None

    async def _done(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @config.command(name="show", description=_T("Show the current configuration", key="commands.config.show"))
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

    @config.command(name="watch", description=_T("Watch a channel (text or forum)", key="commands.config.watch"))
    @app_commands.describe(
        channel=_T("Channel to watch", key="commands.config.watch.channel"),
        shadow=_T("Only report what the bot would do to the staff log", key="commands.config.watch.shadow"),
    )
    async def config_watch(
        self, interaction: discord.Interaction, channel: WatchableChannel, shadow: bool = False
    ) -> None:
        """Add a channel to the watch list."""
        config = config_of(interaction)
        await self.deps.store.config.watch_channel(config.guild_id, channel.id, shadow=shadow)
        await self._done(interaction, f"Watching {channel.mention}{' in shadow mode' if shadow else ''}.")

    @config.command(name="unwatch", description=_T("Stop watching a channel", key="commands.config.unwatch"))
    @app_commands.describe(channel=_T("Channel to stop watching", key="commands.config.unwatch.channel"))
    async def config_unwatch(self, interaction: discord.Interaction, channel: WatchableChannel) -> None:
        """Remove a channel from the watch list."""
        config = config_of(interaction)
        await self.deps.store.config.unwatch_channel(config.guild_id, channel.id)
        await self._done(interaction, f"No longer watching {channel.mention}.")

    @config.command(
        name="shadow",
        description=_T("Turn shadow mode on or off for a watched channel", key="commands.config.shadow"),
    )
    @app_commands.describe(
        channel=_T("A watched channel", key="commands.config.shadow.channel"),
        enabled=_T("On: replies go to the staff log only", key="commands.config.shadow.enabled"),
    )
    async def config_shadow(self, interaction: discord.Interaction, channel: WatchableChannel, enabled: bool) -> None:
        """Toggle shadow mode on a watched channel."""
        config = config_of(interaction)
        if not await self.deps.store.config.set_shadow(config.guild_id, channel.id, enabled):
            await self._done(interaction, f"{channel.mention} is not watched; use /config watch first.")
            return
        await self._done(interaction, f"Shadow mode {'on' if enabled else 'off'} for {channel.mention}.")

    @config.command(name="role", description=_T("Add or remove a volunteer or staff role", key="commands.config.role"))
    @app_commands.describe(
        kind=_T("Volunteer or staff role", key="commands.config.role.kind"),
        role=_T("The server role", key="commands.config.role.role"),
        action=_T("Add it (default) or remove it", key="commands.config.role.action"),
    )
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

    @config.command(
        name="log-channel",
        description=_T("Channel where staff notices and shadow replies go", key="commands.config.log-channel"),
    )
    @app_commands.describe(channel=_T("The staff log channel", key="commands.config.log-channel.channel"))
    async def config_log_channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Set the staff log channel."""
        config = config_of(interaction)
        await self.deps.store.config.update_config(config.guild_id, staff_log_channel_id=channel.id)
        await self._done(interaction, f"Staff log channel set to {channel.mention}.")

    @config.command(
        name="language",
        description=_T("Default language for volunteer-posted answers", key="commands.config.language"),
    )
    @app_commands.describe(
        code=_T("Language code: en, fr, es, it, de, pt, id or zh", key="commands.config.language.code")
    )
    async def config_language(self, interaction: discord.Interaction, code: str) -> None:
        """Set the default language."""
        config = config_of(interaction)
        if code not in LANGS:
            await self._done(interaction, f"Unknown language {code!r}; use one of {', '.join(LANGS)}.")
            return
        await self.deps.store.config.update_config(config.guild_id, default_language=code)
        await self._done(interaction, f"Default language set to {code}.")

    @config.command(
        name="threshold",
        description=_T("Confidence needed to answer on its own (0..1)", key="commands.config.threshold"),
    )
    @app_commands.describe(value=_T("A number between 0 and 1", key="commands.config.threshold.value"))
    async def config_threshold(
        self, interaction: discord.Interaction, value: app_commands.Range[float, 0.0, 1.0]
    ) -> None:
        """Set this server's answer threshold."""
        config = config_of(interaction)
        await self.deps.store.config.update_config(config.guild_id, answer_threshold=float(value))
        await self._done(interaction, f"Answer threshold set to {value:.2f}.")

    @config.command(
        name="cooldowns",
        description=_T("Channel cooldown (seconds) and reminder period (hours)", key="commands.config.cooldowns"),
    )
    @app_commands.describe(
        channel_seconds=_T(
            "Seconds between two bot replies in one channel", key="commands.config.cooldowns.channel_seconds"
        ),
        reminder_hours=_T(
            "Hours between two reminders to the same member", key="commands.config.cooldowns.reminder_hours"
        ),
    )
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

    @config.command(
        name="forum-tags",
        description=_T("Forum tag names applied for each outcome", key="commands.config.forum-tags"),
    )
    @app_commands.describe(
        answered=_T("Tag for posts the bot answered", key="commands.config.forum-tags.answered"),
        needs_details=_T("Tag for posts missing reproduction details", key="commands.config.forum-tags.needs_details"),
        escalated=_T("Tag for posts sent to the support team", key="commands.config.forum-tags.escalated"),
    )
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


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(Admin(bot, bot.deps))
