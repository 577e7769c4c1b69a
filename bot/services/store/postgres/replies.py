"""Replies, decisions, feedback and gaps on PostgreSQL: `PgReplyRepository` (`ReplyRepository`).

The same results as `SqliteReplyRepository`, row for row. No cache (none in the SQLite one either). The counts and
lists over a period are `PgStatsRepository`'s (``bot.services.store.postgres.stats``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

import asyncpg

from bot.services.store._convert import names, snowflake
from bot.services.store.postgres._convert import at
from bot.services.store.postgres.database import PgDatabase
from bot.services.store.replies import (
    FEEDBACK_KINDS,
    GAP_SOURCES,
    BotReply,
    DecisionRecord,
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
