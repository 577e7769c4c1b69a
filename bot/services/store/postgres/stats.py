"""The read-only analytics on PostgreSQL: `PgStatsRepository` (`StatsRepository`).

The same results as `SqliteStatsRepository`, row for row: text is ordered with ``COLLATE "C"`` (SQLite compares
bytes, whatever the database's locale), UTC days come from ``AT TIME ZONE 'UTC'``, confidence bands truncate like
SQLite's ``CAST(... AS INTEGER)``, timestamps `gaps_since` returns as text are in SQLite's form. No cache.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from bot.services.store._convert import names
from bot.services.store.postgres._convert import at, text
from bot.services.store.postgres.database import PgDatabase
from bot.services.store.replies import DecisionRecord
from bot.services.store.stats import (
    CONFIDENCE_BANDS,
    ActionSplit,
    BandCount,
    DailyCount,
    FeedbackRecord,
    GapRecord,
    SplitBy,
    Stats,
)

_DECISION_COLUMNS = tuple(f.name for f in fields(DecisionRecord))
_SELECT_DECISION = f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decision"
_SPLIT_COUNTS = tuple(f.name for f in fields(ActionSplit))[1:]
_BAND_COUNTS = tuple(f.name for f in fields(BandCount))[2:]
# by -> (column, its sort key): a language sorts as bytes, a channel id as a number (as in SQLite).
_SPLIT_COLUMNS: dict[str, tuple[str, str]] = {"lang": ("lang", 'lang COLLATE "C"'), "channel": ("channel_id", "key")}

_STATS = """
SELECT
    count(*) FILTER (WHERE intent IN ('question', 'bug_report')) AS questions_seen,
    count(*) FILTER (WHERE action = 'answer') AS answered,
    count(*) FILTER (WHERE action = 'remind') AS reminders,
    count(*) FILTER (WHERE action = 'route') AS routed,
    count(*) FILTER (WHERE action = 'escalate') AS escalated,
    count(*) FILTER (WHERE action = 'silent') AS silent,
    (SELECT count(DISTINCT f.reply_message_id) FROM feedback AS f JOIN bot_reply AS r USING (reply_message_id)
      WHERE r.guild_id = $1 AND f.kind = 'solved' AND f.created_at >= $2) AS solved,
    (SELECT count(DISTINCT f.reply_message_id) FROM feedback AS f JOIN bot_reply AS r USING (reply_message_id)
      WHERE r.guild_id = $1 AND f.kind = 'not_helpful' AND f.created_at >= $2) AS not_helpful
FROM decision
WHERE guild_id = $1 AND created_at >= $2
"""

_SPLIT = """
SELECT {column} AS key, count(*) AS total,
    count(*) FILTER (WHERE action = 'answer') AS answered,
    count(*) FILTER (WHERE action = 'silent') AS silent,
    count(*) FILTER (WHERE action = 'remind') AS reminded,
    count(*) FILTER (WHERE action = 'route') AS routed,
    count(*) FILTER (WHERE action = 'escalate') AS escalated
FROM decision
WHERE guild_id = $1 AND created_at >= $2
GROUP BY {column}
ORDER BY total DESC, {order}
"""

# Band k covers confidences [k/10, (k+1)/10); 1.0 joins band 9, and answers under 0.5 form band 4 ("below 0.5").
# trunc(), not a cast: PostgreSQL's integer cast rounds, SQLite's truncates.
_BANDS = """
SELECT band, sum(seen) AS seen, sum(answered) AS answered, sum(not_helpful) AS not_helpful, sum(solved) AS solved
FROM (
    SELECT LEAST(trunc(confidence * 10)::int, 9) AS band, 1 AS seen, 0 AS answered, 0 AS not_helpful, 0 AS solved
    FROM decision
    WHERE guild_id = $1 AND created_at >= $2 AND confidence >= 0.5
    UNION ALL
    SELECT CASE WHEN r.confidence < 0.5 THEN 4 ELSE LEAST(trunc(r.confidence * 10)::int, 9) END, 0, 1,
        EXISTS (SELECT 1 FROM feedback AS f WHERE f.reply_message_id = r.reply_message_id
                AND f.kind = 'not_helpful')::int,
        EXISTS (SELECT 1 FROM feedback AS f WHERE f.reply_message_id = r.reply_message_id AND f.kind = 'solved')::int
    FROM bot_reply AS r
    WHERE r.guild_id = $1 AND r.created_at >= $2 AND r.kind = 'answer'
) AS counted
GROUP BY band
"""

_OF_GUILD = "($2::bigint IS NULL OR guild_id = $2)"
_FEEDBACK_EXPORT = """
SELECT f.reply_message_id, r.guild_id, r.channel_id, f.kind, f.created_at, r.kind AS reply_kind,
    r.confidence AS reply_confidence, r.lang, r.entry_id, r.url
