"""One place for command errors: log with the cause, answer the user with a short apology."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on our side. The team has been told; please try again in a moment."


class Errors(commands.Cog):
    """Installs the app-command error handler."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error
        bot.tree.error(self.on_app_command_error)

    async def cog_unload(self) -> None:
        """Restore the previous handler."""
        self.bot.tree.error(self._previous)

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Log the failure and tell the user, privately, within the interaction window."""
        name = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.CheckFailure):
            if interaction.response.is_done():
                log.debug("check failure of /%s already explained to user %s", name, interaction.user.id)
                return
            text = "You are not allowed to use this command here."
        else:
            log.error("command /%s failed for user %s", name, interaction.user.id, exc_info=error)
            text = APOLOGY
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.exception("could not tell user %s about the failure of /%s", interaction.user.id, name)

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:
        """Ignore unknown text commands (mentions of the bot); log the rest."""
        if isinstance(error, commands.CommandNotFound | commands.CheckFailure | commands.NoPrivateMessage):
            log.debug("ignored text command error: %s", type(error).__name__)
            return
        log.error("text command %s failed", ctx.command, exc_info=error)


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(Errors(bot))
