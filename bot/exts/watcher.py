"""Watcher: triage new messages in watched channels, forum posts and threads, and keep reminders current.

Behaviour (the spec of this cog):
- only guild messages in watched channels (or threads/forum posts under them); never bots, webhooks,
  volunteers or staff;
- in a thread or forum post only its first message is triaged; later messages by the asker may complete a
  reminder, which then updates itself and goes away once nothing it asked for is missing;
- the core decides (`bot.core.decision.decide`); this cog only translates, sends and records;
- shadow mode: the reply goes to the staff log channel as "would have replied", never to the user;
- forum posts get the forum's own tag for the outcome, when staff configured one.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.app.triage_flow import IncomingMessage, Step
from bot.bot import cog_of
from bot.core.decision import Action
from bot.core.render import neutralise_mentions
from bot.exts._common import NO_MENTIONS, apply_forum_tag, author_of, staff_log, watch_root
from bot.exts.feedback import escalate_view, feedback_view, reminder_view
from bot.services.store import BotReply

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot
    from bot.core.triage import TriageResult
    from bot.services.store import GuildConfig

log = logging.getLogger(__name__)


class Watcher(commands.Cog):
    """Answers, reminds or routes new questions in watched channels; see the module docstring."""

    def __init__(self, bot: commands.Bot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Triage a new message."""
        await self.handle(message)

    async def handle(self, message: discord.Message, *, ignore_incident: bool = False) -> None:
        """Triage a message (`ignore_incident`: the author said their problem is unrelated to the incident)."""
        if message.guild is None or message.author.bot or message.webhook_id is not None:
            log.debug("skipped message %s: not a member's guild message", message.id)
            return
        incoming = incoming_message(message, self.bot.user.id if self.bot.user else None)
        flow = self.deps.triage
        outcome = await flow.handle(
            incoming, ignore_incident=ignore_incident, still_running=lambda: not self.bot.is_closed()
        )
        thread = message.channel if isinstance(message.channel, discord.Thread) else None
        if outcome.step is Step.COMPLETE_REMINDER and outcome.reminder is not None and thread is not None:
            await self._complete_reminder_from_thread(message, thread, outcome.reminder)
        elif outcome.step is Step.SHADOW and outcome.result is not None and outcome.config is not None:
            await self._shadow(message, outcome.config, outcome.result)
        elif outcome.step is Step.REPLY and outcome.result is not None and outcome.config is not None:
            sent = await self._reply(message, thread, outcome.result)
            if sent is not None:
                await flow.replied(incoming, outcome, sent.id, sent.channel.id)
                if thread is not None:
                    await apply_forum_tag(thread, outcome.config, outcome.result.decision.action.value)

    async def _shadow(self, message: discord.Message, config: GuildConfig, result: TriageResult) -> None:
        d = result.decision
        preview = "\n".join(f"> {line}" for line in result.reply.splitlines()[:12])
        text = f"Would have replied ({d.action.value}) to {message.jump_url}\nReason: {d.reason} [{d.rule}]\n{preview}"
        await staff_log(self.bot, config, neutralise_mentions(text))

    async def _reply(
        self, message: discord.Message, thread: discord.Thread | None, result: TriageResult
    ) -> discord.Message | None:
        d = result.decision
        source_id = message.id
        view = None
        ask_staff = self.deps.escalation.enabled
        ui, lang = self.deps.ui, d.lang  # everyone sees the buttons: they speak the reply's language
        if d.action is Action.ANSWER:
            view = feedback_view(source_id, ui, lang, ask_staff=ask_staff)
        elif d.action is Action.REMIND:
            view = reminder_view(source_id, ui, lang)
        elif d.action is Action.ESCALATE and ask_staff:
            view = escalate_view(source_id, ui, lang)
        elif d.route == "incident" and d.incident is not None:
            # The known-incident notice (route.incident_known) offers "My issue is unrelated" to every author: a
            # bug report, a question or an "is it down?" alike.
            view = discord.ui.View(timeout=None)
            view.add_item(UnrelatedToIncident(source_id, label=ui.label("buttons.unrelated", lang)))
        try:
            # discord.py's overloads take a View or no view argument at all (not None).
            if thread is not None:
                if view is None:
                    return await thread.send(result.reply, allowed_mentions=NO_MENTIONS)
                return await thread.send(result.reply, view=view, allowed_mentions=NO_MENTIONS)
            if view is None:
                return await message.reply(result.reply, mention_author=False, allowed_mentions=NO_MENTIONS)
            return await message.reply(result.reply, view=view, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not reply to message %s in channel %s", message.id, message.channel.id)
            return None

    # ----------------------------------------------------------------------------------------------------------
    # Reminders that update themselves
    # ----------------------------------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Re-check a reminded message when its author edits it."""
        content = payload.data.get("content")
        if content is None:
            return
        reply = await self.deps.store.replies.reply_for_source(payload.message_id, "remind")
        if reply is None or reply.deleted_at is not None:
            return
        await self.update_reminder(reply, content)

    async def _complete_reminder_from_thread(
        self, message: discord.Message, thread: discord.Thread, reply: BotReply
    ) -> None:
        starter = thread.starter_message
        if starter is None:
            try:
                starter = await thread.fetch_message(thread.id)
            except discord.HTTPException:
                starter = None
        combined = "\n".join(filter(None, [starter.content if starter else "", message.content]))
        await self.update_reminder(reply, combined)

    async def update_reminder(self, reply: BotReply, text: str) -> None:
        """Edit a reminder to list only what is still missing; delete it once nothing is."""
        change = self.deps.triage.reminder_text(reply, text)
        if change is None:
            return
        still_missing, new_text = change
        channel = self.bot.get_channel(reply.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return
        partial = channel.get_partial_message(reply.reply_message_id)  # type: ignore[union-attr]
        try:
            if still_missing:
                await partial.edit(content=new_text, allowed_mentions=NO_MENTIONS)
            else:
                await partial.delete()
            await self.deps.triage.reminder_updated(reply, still_missing)
        except discord.NotFound:
            await self.deps.triage.reminder_gone(reply)
        except discord.HTTPException:
            log.exception("could not update reminder %s", reply.reply_message_id)


def incoming_message(message: discord.Message, bot_id: int | None = None) -> IncomingMessage:
    """The flow's view of a guild message (see bot/app/triage_flow.py). A mention of the bot opening the message is
    dropped: "@bot how do I ..." is asked of the bot, where a message opening with another member's mention is said
    to that member (the triage stays silent on those)."""
    root_id, thread = watch_root(message.channel)
    content = message.content
    if bot_id is not None:
        content = re.sub(rf"^\s*<@!?{bot_id}>[\s,:]*", "", content)
    return IncomingMessage(
        message_id=message.id,
        guild_id=message.guild.id if message.guild else 0,
        channel_id=message.channel.id,
        watch_root_id=root_id,
        thread_id=thread.id if thread is not None else None,
        author=author_of(message.author),
        content=content,
        title=thread.name if thread is not None and message.id == thread.id else None,
        is_reply=message.reference is not None,
    )


class UnrelatedToIncident(
    discord.ui.DynamicItem[discord.ui.Button], template=r"triage:unrelated:(?P<source>[0-9]{1,20})"
):
    """Under an incident notice: "my issue is unrelated" re-triages the report without the incident. `label`: in
    the notice's language (the English default is for a button rebuilt from its custom id, never shown)."""

    def __init__(self, source_id: int, *, label: str = "My issue is unrelated") -> None:
        super().__init__(discord.ui.Button(label=label, custom_id=f"triage:unrelated:{source_id}"))
        self.source_id = source_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> UnrelatedToIncident:
        """Rebuild from the custom id."""
        return cls(int(match["source"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Only the author may say so; then the normal triage runs without the incident."""
        try:
            source = await interaction.channel.fetch_message(self.source_id)  # type: ignore[union-attr]
        except (discord.HTTPException, AttributeError):
            await interaction.response.send_message("That message is gone.", ephemeral=True)
            return
        if source.author.id != interaction.user.id:
            await interaction.response.send_message("Only the author of the report can say this.", ephemeral=True)
            return
        await interaction.response.send_message("Thanks, looking at it as a separate problem.", ephemeral=True)
        await cog_of(interaction.client, Watcher).handle(source, ignore_incident=True)


async def setup(bot: SupportBot) -> None:
    """Add the cog and the persistent incident button."""
    bot.add_dynamic_items(UnrelatedToIncident)
    await bot.add_cog(Watcher(bot, bot.deps))
