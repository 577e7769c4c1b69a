"""What the bot posted and decided, and what came of it: replies, decisions, feedback, gaps and stats.

`ReplyRepository` and its SQLite implementation.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any, Literal, Protocol, get_args, runtime_checkable

import aiosqlite

from bot.services.store._convert import aware, dt, finite, names, snowflake, str_tuple, ts
from bot.services.store.database import Database, StoreError

log = logging.getLogger(__name__)

ReplyKind = Literal["answer", "remind", "route", "escalate", "shadow"]
FeedbackKind = Literal["solved", "not_helpful", "dismissed"]
GapSource = Literal["unanswered", "not_helpful"]
REPLY_KINDS: frozenset[str] = frozenset(get_args(ReplyKind))
FEEDBACK_KINDS: frozenset[str] = frozenset(get_args(FeedbackKind))
GAP_SOURCES: frozenset[str] = frozenset(get_args(GapSource))
SplitBy = Literal["lang", "channel"]
_SPLIT_COLUMNS: dict[str, str] = {"lang": "lang", "channel": "channel_id"}  # the only names put into the SQL
# Confidence bands of the calibration check: [low, high), the last one closed. Answers below the first band (a guild
# threshold under 0.5) are counted in a (0.0, 0.5) band, returned only when it holds answers.
CONFIDENCE_BANDS: tuple[tuple[float, float], ...] = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0))

MAX_GAP_CHARS = 300


class UnknownReplyError(StoreError, LookupError):
    """The message id is not a recorded bot reply."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BotReply:
    """A message the bot posted in reply to `source_message_id` (asked by `author_id`)."""

    reply_message_id: int
    guild_id: int
    channel_id: int
    thread_id: int | None  # the thread or forum post, None in a plain text channel
    source_message_id: int
    author_id: int
    kind: ReplyKind
    url: str | None = None
    entry_id: str | None = None
    confidence: float
    missing: tuple[str, ...] = ()
    lang: str
    created_at: datetime
    deleted_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in REPLY_KINDS:
            raise ValueError(f"reply kind must be one of {names(REPLY_KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "kind", str(self.kind))  # a StrEnum member becomes its plain value
        object.__setattr__(self, "confidence", finite("confidence", self.confidence))
        object.__setattr__(self, "missing", str_tuple("missing", self.missing))
        for name in ("url", "entry_id"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string or None, got {getattr(self, name)!r}")
        if not isinstance(self.lang, str) or not self.lang:
            raise ValueError(f"lang must be a language code, got {self.lang!r}")
        aware("created_at", self.created_at)
        if self.deleted_at is not None:
            aware("deleted_at", self.deleted_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    """The triage decision about one message, kept for "/triage why" and the stats."""

    message_id: int
    guild_id: int
    channel_id: int
    author_id: int
    action: str  # answer | remind | route | escalate | silent (bot.core.decision.Action)
    rule: str
    reason: str
    lang: str
    intent: str  # question | bug_report | chitchat | other (bot.core.analysis.Intent)
    top_url: str | None = None
    top_title: str | None = None
    confidence: float
    created_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", str(self.action))
        object.__setattr__(self, "intent", str(self.intent))
        object.__setattr__(self, "confidence", finite("confidence", self.confidence))
        aware("created_at", self.created_at)


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
class ReplyRepository(Protocol):
    """The bot's replies, its decisions, the feedback on replies, the unanswered questions and the counts of them."""

    async def record_reply(self, reply: BotReply) -> None:
        """Remember a message the bot posted."""

    async def get_reply(self, reply_message_id: int) -> BotReply | None:
        """Return a recorded bot reply by its message id."""

    async def reply_for_source(
        self, source_message_id: int, kind: str, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply of `kind` to a source message."""

    async def reply_in_thread(
        self, thread_id: int, kind: str | None = None, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply (of `kind`, if given) in a thread."""

    async def mark_reply_deleted(self, reply_message_id: int, now: datetime) -> bool:
        """Note that a bot reply was deleted; return whether it was live."""

    async def update_reply(self, reply_message_id: int, /, **changes: object) -> BotReply | None:
        """Change fields of a bot reply after an edit; return it, or None if unknown."""

    async def record_decision(self, decision: DecisionRecord) -> None:
        """Store the decision about a message (replacing an earlier one)."""

    async def get_decision(self, message_id: int) -> DecisionRecord | None:
        """Return the latest decision about a message."""

    async def record_feedback(self, reply_message_id: int, user_id: int, kind: str, now: datetime) -> bool:
        """Record feedback on a reply; return False if this user already gave this kind."""

    async def record_gap(self, guild_id: int, question: str, now: datetime, source: str) -> None:
        """Remember a question the bot could not answer well."""

    async def top_gaps(self, guild_id: int, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
        """Return the most frequent gap questions since a moment, with their counts."""

    async def gaps_since(self, since: datetime) -> list[tuple[int, str, str, str]]:
        """Return every gap recorded since a moment, oldest first: (id, question, source, created_at)."""

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's counts since a moment."""

    async def daily_counts(self, guild_id: int, since: datetime) -> list[DailyCount]:
        """Return the guild's decisions per UTC day and action since a moment."""

    async def action_split(self, guild_id: int, since: datetime, by: SplitBy) -> list[ActionSplit]:
        """Return the guild's decisions since a moment per language or per channel, by action."""

    async def confidence_bands(self, guild_id: int, since: datetime) -> list[BandCount]:
        """Return decisions, answers and feedback on them per confidence band since a moment."""

    async def decisions_since(self, since: datetime, guild_id: int | None = None) -> list[DecisionRecord]:
        """Return the decisions since a moment (of one guild, or all), oldest first."""

    async def gap_records_since(self, since: datetime, guild_id: int | None = None) -> list[GapRecord]:
        """Return the gaps since a moment (of one guild, or all), oldest first."""

    async def feedback_since(self, since: datetime, guild_id: int | None = None) -> list[FeedbackRecord]:
        """Return the feedback given since a moment (in one guild, or all) with its reply, oldest first."""


_REPLY_COLUMNS = tuple(f.name for f in fields(BotReply))
_REPLY_UPDATABLE = frozenset({"kind", "url", "entry_id", "confidence", "missing", "lang"})
_INSERT_REPLY = (
    f"INSERT INTO bot_reply ({', '.join(_REPLY_COLUMNS)}) VALUES ({', '.join(':' + c for c in _REPLY_COLUMNS)})"
)
_SELECT_REPLY = f"SELECT {', '.join(_REPLY_COLUMNS)} FROM bot_reply"
_LATEST = "ORDER BY created_at DESC, reply_message_id DESC LIMIT 1"

_DECISION_COLUMNS = tuple(f.name for f in fields(DecisionRecord))
_SPLIT_COUNTS = tuple(f.name for f in fields(ActionSplit))[1:]
_BAND_COUNTS = tuple(f.name for f in fields(BandCount))[2:]
_UPSERT_DECISION = (
    f"INSERT INTO decision ({', '.join(_DECISION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _DECISION_COLUMNS)}) "
    "ON CONFLICT (message_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _DECISION_COLUMNS if c != "message_id")
)

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


class SqliteReplyRepository:
    """`ReplyRepository` on a `Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- bot replies -------------------------------------------------------------------------------------------------

    async def record_reply(self, reply: BotReply) -> None:
        """Remember a message the bot posted; `ValueError` if that message id is already recorded."""
        try:
            await self._db.write(_INSERT_REPLY, _reply_params(reply))
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"bot reply {reply.reply_message_id} could not be recorded: {exc}") from exc
        log.debug("recorded %s reply %d to message %d", reply.kind, reply.reply_message_id, reply.source_message_id)

    async def get_reply(self, reply_message_id: int) -> BotReply | None:
        """Return a recorded bot reply by its message id (deleted ones too)."""
        row = await self._db.read_one(f"{_SELECT_REPLY} WHERE reply_message_id = ?", (reply_message_id,))
        return _reply_from_row(row) if row else None

    async def reply_for_source(
        self, source_message_id: int, kind: str, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply of `kind` to a source message; deleted replies only with `include_deleted`."""
        live = "" if include_deleted else "AND deleted_at IS NULL"
        row = await self._db.read_one(
            f"{_SELECT_REPLY} WHERE source_message_id = ? AND kind = ? {live} {_LATEST}", (source_message_id, kind)
        )
        return _reply_from_row(row) if row else None

    async def reply_in_thread(
        self, thread_id: int, kind: str | None = None, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply in a thread, of `kind` if given; deleted replies only with `include_deleted`."""
        live = "" if include_deleted else "AND deleted_at IS NULL"
        of_kind = "" if kind is None else "AND kind = :kind"
        row = await self._db.read_one(
            f"{_SELECT_REPLY} WHERE thread_id = :thread_id {of_kind} {live} {_LATEST}",
            {"thread_id": thread_id, "kind": kind},
        )
        return _reply_from_row(row) if row else None

    async def mark_reply_deleted(self, reply_message_id: int, now: datetime) -> bool:
        """Note that a bot reply was deleted; return False if unknown or already marked (the first time stays)."""
        changed = await self._db.write(
            "UPDATE bot_reply SET deleted_at = ? WHERE reply_message_id = ? AND deleted_at IS NULL",
            (ts(now), reply_message_id),
        )
        return changed > 0

    async def update_reply(self, reply_message_id: int, /, **changes: object) -> BotReply | None:
        """Change kind, url, entry_id, confidence, missing and/or lang of a reply; return it, or None if unknown.

        Raises `ValueError` for another field name or a bad value.
        """
        unknown = set(changes) - _REPLY_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update reply field(s) {names(unknown)}; updatable: {names(_REPLY_UPDATABLE)}")
        async with self._db.transaction():
            row = await self._db.one(f"{_SELECT_REPLY} WHERE reply_message_id = ?", (reply_message_id,))
            if row is None:
                return None
            new_values: dict[str, Any] = changes  # any type here: replace() runs the checks of __post_init__
            reply = replace(_reply_from_row(row), **new_values)  # __post_init__ validates the new values
            if changes:
                params = _reply_params(reply)
                assignments = ", ".join(f"{name} = :{name}" for name in sorted(changes))
                await self._db.run(
                    f"UPDATE bot_reply SET {assignments} WHERE reply_message_id = :reply_message_id", params
                )
        return reply

    # -- decisions ---------------------------------------------------------------------------------------------------

    async def record_decision(self, decision: DecisionRecord) -> None:
        """Store the decision about a message, replacing an earlier one (a message edit is triaged again)."""
        await self._db.write(_UPSERT_DECISION, _decision_params(decision))
        log.debug("recorded decision %s (%s) for message %d", decision.action, decision.rule, decision.message_id)

    async def get_decision(self, message_id: int) -> DecisionRecord | None:
        """Return the latest decision about a message, or None."""
        row = await self._db.read_one(
            f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decision WHERE message_id = ?", (message_id,)
        )
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
            added = await self._db.write(
                "INSERT OR IGNORE INTO feedback (reply_message_id, user_id, kind, created_at) VALUES (?, ?, ?, ?)",
                (reply_message_id, user_id, kind, ts(now)),
            )
        except sqlite3.IntegrityError as exc:  # only the foreign key can fail: OR IGNORE covers the primary key
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
        text = normalise_question(question)
        if not text:
            raise ValueError("gap question is empty")
        await self._db.write(
            "INSERT INTO gap (guild_id, question, source, created_at) VALUES (?, ?, ?, ?)",
            (guild_id, text, source, ts(now)),
        )
        log.debug("guild %d: recorded %s gap (%d chars)", guild_id, source, len(text))

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

    async def gaps_since(self, since: datetime) -> list[tuple[int, str, str, str]]:
        """Return every gap recorded since `since` in every guild, oldest first: (id, question, source, created_at)."""
        rows = await self._db.read_all(
            "SELECT id, question, source, created_at FROM gap WHERE created_at >= ? ORDER BY created_at, id",
            (ts(since, "since"),),
        )
        return [(row["id"], row["question"], row["source"], row["created_at"]) for row in rows]

    # -- stats -------------------------------------------------------------------------------------------------------

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's decision counts and feedback counts since `since` (one consistent read)."""
        row = await self._db.read_one(_STATS, {"guild_id": guild_id, "since": ts(since, "since")})
        if row is None:  # cannot happen: an aggregate query returns one row
            return Stats()
        return Stats(**{f.name: int(row[f.name]) for f in fields(Stats)})

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

    # -- export ------------------------------------------------------------------------------------------------------

    async def decisions_since(self, since: datetime, guild_id: int | None = None) -> list[DecisionRecord]:
        """Return the decisions recorded since `since` (of `guild_id`, or of every guild), oldest first."""
        rows = await self._db.read_all(
            f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decision WHERE created_at >= :since AND {_OF_GUILD} "
            "ORDER BY created_at, message_id",
            {"since": ts(since, "since"), "guild_id": guild_id},
        )
        return [_decision_from_row(row) for row in rows]

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


def normalise_question(text: str) -> str:
    """Return `text` lower-cased, with whitespace collapsed, cut to 300 characters: the key gaps are grouped by."""
    return " ".join(text.split()).lower()[:MAX_GAP_CHARS].rstrip()


def _reply_params(reply: BotReply) -> dict[str, Any]:
    params: dict[str, Any] = {name: getattr(reply, name) for name in _REPLY_COLUMNS}
    params["missing"] = json.dumps(list(reply.missing))
    params["created_at"] = ts(reply.created_at, "created_at")
    params["deleted_at"] = None if reply.deleted_at is None else ts(reply.deleted_at, "deleted_at")
    return params


def _reply_from_row(row: aiosqlite.Row) -> BotReply:
    values = {name: row[name] for name in _REPLY_COLUMNS}
    values["missing"] = tuple(json.loads(row["missing"]))
    values["created_at"] = dt(row["created_at"])
    values["deleted_at"] = dt(row["deleted_at"])
    return BotReply(**values)


def _decision_params(decision: DecisionRecord) -> dict[str, Any]:
    params: dict[str, Any] = {name: getattr(decision, name) for name in _DECISION_COLUMNS}
    params["created_at"] = ts(decision.created_at, "created_at")
    return params


def _decision_from_row(row: aiosqlite.Row) -> DecisionRecord:
    values = {name: row[name] for name in _DECISION_COLUMNS}
    values["created_at"] = dt(row["created_at"])
    return DecisionRecord(**values)
