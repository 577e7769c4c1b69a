"""What the bot did in a guild over a period, and the questions it could not answer (`/stats`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.store import ReplyRepository, Stats

TOP_GAPS = 10


@dataclass(frozen=True, slots=True)
class StatsReport:
    """Counts of decisions and feedback since a time, and the most asked unanswered questions."""

    days: int
    stats: Stats
    gaps: list[tuple[str, int]]

    def text(self) -> str:
        """The report as a short Markdown block for staff."""
        s = self.stats
        lines = [
            f"**Last {self.days} days**",
            f"Questions seen: {s.questions_seen} · answered: {s.answered} · solved: {s.solved} · "
            f"not helpful: {s.not_helpful}",
            f"Reminders: {s.reminders} · routed: {s.routed} · escalated: {s.escalated} · silent: {s.silent}",
            "**Top unanswered questions (FAQ gaps):**",
        ]
        lines += [f"{count}× {text[:120]}" for text, count in self.gaps] or ["none"]
        return "\n".join(lines)


class StatsService:
    """Reads the records of replies, decisions, feedback and gaps."""

    def __init__(self, *, replies: ReplyRepository, clock: Callable[[], datetime]) -> None:
        self.replies = replies
        self.clock = clock

    async def report(self, guild_id: int, days: int) -> StatsReport:
        """The report of the last `days` days."""
        since = self.clock() - timedelta(days=days)
        stats = await self.replies.stats(guild_id, since)
        return StatsReport(days, stats, await self.replies.top_gaps(guild_id, since, limit=TOP_GAPS))