FROM feedback AS f JOIN bot_reply AS r USING (reply_message_id)
WHERE f.created_at >= $1 AND ($2::bigint IS NULL OR r.guild_id = $2)
ORDER BY f.created_at, f.reply_message_id, f.kind COLLATE "C"
"""


class PgStatsRepository:
    """`StatsRepository` on a `PgDatabase`."""

    def __init__(self, database: PgDatabase) -> None:
        self._db = database

    # -- /stats ------------------------------------------------------------------------------------------------------

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's decision counts and feedback counts since `since` (one consistent read)."""
        row = await self._db.fetchrow(_STATS, guild_id, at(since, "since"))
        if row is None:  # cannot happen: an aggregate query returns one row
            return Stats()
        return Stats(**{f.name: int(row[f.name]) for f in fields(Stats)})

    async def top_gaps(self, guild_id: int, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
        """Return up to `limit` (question, count) pairs recorded since `since`, most frequent (then latest) first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        rows = await self._db.fetch(
            "SELECT question, count(*) AS n FROM gap WHERE guild_id = $1 AND created_at >= $2 "
            'GROUP BY question ORDER BY n DESC, max(created_at) DESC, question COLLATE "C" LIMIT $3',
            guild_id,
            at(since, "since"),
            limit,
        )
        return [(row["question"], row["n"]) for row in rows]

    async def daily_counts(self, guild_id: int, since: datetime) -> list[DailyCount]:
        """Return (UTC day, action, count) of the guild's decisions since `since`, by day then action."""
        rows = await self._db.fetch(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, action, count(*) AS n FROM decision "
            'WHERE guild_id = $1 AND created_at >= $2 GROUP BY day, action ORDER BY day, action COLLATE "C"',
            guild_id,
            at(since, "since"),
        )
        return [DailyCount(row["day"], row["action"], row["n"]) for row in rows]

    async def action_split(self, guild_id: int, since: datetime, by: SplitBy) -> list[ActionSplit]:
        """Return the guild's decisions since `since` per language (`by="lang"`) or channel (`by="channel"`, the
        thread's own id for a thread or forum post), most decisions first; `ValueError` for another `by`."""
        split = _SPLIT_COLUMNS.get(by)
        if split is None:
            raise ValueError(f"split must be one of {names(_SPLIT_COLUMNS)}, got {by!r}")
        column, order = split
        rows = await self._db.fetch(_SPLIT.format(column=column, order=order), guild_id, at(since, "since"))
        return [ActionSplit(str(row["key"]), *(int(row[name]) for name in _SPLIT_COUNTS)) for row in rows]

    async def confidence_bands(self, guild_id: int, since: datetime) -> list[BandCount]:
        """Return the five bands of `CONFIDENCE_BANDS` (lowest first), each with the decisions whose best match
        scored in it, the answers posted in it and how many of those got "Not helpful" / "Solved"; answers under 0.5
        come first as a (0.0, 0.5) band, only when there are any."""
        rows = await self._db.fetch(_BANDS, guild_id, at(since, "since"))
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
        rows = await self._db.fetch(
            "SELECT id, question, source, created_at FROM gap WHERE created_at >= $1 ORDER BY created_at, id",
            at(since, "since"),
        )
        return [(row["id"], row["question"], row["source"], text(row["created_at"])) for row in rows]

    async def decisions_since(self, since: datetime, guild_id: int | None = None) -> list[DecisionRecord]:
        """Return the decisions recorded since `since` (of `guild_id`, or of every guild), oldest first."""
        rows = await self._db.fetch(
            f"{_SELECT_DECISION} WHERE created_at >= $1 AND {_OF_GUILD} ORDER BY created_at, message_id",
            at(since, "since"),
            guild_id,
        )
        return [DecisionRecord(**dict(row)) for row in rows]

    async def gap_records_since(self, since: datetime, guild_id: int | None = None) -> list[GapRecord]:
        """Return the gaps recorded since `since` (of `guild_id`, or of every guild), oldest first."""
        rows = await self._db.fetch(
            f"SELECT id, guild_id, question, source, created_at FROM gap WHERE created_at >= $1 AND {_OF_GUILD} "
            "ORDER BY created_at, id",
            at(since, "since"),
            guild_id,
        )
        return [GapRecord(**dict(row)) for row in rows]

    async def feedback_since(self, since: datetime, guild_id: int | None = None) -> list[FeedbackRecord]:
        """Return the feedback given since `since` on replies of `guild_id` (or of every guild), oldest first, each
        with the reply's kind, confidence, language, FAQ entry and URL; who pressed is not read."""
        rows = await self._db.fetch(_FEEDBACK_EXPORT, at(since, "since"), guild_id)
        return [FeedbackRecord(**dict(row)) for row in rows]
