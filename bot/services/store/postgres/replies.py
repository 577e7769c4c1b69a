"""Replies, decisions, feedback, gaps and stats on PostgreSQL: `PgReplyRepository` (`ReplyRepository`).

The same results as `SqliteReplyRepository`, row for row: text is ordered with ``COLLATE "C"`` (SQLite compares
bytes, whatever the database's locale), UTC days come from ``AT TIME ZONE 'UTC'``, confidence bands truncate like
SQLite's ``CAST(... AS INTEGER)``. No cache (none in the SQLite one either).
"""

from __future__ import annotations

import json
import logging
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

import asyncpg

from bot.services.store._convert import names, snowflake
from bot.services.store.postgres._convert import at, text
from bot.services.store.postgres.database import PgDatabase
from bot.services.store.replies import (
    CONFIDENCE_BANDS,
    FEEDBACK_KINDS,
    GAP_SOURCES,
    ActionSplit,
    BandCount,
    BotReply,
    DailyCount,
    DecisionRecord,
    FeedbackRecord,
    GapRecord,
    SplitBy,
    Stats,
    UnknownReplyError,
    normalise_question,
)

log = logging.getLogger(__name__)

_REPLY_COLUMNS = tuple(f.name for f in fields(BotReply))
_REPLY_UPDATABLE = frozenset({"kind", "url", "entry_id", "confidence", "missing", "lang"})
_INSERT_REPLY = (
    f"INSERT INTO bot_reply ({', '.join(_REPLY_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(_REPLY_COLUMNS) + 1))})"
)
_SELECT_REPLY = f"SELECT {', '.join(_REPLY_COLUMNS)} FROM bot_reply"
_LATEST = "ORDER BY created_at DESC, reply_message_id DESC LIMIT 1"

_DECISION_COLUMNS = tuple(f.name for f in fields(DecisionRecord))
_SELECT_DECISION = f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decision"
_UPSERT_DECISION = (
    f"INSERT INTO decision ({', '.join(_DECISION_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(_DECISION_COLUMNS) + 1))}) "
    "ON CONFLICT (message_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _DECISION_COLUMNS if c != "message_id")
)
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


