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

import asyncio
import functools
import logging
import re
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.core.decision import Action, Decision, DecisionSettings, Role, ThreadState
from bot.core.render import neutralise_mentions, render_decision
from bot.exts._common import NO_MENTIONS, apply_forum_tag, decision_settings, member_role, staff_log, watch_root
from bot.exts.feedback import escalate_view, feedback_view, reminder_view
from bot.services.store import BotReply, DecisionRecord

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot
    from bot.core.triage import TriageResult
    from bot.services.store import GuildConfig

log = logging.getLogger(__name__)

_FORUM_TAG_FOR = {
    "answer": "forum_tag_answered",
    "remind": "forum_tag_needs_details",
    "escalate": "forum_tag_escalated",
}


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
        store = self.deps.store
        root_id, thread = watch_root(message.channel)
        watched = await store.is_watched(root_id)
        if watched is None:
            log.debug("skipped message %s: channel %s is not watched", message.id, root_id)
            return
        config = await store.get_config(message.guild.id)
        role = member_role(message.author, config)
        in_thread_follow_up = thread is not None and message.id != thread.id
        if (
            in_thread_follow_up
            and role is Role.MEMBER
            and await self._complete_reminder_from_thread(message, thread, config)
        ):
            return
        now = self.deps.clock()
        state = await self._thread_state(message, thread, config)
        title = thread.name if thread is not None and message.id == thread.id else None
        settings = decision_settings(self.deps, config)
        if thread is None:
            settings = _with_cooldown(settings, config.channel_cooldown_seconds)
        opted_out = await store.is_opted_out(message.author.id)
        engine = self.deps.engine
        triage = functools.partial(
            engine.triage,
            message.content,
            now=now,
            title=title,
            thread=state,
            author=role,
            opted_out=opted_out,
            settings=settings,
            incident=None if ignore_incident else self.deps.incident,
        )
        # The sentence encoder (~20 ms, C code that releases the GIL) runs in a worker thread so the event loop goes
        # on; the n-gram path (~2 ms of Python) runs inline, where a thread hop would only add GIL hand-offs
        # (measured: 165 vs 260 messages/s end to end in `bench discord` with SEMANTIC=off).
        result = await asyncio.to_thread(triage) if engine.uses_encoder else triage()
        if self.bot.is_closed():
            log.debug("skipped message %s: the bot shut down while it was being triaged", message.id)
            return
        await self._record_decision(message, result)
        decision = result.decision
        if decision.action is Action.SILENT:
            log.debug("silent on message %s: %s (%s)", message.id, decision.rule, decision.reason)
            if decision.rule in ("match.unsure", "match.none"):
                await store.record_gap(config.guild_id, message.content, self.deps.clock(), "unanswered")
            return
        if watched.shadow:
            await self._shadow(message, config, result)
            return
        await self._reply(message, thread, config, result)

    async def _thread_state(
        self, message: discord.Message, thread: discord.Thread | None, config: GuildConfig
    ) -> ThreadState:
        store = self.deps.store
        follow_up = thread is not None and message.id != thread.id
        if thread is None and message.reference is not None:
            follow_up = True  # a reply to another message is part of a conversation
        bot_answered = thread is not None and await store.reply_in_thread(thread.id, "answer") is not None
        return ThreadState(
            bot_answered=bot_answered,
            is_follow_up=follow_up,
            last_reminder_at=await store.last_reminder_at(config.guild_id, message.author.id),
            channel_last_reply_at=await store.last_channel_reply_at(message.channel.id) if thread is None else None,
        )

    async def _record_decision(self, message: discord.Message, result: TriageResult) -> None:
        d = result.decision
        best = result.search.best
        await self.deps.store.record_decision(
            DecisionRecord(
                message_id=message.id,
                guild_id=message.guild.id if message.guild else 0,
                channel_id=message.channel.id,
                author_id=message.author.id,
                action=d.action.value,
                rule=d.rule,
                reason=d.reason,
                lang=result.analysis.lang,
                intent=result.analysis.intent.value,
                top_url=best.url if best else None,
                top_title=best.title if best else None,
                confidence=best.score if best else 0.0,
                created_at=self.deps.clock(),
            )
        )

    async def _shadow(self, message: discord.Message, config: GuildConfig, result: TriageResult) -> None:
        d = result.decision
        preview = "\n".join(f"> {line}" for line in result.reply.splitlines()[:12])
        text = f"Would have replied ({d.action.value}) to {message.jump_url}\nReason: {d.reason} [{d.rule}]\n{preview}"
        await staff_log(self.bot, config, neutralise_mentions(text))

    async def _reply(
        self, message: discord.Message, thread: discord.Thread | None, config: GuildConfig, result: TriageResult
    ) -> None:
        d = result.decision
        source_id = message.id
        view = None
        ask_staff = self.deps.outbox is not None
        if d.action is Action.ANSWER:
            view = feedback_view(source_id, ask_staff=ask_staff)
        elif d.action is Action.REMIND:
            view = reminder_view(source_id)
        elif d.action is Action.ESCALATE and ask_staff:
            view = escalate_view(source_id)
        elif d.route == "incident" and d.incident is not None and result.analysis.intent.value == "bug_report":
            view = discord.ui.View(timeout=None)
            view.add_item(UnrelatedToIncident(source_id))
        try:
            if thread is not None:
                sent = await thread.send(result.reply, view=view, allowed_mentions=NO_MENTIONS)
            else:
                sent = await message.reply(result.reply, view=view, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not reply to message %s in channel %s", message.id, message.channel.id)
            return
        status = self.bot.get_cog("StatusWatch")
        if d.route == "incident" and status is not None:
            status.note_thread(sent.channel.id)  # told again when the incident is resolved
        now = self.deps.clock()
        store = self.deps.store
        await store.record_reply(
            BotReply(
                reply_message_id=sent.id,
                guild_id=config.guild_id,
                channel_id=sent.channel.id,
                thread_id=thread.id if thread is not None else None,
                source_message_id=source_id,
                author_id=message.author.id,
                kind=d.action.value,
                url=d.match.url if d.match else None,
                entry_id=d.match.entry_id if d.match else None,
                confidence=d.match.score if d.match else 0.0,
                missing=d.missing if d.action is Action.REMIND else (),
                lang=d.lang,
                created_at=now,
                deleted_at=None,
            )
        )
        if thread is None:
            await store.note_channel_reply(message.channel.id, now)
        if d.action is Action.REMIND:
            await store.note_reminder(config.guild_id, message.author.id, now)
        if thread is not None:
            await apply_forum_tag(thread, config, d.action.value)

    # ----------------------------------------------------------------------------------------------------------
    # Reminders that update themselves
    # ----------------------------------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Re-check a reminded message when its author edits it."""
        content = payload.data.get("content")
        if content is None:
            return
        reply = await self.deps.store.reply_for_source(payload.message_id, "remind")
        if reply is None or reply.deleted_at is not None:
            return
        await self.update_reminder(reply, content)

    async def _complete_reminder_from_thread(
        self, message: discord.Message, thread: discord.Thread, config: GuildConfig
    ) -> bool:
        reply = await self.deps.store.reply_in_thread(thread.id, "remind")
        if reply is None or reply.deleted_at is not None or reply.author_id != message.author.id:
            return False
        starter = thread.starter_message
        if starter is None:
            try:
                starter = await thread.fetch_message(thread.id)
            except discord.HTTPException:
                starter = None
        combined = "\n".join(filter(None, [starter.content if starter else "", message.content]))
        await self.update_reminder(reply, combined)
        return True

    async def update_reminder(self, reply: BotReply, text: str) -> None:
        """Edit a reminder to list only what is still missing; delete it once nothing is."""
        still_missing = tuple(d for d in reply.missing if d in self.deps.engine.analyser.analyse(text).missing)
        if still_missing == reply.missing:
            log.debug("reminder %s unchanged: still missing %s", reply.reply_message_id, still_missing)
            return
        channel = self.bot.get_channel(reply.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return
        partial = channel.get_partial_message(reply.reply_message_id)  # type: ignore[union-attr]
        now = self.deps.clock()
        try:
            if not still_missing:
                await partial.delete()
                await self.deps.store.mark_reply_deleted(reply.reply_message_id, now)
                log.info("reminder %s removed: all details provided", reply.reply_message_id)
                return
            decision = Decision(Action.REMIND, "details still missing", reply.lang, missing=still_missing)
            text = render_decision(decision, self.deps.engine.render_context)
            await partial.edit(content=text, allowed_mentions=NO_MENTIONS)
            await self.deps.store.update_reply(reply.reply_message_id, missing=still_missing)
            log.info("reminder %s updated: %d detail(s) still missing", reply.reply_message_id, len(still_missing))
        except discord.NotFound:
            await self.deps.store.mark_reply_deleted(reply.reply_message_id, now)
        except discord.HTTPException:
            log.exception("could not update reminder %s", reply.reply_message_id)


def _with_cooldown(settings: DecisionSettings, seconds: int) -> DecisionSettings:
    return replace(settings, channel_cooldown=timedelta(seconds=seconds))


class UnrelatedToIncident(
    discord.ui.DynamicItem[discord.ui.Button], template=r"triage:unrelated:(?P<source>[0-9]{1,20})"
):
    """Under an incident notice: "my issue is unrelated" re-triages the report without the incident."""

    def __init__(self, source_id: int) -> None:
        super().__init__(discord.ui.Button(label="My issue is unrelated", custom_id=f"triage:unrelated:{source_id}"))
        self.source_id = source_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
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
        watcher: Watcher = interaction.client.get_cog("Watcher")  # type: ignore[attr-defined,assignment]
        await watcher.handle(source, ignore_incident=True)


async def setup(bot: SupportBot) -> None:
    """Add the cog and the persistent incident button."""
    bot.add_dynamic_items(UnrelatedToIncident)
    await bot.add_cog(Watcher(bot, bot.deps))
