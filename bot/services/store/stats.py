"""The read-only analytics over decisions, replies, feedback and gaps: `/stats`, its CSV export, ``export-gaps``.

`StatsRepository` and its SQLite implementation. Nothing here writes: the rows are written by `ReplyRepository`
(``bot.services.store.replies``) as the bot works; this module only counts and lists them over a period.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

from bot.services.store._convert import dt, names, ts
from bot.services.store.database import Database
from bot.services.store.replies import DecisionRecord

SplitBy = Literal["lang", "channel"]
_SPLIT_COLUMNS: dict[str, str] = {"lang": "lang", "channel": "channel_id"}  # the only names put into the SQL
# Confidence bands of the calibration check: [low, high), the last one closed. Answers below the first band (a guild
# threshold under 0.5) are counted in a (0.0, 0.5) band, returned only when it holds answers.
CONFIDENCE_BANDS: tuple[tuple[float, float], ...] = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0))


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts for one guild since a moment (decisions by action; feedback as distinct replies)."""

    questions_seen: int = 0  # decisions whose intent is question or bug_report
    answered: int = 0
    solved: int = 0  # replies of the guild marked solved by at least one user
    not_helpful: int = 0  # replies of the guild marked not helpful by at least one user
    reminders: int = 0
    routed: int = 0
    escalated: int = 0
    silent: int = 0


@dataclass(frozen=True, slots=True)
class DailyCount:
    """The number of decisions of one action on one UTC day."""

    day: date
    action: str
    count: int


@dataclass(frozen=True, slots=True)
class ActionSplit:
    """Decisions of one language or one channel since a moment, by action."""

    key: str  # the language code, or the channel id (a thread's own id) as text
    total: int = 0
    answered: int = 0
    silent: int = 0
    reminded: int = 0
    routed: int = 0
    escalated: int = 0


@dataclass(frozen=True, slots=True)
class BandCount:
    """One confidence band: decisions whose best match scored in it, answers posted in it and the feedback on them."""

    low: float
    high: float
    seen: int = 0  # decisions (any action) whose best match scored in [low, high)
    answered: int = 0  # answers the bot posted with a confidence in [low, high)
    not_helpful: int = 0  # of those answers, the ones marked "Not helpful" by at least one user
    solved: int = 0  # of those answers, the ones marked "Solved" by at least one user


@dataclass(frozen=True, slots=True, kw_only=True)
class GapRecord:
    """One recorded gap, for the export."""

    id: int
    guild_id: int
    question: str
    source: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackRecord:
    """One feedback press with the reply it was on, for the export (who pressed is not read)."""

    reply_message_id: int
    guild_id: int
    channel_id: int
    kind: str
    created_at: datetime
    reply_kind: str
    reply_confidence: float
    lang: str
    entry_id: str | None
    url: str | None


