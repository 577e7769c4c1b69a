"""The triage use case: a watched channel's new message in, what to say (and to whom) out, with its records.

The Watcher cog translates a `discord.Message` into an :class:`IncomingMessage`, calls :meth:`TriageFlow.handle`,
sends what the :class:`Outcome` says, then tells the flow what it sent (:meth:`TriageFlow.replied`). Everything in
between is here: which channel is watched, the author's role, the thread state and cooldowns read from the store,
the pure core's decision (`TriageEngine.triage`), and the decision / gap / reply / cooldown records. No Discord
import (the architecture test checks it), so the console and tests drive the same flow.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast

from bot.app.composition import EngineHolder, IncidentBoard
from bot.app.metrics import Metrics
from bot.core.decision import Action, Decision, DecisionSettings, Role, ThreadState
from bot.core.redact import redact
from bot.core.render import render_decision
from bot.core.triage import TriageEngine, TriageResult
from bot.services.store import (
    BotReply,
    ConfigRepository,
    CooldownRepository,
    DecisionRecord,
    GuildConfig,
    ReplyKind,
    ReplyRepository,
)
from bot.settings import Thresholds

log = logging.getLogger(__name__)

GAP_RULES = frozenset({"match.unsure", "match.none"})  # silent because no page was good enough: a docs gap


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a message, as far as roles go."""

    user_id: int
    role_ids: Collection[int] = ()
    manages_guild: bool = False  # the Manage Server permission: staff whatever the roles
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A guild message in Discord-free terms."""

    message_id: int
    guild_id: int
    channel_id: int  # where it was posted (the thread itself in a thread)
    watch_root_id: int  # the channel whose watch setting applies (a thread's parent)
    thread_id: int | None
    author: Author
    content: str
    title: str | None = None  # a forum post's or thread's title, on its first message
    is_reply: bool = False  # a reply to another message: part of a conversation

    @property
    def is_thread_follow_up(self) -> bool:
        """A later message in a thread or forum post (not its first)."""
        return self.thread_id is not None and self.message_id != self.thread_id


class Step(enum.StrEnum):
    """What the caller does with an outcome."""

    IGNORE = "ignore"  # not watched: nothing was recorded
    SILENT = "silent"  # triaged, the bot stays silent (recorded)
    REPLY = "reply"  # send `result.reply` in the channel or thread
    SHADOW = "shadow"  # send the would-be reply to the staff log only
    COMPLETE_REMINDER = "complete_reminder"  # the asker answered a reminder in the thread: re-check it


@dataclass(frozen=True, slots=True)
class Outcome:
    """The flow's answer: the step, the guild config, the triage result and, for a reminder, the reply to re-check."""

    step: Step
    config: GuildConfig | None = None
    result: TriageResult | None = None
    reminder: BotReply | None = None


def role_of(author: Author, config: GuildConfig) -> Role:
    """The triage role of an author in a guild (staff roles or Manage Server, then volunteer roles)."""
    if author.is_bot:
        return Role.BOT
    roles = set(author.role_ids)
    if roles & set(config.staff_role_ids) or author.manages_guild:
        return Role.STAFF
    if roles & set(config.volunteer_role_ids):
        return Role.VOLUNTEER
    return Role.MEMBER


def decision_settings(
    thresholds: Thresholds, config: GuildConfig, *, in_thread: bool, official_support: bool = True
) -> DecisionSettings:
    """The decision thresholds for a guild: its overrides on top of the global settings; the channel cooldown only
    applies outside threads (a thread is one conversation with its own rules). Without official support (no support
    API) an escalation request is answered with the support e-mail instead of the ticket form."""
    answer = config.answer_threshold if config.answer_threshold is not None else thresholds.answer_threshold
    settings = DecisionSettings(
        answer_threshold=answer,
        suggest_threshold=thresholds.suggest_threshold,
        remind_min_missing=thresholds.remind_min_missing,
        remind_min_probability=thresholds.remind_min_probability,
        reminder_period=timedelta(hours=config.reminder_period_hours),
        official_support=official_support,
    )
    if in_thread:
        return settings
    return replace(settings, channel_cooldown=timedelta(seconds=config.channel_cooldown_seconds))


def updated_reminder(
    engine: TriageEngine, missing: tuple[str, ...], lang: str, text: str
) -> tuple[tuple[str, ...], str] | None:
    """What a reminder that asked for `missing` becomes once its message reads `text`: (details still missing, the
    new reminder text), or None when nothing changed; an empty tuple means every detail was given (the reminder
    goes away). Shared by the Discord flow and the offline console's `:edit` / `:reply`."""
    still_missing = tuple(d for d in missing if d in engine.analyser.analyse(text).missing)
    if still_missing == missing:
        return None
    if not still_missing:
        return (), ""
    decision = Decision(Action.REMIND, "details still missing", lang, missing=still_missing)
    return still_missing, render_decision(decision, engine.render_context)


