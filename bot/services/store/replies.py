"""What the bot posted and decided, and what came of it: replies, decisions, feedback and gaps.

`ReplyRepository` and its SQLite implementation: the writes, and the reads the bot needs while it works. The counts
and lists over a period (`/stats`, the exports) are `StatsRepository`'s (``bot.services.store.stats``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, fields, replace
from datetime import datetime
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


@runtime_checkable
class ReplyRepository(Protocol):
    """The bot's replies, its decisions, the feedback on replies and the unanswered questions: writes, point reads."""

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


_REPLY_COLUMNS = tuple(f.name for f in fields(BotReply))
_REPLY_UPDATABLE = frozenset({"kind", "url", "entry_id", "confidence", "missing", "lang"})
_INSERT_REPLY = (
    f"INSERT INTO bot_reply ({', '.join(_REPLY_COLUMNS)}) VALUES ({', '.join(':' + c for c in _REPLY_COLUMNS)})"
)
_SELECT_REPLY = f"SELECT {', '.join(_REPLY_COLUMNS)} FROM bot_reply"
_LATEST = "ORDER BY created_at DESC, reply_message_id DESC LIMIT 1"

_DECISION_COLUMNS = tuple(f.name for f in fields(DecisionRecord))
_UPSERT_DECISION = (
    f"INSERT INTO decision ({', '.join(_DECISION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _DECISION_COLUMNS)}) "
    "ON CONFLICT (message_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _DECISION_COLUMNS if c != "message_id")
)


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
