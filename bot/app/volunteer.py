"""What volunteers post through the bot (an FAQ answer, a request for reproduction details) and what they may ask
it ("why did you decide that?"). The Volunteer cog (`bot/exts/volunteer.py`) only picks the target and sends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.app.composition import EngineHolder
from bot.core.decision import Action, Decision
from bot.core.index import Match
from bot.core.render import neutralise_mentions, render_decision
from bot.services.store import BotReply, ReplyRepository


@dataclass(frozen=True, slots=True)
class Posted:
    """Where a volunteer's post went and what it answers (to record it as the bot's own reply)."""

    reply_id: int
    guild_id: int
    channel_id: int
    thread_id: int | None
    source_id: int  # the message it answers (or the interaction, for a /faq post addressed to nobody)
    asker_id: int


@dataclass(frozen=True, slots=True)
class DetailsRequest:
    """A reminder a volunteer may post under a message: what it lacks, in which language, and the text."""

    missing: tuple[str, ...]
    lang: str
    text: str


class VolunteerDesk:
    """See the module docstring."""

    def __init__(self, *, replies: ReplyRepository, engines: EngineHolder, clock: Callable[[], datetime]) -> None:
        self.replies = replies
        self.engines = engines
        self.clock = clock

    def answer_text(self, match: Match, lang: str) -> str:
        """The public text of an FAQ answer or docs page a volunteer posts (mentions inert)."""
        engine = self.engines.current
        entry = engine.index.entry(match.entry_id) if match.entry_id else None
        decision = Decision(Action.ANSWER, "posted by a volunteer", lang, match=match)
        return neutralise_mentions(render_decision(decision, engine.render_context, entry))

    def details_request(self, text: str) -> DetailsRequest | None:
        """The reminder for a message, or None when it already has every detail."""
        engine = self.engines.current
        analysis = engine.analyser.analyse(text)
        if not analysis.missing:
            return None
        decision = Decision(Action.REMIND, "asked by a volunteer", analysis.lang, missing=analysis.missing)
        reminder = neutralise_mentions(render_decision(decision, engine.render_context))
        return DetailsRequest(analysis.missing, analysis.lang, reminder)

    async def record_answer(self, posted: Posted, match: Match, lang: str) -> None:
        """Record a volunteer's FAQ post as an answer, so its Solved / Not helpful / Dismiss buttons work (the
        feedback service finds answers by their source message) and `/stats` counts their feedback."""
        await self.replies.record_reply(self._reply(posted, "answer", lang, match=match))

    async def record_request(self, posted: Posted, request: DetailsRequest) -> None:
        """Record a volunteer's details request as a reminder (it then updates itself like the bot's own)."""
        await self.replies.record_reply(self._reply(posted, "remind", request.lang, missing=request.missing))

    async def why(self, message_id: int) -> str:
        """What the bot decided for a message, and why (for volunteers, privately)."""
        record = await self.replies.get_decision(message_id)
        if record is None:
            return "The bot has no decision recorded for that message (not in a watched channel, or before it joined)."
        lines = [
            f"**Action:** {record.action} (`{record.rule}`)",
            f"**Reason:** {record.reason}",
            f"**Language / intent:** {record.lang} / {record.intent}",
        ]
        if record.top_url:
            lines.append(f"**Best match:** {record.top_title} ({record.confidence:.2f}) <{record.top_url}>")
        return neutralise_mentions("\n".join(lines))

    def _reply(
        self,
        posted: Posted,
        kind: str,
        lang: str,
        *,
        match: Match | None = None,
        missing: tuple[str, ...] = (),
    ) -> BotReply:
        return BotReply(
            reply_message_id=posted.reply_id,
            guild_id=posted.guild_id,
            channel_id=posted.channel_id,
            thread_id=posted.thread_id,
            source_message_id=posted.source_id,
            author_id=posted.asker_id,
            kind="answer" if kind == "answer" else "remind",
            url=match.url if match else None,
            entry_id=match.entry_id if match else None,
            confidence=match.score if match else 0.0,
            missing=missing,
            lang=lang,
            created_at=self.clock(),
            deleted_at=None,
        )