class TriageFlow:
    """See the module docstring."""

    def __init__(
        self,
        *,
        config: ConfigRepository,
        replies: ReplyRepository,
        cooldowns: CooldownRepository,
        engines: EngineHolder,
        incidents: IncidentBoard,
        thresholds: Thresholds,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
        official_support: bool = True,
    ) -> None:
        self.config = config
        self.replies = replies
        self.cooldowns = cooldowns
        self.engines = engines
        self.incidents = incidents
        self.thresholds = thresholds
        self.clock = clock
        self.metrics = metrics
        self.official_support = official_support
        self._claims = asyncio.Lock()  # makes "read the cooldowns, then note them" one step (see _claim_cooldowns)

    async def handle(
        self,
        message: IncomingMessage,
        *,
        ignore_incident: bool = False,
        still_running: Callable[[], bool] = lambda: True,
    ) -> Outcome:
        """Triage a message and record the decision (`ignore_incident`: the author said their problem is unrelated
        to the incident in progress; `still_running` false after the triage: shutting down, record nothing)."""
        started = time.perf_counter()
        watched = await self.config.is_watched(message.watch_root_id)
        if watched is None:
            log.debug("skipped message %s: channel %s is not watched", message.message_id, message.watch_root_id)
            return Outcome(Step.IGNORE)
        config = await self.config.get_config(message.guild_id)
        role = role_of(message.author, config)
        if message.is_thread_follow_up and role is Role.MEMBER and message.thread_id is not None:
            reminder = await self.replies.reply_in_thread(message.thread_id, "remind")
            if reminder is not None and reminder.deleted_at is None and reminder.author_id == message.author.user_id:
                return Outcome(Step.COMPLETE_REMINDER, config, reminder=reminder)
        state = await self._thread_state(message, config)
        settings = decision_settings(
            self.thresholds, config, in_thread=message.thread_id is not None, official_support=self.official_support
        )
        engine = self.engines.current
        triage = functools.partial(
            engine.triage,
            message.content,
            now=self.clock(),
            title=message.title,
            thread=state,
            author=role,
            opted_out=await self.cooldowns.is_opted_out(message.author.user_id),
            settings=settings,
            incident=None if ignore_incident else self.incidents.current,
        )
        # The sentence encoder (~20 ms, C code that releases the GIL) runs in a worker thread so the event loop goes
        # on; the n-gram path (~2 ms of Python) runs inline, where a thread hop would only add GIL hand-offs
        # (measured: 165 vs 260 messages/s end to end in `bench discord` with SEMANTIC=off).
        result = await asyncio.to_thread(triage) if engine.uses_encoder else triage()
        if not watched.shadow:
            result = await self._claim_cooldowns(message, settings, state, result, triage)
        if not still_running():
            log.debug("skipped message %s: the bot shut down while it was being triaged", message.message_id)
            return Outcome(Step.IGNORE, config)
        await self._record_decision(message, result)
        decision = result.decision
        if self.metrics is not None:
            best = result.search.best
            self.metrics.decision(
                action=decision.action.value,
                rule=decision.rule,
                lang=result.analysis.lang,
                confidence=best.score if best else 0.0,
                seconds=time.perf_counter() - started,
            )
        if decision.action is Action.SILENT:
            log.debug("silent on message %s: %s (%s)", message.message_id, decision.rule, decision.reason)
            if decision.rule in GAP_RULES:
                # Stored redacted: a gap outlives the message, and secrets pasted in questions must not.
                await self.replies.record_gap(config.guild_id, redact(message.content), self.clock(), "unanswered")
            return Outcome(Step.SILENT, config, result)
        return Outcome(Step.SHADOW if watched.shadow else Step.REPLY, config, result)

    async def _claim_cooldowns(
        self,
        message: IncomingMessage,
        settings: DecisionSettings,
        state: ThreadState,
        result: TriageResult,
        triage: functools.partial[TriageResult],
    ) -> TriageResult:
        """Take the reminder and channel cooldowns a reply needs, atomically within this process.

        The cooldowns were read before the triage (which may take 20 ms in a worker thread); messages arriving
        together all read "no reminder yet". Under one lock, re-read them, decide again with what another message
        claimed meanwhile, and note them now (before the reply is sent: a failed send costs one reminder at most).
        """
        async with self._claims:
            now = self.clock()
            author, guild = message.author.user_id, message.guild_id
            if result.decision.action is Action.REMIND:
                last = await self.cooldowns.last_reminder_at(guild, author)
                if last is not None and last != state.last_reminder_at:
                    state = replace(state, last_reminder_at=last)
                    result = await self._decide_again(triage, state)
            speaks = result.decision.action is not Action.SILENT
            if speaks and message.thread_id is None and settings.channel_cooldown:
                last = await self.cooldowns.last_channel_reply_at(message.channel_id)
                if last is not None and last != state.channel_last_reply_at:
                    state = replace(state, channel_last_reply_at=last)
                    result = await self._decide_again(triage, state)
            if result.decision.action is Action.REMIND:
                await self.cooldowns.note_reminder(guild, author, now)
            if result.decision.action is not Action.SILENT and message.thread_id is None:
                await self.cooldowns.note_channel_reply(message.channel_id, now)
        return result

    async def _decide_again(self, triage: functools.partial[TriageResult], state: ThreadState) -> TriageResult:
        again = functools.partial(triage.func, *triage.args, **{**triage.keywords, "thread": state})
        return await asyncio.to_thread(again) if self.engines.current.uses_encoder else again()

    async def _thread_state(self, message: IncomingMessage, config: GuildConfig) -> ThreadState:
        thread_id = message.thread_id
        follow_up = message.is_thread_follow_up or (thread_id is None and message.is_reply)
        bot_answered = thread_id is not None and await self.replies.reply_in_thread(thread_id, "answer") is not None
        return ThreadState(
            bot_answered=bot_answered,
            is_follow_up=follow_up,
            last_reminder_at=await self.cooldowns.last_reminder_at(config.guild_id, message.author.user_id),
            channel_last_reply_at=None
            if thread_id is not None
            else await self.cooldowns.last_channel_reply_at(message.channel_id),
        )

    async def _record_decision(self, message: IncomingMessage, result: TriageResult) -> None:
        d = result.decision
        best = result.search.best
        await self.replies.record_decision(
            DecisionRecord(
                message_id=message.message_id,
                guild_id=message.guild_id,
                channel_id=message.channel_id,
                author_id=message.author.user_id,
                action=d.action.value,
                rule=d.rule,
                reason=d.reason,
                lang=result.analysis.lang,
                intent=result.analysis.intent.value,
                top_url=best.url if best else None,
                top_title=best.title if best else None,
                confidence=best.score if best else 0.0,
                created_at=self.clock(),
            )
        )

    async def replied(self, message: IncomingMessage, outcome: Outcome, reply_id: int, reply_channel_id: int) -> None:
        """Record the reply the caller sent for an outcome (its cooldowns were claimed when it was decided)."""
        assert outcome.result is not None and outcome.config is not None, "only a REPLY outcome is sent"
        d = outcome.result.decision
        now = self.clock()
        await self.replies.record_reply(
            BotReply(
                reply_message_id=reply_id,
                guild_id=outcome.config.guild_id,
                channel_id=reply_channel_id,
                thread_id=message.thread_id,
                source_message_id=message.message_id,
                author_id=message.author.user_id,
                kind=cast(ReplyKind, d.action.value),  # an action the bot replies with: SILENT never gets here
                url=d.match.url if d.match else None,
                entry_id=d.match.entry_id if d.match else None,
                confidence=d.match.score if d.match else 0.0,
                missing=d.missing if d.action is Action.REMIND else (),
                lang=d.lang,
                created_at=now,
                deleted_at=None,
            )
        )
        if d.route == "incident":
            # Told again when the incident is resolved, by the process that has the guild.
            await self.incidents.note_thread(reply_channel_id, outcome.config.guild_id)

    # -- reminders that update themselves ------------------------------------------------------------------------
    def reminder_text(self, reply: BotReply, text: str) -> tuple[tuple[str, ...], str] | None:
        """What a reminder becomes once its message reads `text`: (details still missing, the new reminder text),
        or None when nothing changed. An empty tuple means every detail was given: delete the reminder."""
        change = updated_reminder(self.engines.current, reply.missing, reply.lang, text)
        if change is None:
            log.debug("reminder %s unchanged: still missing %s", reply.reply_message_id, reply.missing)
        return change

    async def reminder_updated(self, reply: BotReply, still_missing: tuple[str, ...]) -> None:
        """Record that a reminder now asks for less (or is gone, when `still_missing` is empty)."""
        if not still_missing:
            await self.replies.mark_reply_deleted(reply.reply_message_id, self.clock())
            log.info("reminder %s removed: all details provided", reply.reply_message_id)
            return
        await self.replies.update_reply(reply.reply_message_id, missing=still_missing)
        log.info("reminder %s updated: %d detail(s) still missing", reply.reply_message_id, len(still_missing))

    async def reminder_gone(self, reply: BotReply) -> None:
        """The reminder message no longer exists on Discord."""
        await self.replies.mark_reply_deleted(reply.reply_message_id, self.clock())
