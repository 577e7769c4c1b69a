"""Feedback on the bot's replies: Solved, Not helpful and Dismiss, who may press them, and what is recorded.

The buttons (`bot/exts/feedback.py`) translate a click into :meth:`FeedbackService.press` and render the
:class:`FeedbackOutcome`. "Not helpful" records the question as a docs gap (it feeds `export-gaps` and retraining)
and offers the next-best pages. No Discord import.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.app.composition import EngineHolder
from bot.app.metrics import Metrics
from bot.app.triage_flow import Author, role_of
from bot.core.decision import Role
from bot.core.index import Match
from bot.core.redact import redact
from bot.services.store import BotReply, ConfigRepository, ReplyRepository

ALTERNATIVES = 4


class Press(enum.StrEnum):
    """The feedback buttons."""

    SOLVED = "solved"
    NOT_HELPFUL = "not_helpful"
    DISMISS = "dismiss"


class Result(enum.StrEnum):
    """What a press did."""

    UNTRACKED = "untracked"  # the reply is unknown (or was deleted from the records)
    NOT_ALLOWED = "not_allowed"  # only the asker, a volunteer or staff may press Solved / Dismiss
    DISMISSED = "dismissed"  # recorded; the caller deletes the reply message
    SOLVED = "solved"
    ALREADY_SOLVED = "already_solved"
    NOT_HELPFUL = "not_helpful"  # recorded with the question as a gap; `alternatives` may be offered


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    """The result of a press, the reply it was about and, for Not helpful, other pages to offer."""

    result: Result
    reply: BotReply | None = None
    alternatives: tuple[Match, ...] = ()


class FeedbackService:
    """See the module docstring."""

    def __init__(
        self,
        *,
        replies: ReplyRepository,
        config: ConfigRepository,
        engines: EngineHolder,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        self.replies = replies
        self.config = config
        self.engines = engines
        self.clock = clock
        self.metrics = metrics

    async def press(
        self, press: Press, source_id: int, guild_id: int, clicker: Author, question: Callable[[], Awaitable[str]]
    ) -> FeedbackOutcome:
        """Record a press on the reply to message `source_id`; `question` reads the asked text (Not helpful only)."""
        outcome = await self._press(press, source_id, guild_id, clicker, question)
        if self.metrics is not None:
            self.metrics.feedback_pressed(outcome.result.value)
        return outcome

    async def _press(
        self, press: Press, source_id: int, guild_id: int, clicker: Author, question: Callable[[], Awaitable[str]]
    ) -> FeedbackOutcome:
        reply = await self.replies.reply_for_source(source_id, "answer") or await self.replies.reply_for_source(
            source_id, "remind"
        )
        if reply is None:
            return FeedbackOutcome(Result.UNTRACKED)
        now = self.clock()
        if press is Press.NOT_HELPFUL:
            await self.replies.record_feedback(reply.reply_message_id, clicker.user_id, "not_helpful", now)
            text = await question()
            if not text:
                return FeedbackOutcome(Result.NOT_HELPFUL, reply)
            # Stored redacted: a gap outlives the message, and secrets pasted in questions must not.
            await self.replies.record_gap(reply.guild_id, redact(text), now, "not_helpful")
            shown = (reply.url or "").split("#")[0]
            matches = self.engines.current.index.search(text, reply.lang or "en").matches
            others = tuple(m for m in matches if m.url.split("#")[0] != shown)[:ALTERNATIVES]
            return FeedbackOutcome(Result.NOT_HELPFUL, reply, others)
        role = role_of(clicker, await self.config.get_config(guild_id))
        if clicker.user_id != reply.author_id and role not in (Role.VOLUNTEER, Role.STAFF):
            return FeedbackOutcome(Result.NOT_ALLOWED, reply)
        if press is Press.DISMISS:
            await self.replies.record_feedback(reply.reply_message_id, clicker.user_id, "dismissed", now)
            await self.replies.mark_reply_deleted(reply.reply_message_id, now)
            return FeedbackOutcome(Result.DISMISSED, reply)
        first = await self.replies.record_feedback(reply.reply_message_id, clicker.user_id, "solved", now)
        return FeedbackOutcome(Result.SOLVED if first else Result.ALREADY_SOLVED, reply)