class PgReplyRepository:
    """`ReplyRepository` on a `PgDatabase`."""

    def __init__(self, database: PgDatabase) -> None:
        self._db = database

    # -- bot replies -------------------------------------------------------------------------------------------------

    async def record_reply(self, reply: BotReply) -> None:
        """Remember a message the bot posted; `ValueError` if that message id is already recorded."""
        try:
            await self._db.execute(_INSERT_REPLY, *_reply_params(reply))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise ValueError(f"bot reply {reply.reply_message_id} could not be recorded: {exc}") from exc
        log.debug("recorded %s reply %d to message %d", reply.kind, reply.reply_message_id, reply.source_message_id)

    async def get_reply(self, reply_message_id: int) -> BotReply | None:
        """Return a recorded bot reply by its message id (deleted ones too)."""
        row = await self._db.fetchrow(f"{_SELECT_REPLY} WHERE reply_message_id = $1", reply_message_id)
        return _reply_from_row(row) if row else None

    async def reply_for_source(
        self, source_message_id: int, kind: str, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply of `kind` to a source message; deleted replies only with `include_deleted`."""
        live = "" if include_deleted else "AND deleted_at IS NULL"
        row = await self._db.fetchrow(
            f"{_SELECT_REPLY} WHERE source_message_id = $1 AND kind = $2 {live} {_LATEST}", source_message_id, kind
        )
        return _reply_from_row(row) if row else None

    async def reply_in_thread(
        self, thread_id: int, kind: str | None = None, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply in a thread, of `kind` if given; deleted replies only with `include_deleted`."""
        live = "" if include_deleted else "AND deleted_at IS NULL"
        of_kind = "" if kind is None else "AND kind = $2"
        args: tuple[Any, ...] = (thread_id,) if kind is None else (thread_id, kind)
        row = await self._db.fetchrow(f"{_SELECT_REPLY} WHERE thread_id = $1 {of_kind} {live} {_LATEST}", *args)
        return _reply_from_row(row) if row else None

    async def mark_reply_deleted(self, reply_message_id: int, now: datetime) -> bool:
        """Note that a bot reply was deleted; return False if unknown or already marked (the first time stays)."""
        changed = await self._db.execute(
            "UPDATE bot_reply SET deleted_at = $1 WHERE reply_message_id = $2 AND deleted_at IS NULL",
            at(now),
            reply_message_id,
        )
        return changed > 0

    async def update_reply(self, reply_message_id: int, /, **changes: object) -> BotReply | None:
        """Change kind, url, entry_id, confidence, missing and/or lang of a reply; return it, or None if unknown.

        Raises `ValueError` for another field name or a bad value.
        """
        unknown = set(changes) - _REPLY_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update reply field(s) {names(unknown)}; updatable: {names(_REPLY_UPDATABLE)}")
        async with self._db.transaction() as tx:
            row = await tx.fetchrow(f"{_SELECT_REPLY} WHERE reply_message_id = $1 FOR UPDATE", reply_message_id)
            if row is None:
                return None
            new_values: dict[str, Any] = changes  # any type here: replace() runs the checks of __post_init__
            reply = replace(_reply_from_row(row), **new_values)  # __post_init__ validates the new values
            if changes:
                params = dict(zip(_REPLY_COLUMNS, _reply_params(reply), strict=True))
                columns = sorted(changes)
                assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
                await tx.execute(
                    f"UPDATE bot_reply SET {assignments} WHERE reply_message_id = $1",
                    reply_message_id,
                    *(params[name] for name in columns),
                )
        return reply

    # -- decisions ---------------------------------------------------------------------------------------------------

    async def record_decision(self, decision: DecisionRecord) -> None:
        """Store the decision about a message, replacing an earlier one (a message edit is triaged again)."""
        await self._db.execute(_UPSERT_DECISION, *_decision_params(decision))
        log.debug("recorded decision %s (%s) for message %d", decision.action, decision.rule, decision.message_id)

    async def get_decision(self, message_id: int) -> DecisionRecord | None:
        """Return the latest decision about a message, or None."""
        row = await self._db.fetchrow(f"{_SELECT_DECISION} WHERE message_id = $1", message_id)
        return _decision_from_row(row) if row else None

    # -- feedback ----------------------------------------------------------------------------------------------------

    async def record_feedback(self, reply_message_id: int, user_id: int, kind: str, now: datetime) -> bool:
        """Record feedback on a bot reply; return False if this user already gave this kind on it.

        Raises `UnknownReplyError` if the reply was never recorded, `ValueError` for an unknown kind.
        """
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"feedback kind must be one of {names(FEEDBACK_KINDS)}, got {kind!r}")
        snowflake("user_id", user_id)
        try:
            added = await self._db.execute(
                "INSERT INTO feedback (reply_message_id, user_id, kind, created_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (reply_message_id, user_id, kind) DO NOTHING",
                reply_message_id,
                user_id,
                kind,
                at(now),
            )
        except asyncpg.ForeignKeyViolationError as exc:
            raise UnknownReplyError(f"message {reply_message_id} is not a recorded bot reply") from exc
        log.debug("feedback %s on reply %d by user %d (new=%s)", kind, reply_message_id, user_id, bool(added))
        return added > 0

    # -- gaps --------------------------------------------------------------------------------------------------------

    async def record_gap(self, guild_id: int, question: str, now: datetime, source: str) -> None:
        """Remember a question the bot could not answer well, normalised by `normalise_question`.

        Raises `ValueError` for an unknown source or a question that is empty once normalised.
        """
        if source not in GAP_SOURCES:
            raise ValueError(f"gap source must be one of {names(GAP_SOURCES)}, got {source!r}")
        snowflake("guild_id", guild_id)
        question_text = normalise_question(question)
        if not question_text:
            raise ValueError("gap question is empty")
        await self._db.execute(
            "INSERT INTO gap (guild_id, question, source, created_at) VALUES ($1, $2, $3, $4)",
            guild_id,
            question_text,
            source,
            at(now),
        )
        log.debug("guild %d: recorded %s gap (%d chars)", guild_id, source, len(question_text))

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

    async def gaps_since(self, since: datetime) -> list[tuple[int, str, str, str]]:
        """Return every gap recorded since `since` in every guild, oldest first: (id, question, source, created_at)."""
        rows = await self._db.fetch(
            "SELECT id, question, source, created_at FROM gap WHERE created_at >= $1 ORDER BY created_at, id",
            at(since, "since"),
        )
        return [(row["id"], row["question"], row["source"], text(row["created_at"])) for row in rows]

    # -- stats -------------------------------------------------------------------------------------------------------

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's decision counts and feedback counts since `since` (one consistent read)."""
        row = await self._db.fetchrow(_STATS, guild_id, at(since, "since"))
        if row is None:  # cannot happen: an aggregate query returns one row
            return Stats()
        return Stats(**{f.name: int(row[f.name]) for f in fields(Stats)})

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

    # -- export ------------------------------------------------------------------------------------------------------

    async def decisions_since(self, since: datetime, guild_id: int | None = None) -> list[DecisionRecord]:
        """Return the decisions recorded since `since` (of `guild_id`, or of every guild), oldest first."""
        rows = await self._db.fetch(
            f"{_SELECT_DECISION} WHERE created_at >= $1 AND {_OF_GUILD} ORDER BY created_at, message_id",
            at(since, "since"),
            guild_id,
        )
        return [_decision_from_row(row) for row in rows]

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


def _reply_params(reply: BotReply) -> list[Any]:
    params: dict[str, Any] = {name: getattr(reply, name) for name in _REPLY_COLUMNS}
    params["missing"] = json.dumps(list(reply.missing))
    params["created_at"] = at(reply.created_at, "created_at")
    params["deleted_at"] = None if reply.deleted_at is None else at(reply.deleted_at, "deleted_at")
    return [params[name] for name in _REPLY_COLUMNS]


def _reply_from_row(row: asyncpg.Record) -> BotReply:
    values = {name: row[name] for name in _REPLY_COLUMNS}
    values["missing"] = tuple(json.loads(row["missing"]))
    return BotReply(**values)


def _decision_params(decision: DecisionRecord) -> list[Any]:
    params: dict[str, Any] = {name: getattr(decision, name) for name in _DECISION_COLUMNS}
    params["created_at"] = at(decision.created_at, "created_at")
    return [params[name] for name in _DECISION_COLUMNS]


def _decision_from_row(row: asyncpg.Record) -> DecisionRecord:
    return DecisionRecord(**{name: row[name] for name in _DECISION_COLUMNS})
