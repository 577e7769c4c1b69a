"""Buttons under bot replies: Solved, Not helpful, Dismiss.

They are `DynamicItem`s (custom id `triage:<kind>:<source message id>`), registered in `setup`, so buttons on
messages sent before a restart keep working: all state lives in the store, keyed by the source message.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.feedback import FeedbackOutcome, Press, Result
from bot.bot import deps_of
from bot.core.render import link_for, neutralise_mentions
from bot.exts._common import author_of
from bot.exts.escalation import AskStaffButton

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot
    from bot.core.resources import UiTexts

log = logging.getLogger(__name__)

# Descriptions are localised from bot/resources/ui/ at /sync (bot/exts/translator.py); names stay English.
_T = app_commands.locale_str

# kind -> (UI catalogue key of the label, English label, style). The English label is only the label of a button
# rebuilt from its custom id (a press on an old message), which Discord never shows: sent buttons get the label of
# the reply's language (`feedback_view`).
_LABELS = {
    "solved": ("buttons.solved", "Solved", discord.ButtonStyle.success),
    "unhelpful": ("buttons.unhelpful", "Not helpful", discord.ButtonStyle.secondary),
    "dismiss": ("buttons.dismiss", "Dismiss", discord.ButtonStyle.danger),
}


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"triage:(?P<kind>solved|unhelpful|dismiss):(?P<source>[0-9]{1,20})",
):
    """One feedback button; survives restarts (the custom id carries everything needed)."""

    def __init__(self, kind: str, source_id: int, *, label: str | None = None) -> None:
        _, english, style = _LABELS[kind]
        super().__init__(discord.ui.Button(label=label or english, style=style, custom_id=f"triage:{kind}:{source_id}"))
        self.kind = kind
        self.source_id = source_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeedbackButton:
        """Rebuild the button from its custom id (also for messages sent before a restart)."""
        return cls(match["kind"], int(match["source"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the feedback and answer the clicker privately."""
        deps = deps_of(interaction.client)
        if interaction.guild is None:
            await interaction.response.send_message("This reply is no longer tracked.", ephemeral=True)
            return
        press = Press.NOT_HELPFUL if self.kind == "unhelpful" else Press(self.kind)
        if press is Press.NOT_HELPFUL:  # reading the question and the pages takes a moment
            await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await deps.feedback.press(
            press,
            self.source_id,
            interaction.guild.id,
            author_of(interaction.user),
            question=lambda: _source_text(interaction, self.source_id),
        )
        if outcome.result is Result.UNTRACKED:
            send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
            await send("This reply is no longer tracked.", ephemeral=True)
        elif outcome.result is Result.NOT_HELPFUL:
            await interaction.followup.send(self._alternatives_text(deps, outcome), ephemeral=True)
        elif outcome.result is Result.DISMISSED:
            await interaction.response.defer()
            try:
                if interaction.message is not None:
                    await interaction.message.delete()
            except discord.HTTPException:
                log.exception("could not delete dismissed reply %s", self.source_id)
        else:
            await interaction.response.send_message(_PRESS_TEXT[(press, outcome.result)], ephemeral=True)

    @staticmethod
    def _alternatives_text(deps: Deps, outcome: FeedbackOutcome) -> str:
        lang = (outcome.reply.lang if outcome.reply else None) or "en"
        if not outcome.alternatives:
            return "Sorry about that. A volunteer will take a look; the question was noted as a gap in our FAQ."
        ctx = deps.engine.render_context
        lines = ["Sorry about that. Other pages that may help:"]
        lines += [f"- **{m.title}**: {link_for(m.url, lang, ctx)}" for m in outcome.alternatives]
        lines.append("A volunteer has been given a hint that this question needs a better answer.")
        return neutralise_mentions("\n".join(lines))


_PRESS_TEXT = {
    (Press.SOLVED, Result.SOLVED): "Thanks! Marked as solved.",
    (Press.SOLVED, Result.ALREADY_SOLVED): "Already marked as solved, thanks.",
    (Press.SOLVED, Result.NOT_ALLOWED): "Only the person who asked (or a volunteer) can mark this as solved.",
    (Press.DISMISS, Result.NOT_ALLOWED): "Only the person who asked, a volunteer or staff can dismiss this reply.",
}


async def _source_text(interaction: discord.Interaction, source_id: int) -> str:
    channel = interaction.channel
    if not isinstance(channel, discord.abc.Messageable):
        return ""
    try:
        message = await channel.fetch_message(source_id)
    except discord.HTTPException:
        return ""
    title = channel.name if isinstance(channel, discord.Thread) and channel.id == source_id else ""
    return f"{title}\n{message.content}".strip()


# The buttons under a bot reply are seen by everyone in the channel, so their labels are in the reply's language
# (`lang`), like the text above them, not in the locale of whoever looks.


def feedback_view(source_id: int, ui: UiTexts, lang: str, *, ask_staff: bool = False) -> discord.ui.View:
    """Return the Solved / Not helpful / Dismiss buttons for an answer in `lang` (and Ask staff when support is
    set up)."""
    view = discord.ui.View(timeout=None)
    for kind in ("solved", "unhelpful", "dismiss"):
        view.add_item(FeedbackButton(kind, source_id, label=ui.label(_LABELS[kind][0], lang)))
    if ask_staff:
        view.add_item(AskStaffButton(source_id, label=ui.label("buttons.ask_staff", lang)))
    return view


def escalate_view(source_id: int, ui: UiTexts, lang: str) -> discord.ui.View:
    """Return the Ask staff button for a reply (in `lang`) to someone asking for official support."""
    view = discord.ui.View(timeout=None)
    view.add_item(AskStaffButton(source_id, label=ui.label("buttons.ask_staff", lang)))
    return view


def reminder_view(source_id: int, ui: UiTexts, lang: str) -> discord.ui.View:
    """Return the Dismiss button for a reminder in `lang`."""
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton("dismiss", source_id, label=ui.label("buttons.dismiss", lang)))
    return view


class Feedback(commands.Cog):
    """Member-facing controls: the persistent feedback buttons, and `/bot-replies` (any member may opt out)."""

    def __init__(self, bot: commands.Bot, deps: Deps) -> None:
        self.deps = deps
        self.bot = bot

    @app_commands.command(
        name="bot-replies",
        description=_T("Turn the bot's automatic replies to you on or off", key="commands.bot-replies"),
    )
    @app_commands.describe(
        enabled=_T("On: the bot replies to your questions; off: it stays quiet", key="commands.bot-replies.enabled")
    )
    async def replies_toggle(self, interaction: discord.Interaction, enabled: bool) -> None:
        """Let any member opt out of (or back into) automatic replies."""
        await self.deps.store.cooldowns.set_opt_out(interaction.user.id, not enabled, self.deps.clock())
        text = (
            "The bot will reply to your questions again."
            if enabled
            else "Done: the bot will not reply to your messages automatically. Volunteers can still help you."
        )
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: SupportBot) -> None:
    """Register the dynamic buttons (so old messages' buttons work after a restart)."""
    bot.add_dynamic_items(FeedbackButton)
    await bot.add_cog(Feedback(bot, bot.deps))