@runtime_checkable
class StatsRepository(Protocol):
    """Counts and lists over the recorded decisions, replies, feedback and gaps of a period (read only)."""

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's counts since a moment."""

    async def top_gaps(self, guild_id: int, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
        """Return the most frequent gap questions since a moment, with their counts."""

    async def daily_counts(self, guild_id: int, since: datetime) -> list[DailyCount]:
        """Return the guild's decisions per UTC day and action since a moment."""

    async def action_split(self, guild_id: int, since: datetime, by: SplitBy) -> list[ActionSplit]:
        """Return the guild's decisions since a moment per language or per channel, by action."""

    async def confidence_bands(self, guild_id: int, since: datetime) -> list[BandCount]:
        """Return decisions, answers and feedback on them per confidence band since a moment."""

    async def gaps_since(self, since: datetime) -> list[tuple[int, str, str, str]]:
        """Return every gap recorded since a moment, oldest first: (id, question, source, created_at)."""

    async def decisions_since(self, since: datetime, guild_id: int | None = None) -> list[DecisionRecord]:
        """Return the decisions since a moment (of one guild, or all), oldest first."""

    async def gap_records_since(self, since: datetime, guild_id: int | None = None) -> list[GapRecord]:
        """Return the gaps since a moment (of one guild, or all), oldest first."""

    async def feedback_since(self, since: datetime, guild_id: int | None = None) -> list[FeedbackRecord]:
        """Return the feedback given since a moment (in one guild, or all) with its reply, oldest first."""


_DECISION_COLUMNS = tuple(f.name for f in fields(DecisionRecord))
_SPLIT_COUNTS = tuple(f.name for f in fields(ActionSplit))[1:]
_BAND_COUNTS = tuple(f.name for f in fields(BandCount))[2:]

_STATS = """
SELECT
    coalesce(sum(intent IN ('question', 'bug_report')), 0) AS questions_seen,
    coalesce(sum(action = 'answer'), 0) AS answered,
    coalesce(sum(action = 'remind'), 0) AS reminders,
    coalesce(sum(action = 'route'), 0) AS routed,
    coalesce(sum(action = 'escalate'), 0) AS escalated,
    coalesce(sum(action = 'silent'), 0) AS silent,
    (SELECT count(DISTINCT f.reply_message_id) FROM feedback AS f JOIN bot_reply AS r USING (reply_message_id)
      WHERE r.guild_id = :guild_id AND f.kind = 'solved' AND f.created_at >= :since) AS solved,
    (SELECT count(DISTINCT f.reply_message_id) FROM feedback AS f JOIN bot_reply AS r USING (reply_message_id)
      WHERE r.guild_id = :guild_id AND f.kind = 'not_helpful' AND f.created_at >= :since) AS not_helpful
FROM decision
WHERE guild_id = :guild_id AND created_at >= :since
"""

_SPLIT = """
SELECT {column} AS key, count(*) AS total,
    coalesce(sum(action = 'answer'), 0) AS answered,
    coalesce(sum(action = 'silent'), 0) AS silent,
    coalesce(sum(action = 'remind'), 0) AS reminded,
    coalesce(sum(action = 'route'), 0) AS routed,
    coalesce(sum(action = 'escalate'), 0) AS escalated
FROM decision
WHERE guild_id = :guild_id AND created_at >= :since
GROUP BY key
ORDER BY total DESC, key
"""

# Band k covers confidences [k/10, (k+1)/10); 1.0 joins band 9, and answers under 0.5 form band 4 ("below 0.5").
# Decisions under 0.5 are left out: most are chit-chat with no real match. Feedback counts distinct replies.
_BANDS = """
SELECT band, sum(seen) AS seen, sum(answered) AS answered, sum(not_helpful) AS not_helpful, sum(solved) AS solved
FROM (
    SELECT min(CAST(confidence * 10 AS INTEGER), 9) AS band, 1 AS seen, 0 AS answered, 0 AS not_helpful, 0 AS solved
    FROM decision
    WHERE guild_id = :guild_id AND created_at >= :since AND confidence >= 0.5
    UNION ALL
    SELECT CASE WHEN r.confidence < 0.5 THEN 4 ELSE min(CAST(r.confidence * 10 AS INTEGER), 9) END, 0, 1,
        EXISTS (SELECT 1 FROM feedback AS f WHERE f.reply_message_id = r.reply_message_id AND f.kind = 'not_helpful'),
        EXISTS (SELECT 1 FROM feedback AS f WHERE f.reply_message_id = r.reply_message_id AND f.kind = 'solved')
    FROM bot_reply AS r
    WHERE r.guild_id = :guild_id AND r.created_at >= :since AND r.kind = 'answer'
)
GROUP BY band
"""

_OF_GUILD = "(:guild_id IS NULL OR guild_id = :guild_id)"
_FEEDBACK_EXPORT = """
SELECT f.reply_message_id, r.guild_id, r.channel_id, f.kind, f.created_at, r.kind AS reply_kind,
    r.confidence AS reply_confidence, r.lang, r.entry_id, r.url
FROM feedback AS f JOIN bot_reply AS r USING (reply_message_id)
WHERE f.created_at >= :since AND (:guild_id IS NULL OR r.guild_id = :guild_id)
ORDER BY f.created_at, f.reply_message_id, f.kind
"""


class SqliteStatsRepository:
    """`StatsRepository` on a `Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- /stats ------------------------------------------------------------------------------------------------------

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's decision counts and feedback counts since `since` (one consistent read)."""
        row = await self._db.read_one(_STATS, {"guild_id": guild_id, "since": ts(since, "since")})
        if row is None:  # cannot happen: an aggregate query returns one row
            return Stats()
        return Stats(**{f.name: int(row[f.name]) for f in fields(Stats)})

    async def top_gaps(self, guild_id: int, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
        """Return up to `limit` (question, count) pairs recorded since `since`, most frequent (then latest) first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        rows = await self._db.read_all(
            "SELECT question, count(*) AS n FROM gap WHERE guild_id = ? AND created_at >= ? "
            "GROUP BY question ORDER BY n DESC, max(created_at) DESC, question LIMIT ?",
            (guild_id, ts(since, "since"), limit),
        )
        return [(row["question"], row["n"]) for row in rows]

    async def daily_counts(self, guild_id: int, since: datetime) -> list[DailyCount]:
        """Return (UTC day, action, count) of the guild's decisions since `since`, by day then action."""
        rows = await self._db.read_all(
            "SELECT substr(created_at, 1, 10) AS day, action, count(*) AS n FROM decision "
            "WHERE guild_id = ? AND created_at >= ? GROUP BY day, action ORDER BY day, action",
            (guild_id, ts(since, "since")),
        )
        return [DailyCount(date.fromisoformat(row["day"]), row["action"], row["n"]) for row in rows]

    async def action_split(self, guild_id: int, since: datetime, by: SplitBy) -> list[ActionSplit]:
        """Return the guild's decisions since `since` per language (`by="lang"`) or channel (`by="channel"`, the
        thread's own id for a thread or forum post), most decisions first; `ValueError` for another `by`."""
        column = _SPLIT_COLUMNS.get(by)
        if column is None:
            raise ValueError(f"split must be one of {names(_SPLIT_COLUMNS)}, got {by!r}")
        rows = await self._db.read_all(
            _SPLIT.format(column=column), {"guild_id": guild_id, "since": ts(since, "since")}
        )
        return [ActionSplit(str(row["key"]), *(int(row[name]) for name in _SPLIT_COUNTS)) for row in rows]

    async def confidence_bands(self, guild_id: int, since: datetime) -> list[BandCount]:
        """Return the five bands of `CONFIDENCE_BANDS` (lowest first), each with the decisions whose best match
        scored in it, the answers posted in it and how many of those got "Not helpful" / "Solved"; answers under 0.5
        come first as a (0.0, 0.5) band, only when there are any."""
        rows = await self._db.read_all(_BANDS, {"guild_id": guild_id, "since": ts(since, "since")})
        counts = {int(row["band"]): row for row in rows}
        bands = [
            BandCount(low, high, *(int(counts[k][n]) for n in _BAND_COUNTS)) if k in counts else BandCount(low, high)
            for k, (low, high) in enumerate(CONFIDENCE_BANDS, start=5)
        ]
        if 4 in counts:
            bands.insert(0, BandCount(0.0, 0.5, *(int(counts[4][n]) for n in _BAND_COUNTS)))
        return bands

    # -- exports (CSV of /stats and `python -m bot export`; `export-gaps`) -------------------------------------------

    async def gaps_since(self, since: datetime) -> list[tuple[int, str, str, str]]:
        """Return every gap recorded since `since` in every guild, oldest first: (id, question, source, created_at)."""
        rows = await self._db.read_all(
            "SELECT id, question, source, created_at FROM gap WHERE created_at >= ? ORDER BY created_at, id",
            (ts(since, "since"),),
        )
        return [(row["id"], row["question"], row["source"], row["created_at"]) for row in rows]

    async def decisions_since(self, since: datetime, guild_id: int | None = None) -> list[DecisionRecord]:
        """Return the decisions recorded since `since` (of `guild_id`, or of every guild), oldest first."""
        rows = await self._db.read_all(
            f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decision WHERE created_at >= :since AND {_OF_GUILD} "
            "ORDER BY created_at, message_id",
            {"since": ts(since, "since"), "guild_id": guild_id},
        )
        return [DecisionRecord(**{**dict(row), "created_at": dt(row["created_at"])}) for row in rows]

    async def gap_records_since(self, since: datetime, guild_id: int | None = None) -> list[GapRecord]:
        """Return the gaps recorded since `since` (of `guild_id`, or of every guild), oldest first."""
        rows = await self._db.read_all(
            f"SELECT id, guild_id, question, source, created_at FROM gap WHERE created_at >= :since AND {_OF_GUILD} "
            "ORDER BY created_at, id",
            {"since": ts(since, "since"), "guild_id": guild_id},
        )
        return [GapRecord(**{**dict(row), "created_at": dt(row["created_at"])}) for row in rows]

    async def feedback_since(self, since: datetime, guild_id: int | None = None) -> list[FeedbackRecord]:
        """Return the feedback given since `since` on replies of `guild_id` (or of every guild), oldest first, each
        with the reply's kind, confidence, language, FAQ entry and URL; who pressed is not read."""
        rows = await self._db.read_all(_FEEDBACK_EXPORT, {"since": ts(since, "since"), "guild_id": guild_id})
        return [FeedbackRecord(**{**dict(row), "created_at": dt(row["created_at"])}) for row in rows]
