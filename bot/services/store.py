"""SQLite persistence: guild settings, watched channels, bot replies, decisions, feedback, gaps, opt-outs, cooldowns.

All SQL of the bot lives in this module; callers get frozen dataclasses, never database rows.

How it works:
- One aiosqlite connection in autocommit mode (``isolation_level=None``): every write is one statement that is
  committed when it returns (WAL, ``synchronous=NORMAL``: a crash of the bot or of the OS process loses nothing
  committed; only a power cut can drop the last few commits, SQLite's recommended trade-off for WAL, which
  keeps a commit well under a millisecond instead of one fsync each). The few
  read-modify-write operations run inside an explicit ``BEGIN IMMEDIATE`` transaction.
- An ``asyncio.Lock`` serialises the store's operations. aiosqlite already runs statements one at a time, but a
  coroutine could otherwise run its statement in the middle of another coroutine's transaction on the shared
  connection (joining it, or seeing rows that are then rolled back).
- Timestamps cross the API as tz-aware datetimes passed in by the caller (`now`); the store never reads the clock.
  They are stored as fixed-width UTC ISO-8601 text, so text order is time order.

Migrations: numbered files ``migrations/NNNN_description.sql`` (versions 1..N, no gaps). The database's version is
``PRAGMA user_version``. Each pending file runs in one transaction together with its ``PRAGMA user_version = N`` and
a ``PRAGMA foreign_key_check``, so a failing file leaves the database exactly at the previous version. Files must not
contain transaction statements (BEGIN, COMMIT, ...). Migrations run with foreign keys off (the SQLite procedure for
table rebuilds: ``DROP TABLE`` would otherwise cascade); the foreign-key check before the commit catches breakage,
and foreign keys are switched on once the schema is current.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import math
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self, get_args, runtime_checkable

import aiosqlite

from bot.core.faq import LANGS
from bot.services.escalations import EscalationQueries

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5000

ReplyKind = Literal["answer", "remind", "route", "escalate", "shadow"]
FeedbackKind = Literal["solved", "not_helpful", "dismissed"]
GapSource = Literal["unanswered", "not_helpful"]
REPLY_KINDS: frozenset[str] = frozenset(get_args(ReplyKind))
FEEDBACK_KINDS: frozenset[str] = frozenset(get_args(FeedbackKind))
GAP_SOURCES: frozenset[str] = frozenset(get_args(GapSource))

MAX_GAP_CHARS = 300
MAX_TAG_CHARS = 20  # Discord's limit for a forum tag name
MAX_COOLDOWN_SECONDS = 24 * 3600
MAX_REMINDER_PERIOD_HOURS = 30 * 24


class StoreError(Exception):
    """The store cannot do what was asked (closed, or the database is not usable)."""


class DatabaseUnusableError(StoreError):
    """The database file cannot be opened or used (bad path, permissions, full disk, damaged or not a database).

    The message names the file and what to do; `bad_setting` is True when the fix is another DATABASE_PATH (a
    directory, or a path below a file) rather than repairing the file or the disk.
    """

    def __init__(self, message: str, *, bad_setting: bool = False) -> None:
        super().__init__(message)
        self.bad_setting = bad_setting


class MigrationError(StoreError):
    """A migration file is malformed or failed; the database stays at its previous version."""


class UnknownReplyError(StoreError, LookupError):
    """The message id is not a recorded bot reply."""


# --------------------------------------------------------------------------------------------------------------------
# Values returned by the store


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """Per-guild settings; a guild that never changed anything gets these defaults."""

    guild_id: int
    volunteer_role_ids: tuple[int, ...] = ()
    staff_role_ids: tuple[int, ...] = ()
    staff_log_channel_id: int | None = None
    default_language: str = "en"
    answer_threshold: float | None = None  # None: use the global setting
    channel_cooldown_seconds: int = 30
    reminder_period_hours: int = 12
    forum_tag_answered: str | None = None  # forum tag names, not ids
    forum_tag_needs_details: str | None = None
    forum_tag_escalated: str | None = None
    seeded: bool = False  # whether WATCH_CHANNELS were copied into watched channels for this guild


@dataclass(frozen=True, slots=True)
class WatchedChannel:
    """A channel (text channel or forum) the bot triages; in shadow mode it decides and logs but does not post."""

    channel_id: int
    shadow: bool = False


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
            raise ValueError(f"reply kind must be one of {_names(REPLY_KINDS)}, got {self.kind!r}")
        object.__setattr__(self, "kind", str(self.kind))  # a StrEnum member becomes its plain value
        object.__setattr__(self, "confidence", _finite("confidence", self.confidence))
        object.__setattr__(self, "missing", _str_tuple("missing", self.missing))
        for name in ("url", "entry_id"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string or None, got {getattr(self, name)!r}")
        if not isinstance(self.lang, str) or not self.lang:
            raise ValueError(f"lang must be a language code, got {self.lang!r}")
        _aware("created_at", self.created_at)
        if self.deleted_at is not None:
            _aware("deleted_at", self.deleted_at)


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
        object.__setattr__(self, "confidence", _finite("confidence", self.confidence))
        _aware("created_at", self.created_at)


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
class Migration:
    """One numbered migration file, split into statements."""

    version: int
    name: str
    statements: tuple[str, ...] = field(repr=False)


# --------------------------------------------------------------------------------------------------------------------
# The interface the cogs depend on


@runtime_checkable
class Store(Protocol):
    """What the bot needs from persistence; `SqliteStore` implements it, tests may pass a fake."""

    async def close(self) -> None:
        """Release the database."""

    async def get_config(self, guild_id: int) -> GuildConfig:
        """Return the guild's settings (the defaults when it has none)."""

    async def update_config(self, guild_id: int, /, **changes: object) -> GuildConfig:
        """Change some settings of a guild and return the result."""

    async def watch_channel(self, guild_id: int, channel_id: int, *, shadow: bool = False) -> WatchedChannel:
        """Start triaging a channel."""

    async def unwatch_channel(self, guild_id: int, channel_id: int) -> bool:
        """Stop triaging a channel; return whether it was watched."""

    async def set_shadow(self, guild_id: int, channel_id: int, shadow: bool) -> bool:
        """Switch shadow mode of a watched channel; return whether the channel is watched."""

    async def watched_channels(self, guild_id: int) -> dict[int, WatchedChannel]:
        """Return the guild's watched channels by id."""

    async def is_watched(self, channel_id: int) -> WatchedChannel | None:
        """Return the channel if it is watched."""

    async def seed_watch_channels(self, guild_id: int, channel_ids: Iterable[int]) -> bool:
        """Watch these channels unless the guild was seeded before; return whether it seeded now."""

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

    async def set_opt_out(self, user_id: int, opted_out: bool, now: datetime) -> bool:
        """Opt a user out of (or back into) triage; return whether that changed anything."""

    async def is_opted_out(self, user_id: int) -> bool:
        """Return whether the user opted out."""

    async def last_reminder_at(self, guild_id: int, user_id: int) -> datetime | None:
        """Return when the user was last reminded in this guild."""

    async def note_reminder(self, guild_id: int, user_id: int, now: datetime) -> None:
        """Note that the user was reminded now."""

    async def last_channel_reply_at(self, channel_id: int) -> datetime | None:
        """Return when the bot last replied in this channel."""

    async def note_channel_reply(self, channel_id: int, now: datetime) -> None:
        """Note that the bot replied in this channel now."""

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's counts since a moment."""


# --------------------------------------------------------------------------------------------------------------------
# SQL

_CONFIG_COLUMNS = tuple(f.name for f in fields(GuildConfig))
_CONFIG_FIELDS = frozenset(_CONFIG_COLUMNS) - {"guild_id"}
_UPSERT_CONFIG = (
    f"INSERT INTO guild_config ({', '.join(_CONFIG_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _CONFIG_COLUMNS)}) "
    "ON CONFLICT (guild_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _CONFIG_COLUMNS if c != "guild_id")
)

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


# --------------------------------------------------------------------------------------------------------------------
# The SQLite implementation


class SqliteStore(EscalationQueries):
    """`Store` on one aiosqlite connection; build it with ``await SqliteStore.open(path)``."""

    def __init__(self, connection: aiosqlite.Connection, *, label: str, schema_version: int) -> None:
        self._conn: aiosqlite.Connection | None = connection
        self._lock = asyncio.Lock()
        # Read-through caches for what every message asks (is this channel watched, the guild's settings, has the
        # author opted out). Every write to those tables goes through this object, which clears the entry.
        self._config_cache: dict[int, GuildConfig] = {}
        self._watch_cache: dict[int, WatchedChannel | None] = {}
        self._opt_out_cache: dict[int, bool] = {}
        self._reminder_cache: dict[tuple[int, int], datetime | None] = {}
        self._channel_reply_cache: dict[int, datetime | None] = {}
        self.label = label
        self.schema_version = schema_version

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | str | None = None) -> SqliteStore:
        """Open (creating if needed) the database at `path` or ``":memory:"``, and bring its schema up to date.

        Before migrating, ``PRAGMA quick_check`` refuses a database with damaged pages (it reads every page: about
        80 ms for 58 MB, 200,000 decisions), so that it fails here, once, rather than on some later message, and a
        rolled-back write finds a file or folder SQLite could only open read-only. A database that cannot be used
        (bad path, no permission, full disk, damaged, not a database) raises `DatabaseUnusableError`, whose message
        names the file and what to do.
        """
        target = str(path)
        migrations = await asyncio.to_thread(load_migrations, Path(migrations_dir or MIGRATIONS_DIR))
        try:
            return await cls._open(target, migrations)
        except (sqlite3.Error, OSError) as exc:
            raise _unusable(target, exc) from exc
        except MigrationError as exc:
            # A migration that failed because of the disk or the file, not because of its SQL.
            if isinstance(exc.__cause__, sqlite3.Error) and _error_code(exc.__cause__) in _ENVIRONMENT_ERRORS:
                raise _unusable(target, exc.__cause__) from exc
            raise

    @classmethod
    async def _open(cls, target: str, migrations: tuple[Migration, ...]) -> SqliteStore:
        if target != MEMORY:
            await asyncio.to_thread(_prepare_path, Path(target))
        conn = await aiosqlite.connect(target, isolation_level=None)  # autocommit: transactions are explicit
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            mode = str(row[0]) if row else "?"
            if mode != "wal" and target != MEMORY:
                log.warning("database %s: journal mode is %s, not WAL", target, mode)
            await conn.execute("PRAGMA synchronous = NORMAL")
            if target != MEMORY:
                await _quick_check(conn, target)
                await _write_probe(conn)
            await conn.execute("PRAGMA foreign_keys = OFF")  # during migrations only (see the module docstring)
            version = await _migrate(conn, migrations, target)
            await conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            await conn.close()
            raise
        log.info("database %s open at schema version %d", target, version)
        return cls(conn, label=target, schema_version=version)

    async def close(self) -> None:
        """Close the connection; further calls raise `StoreError`. Closing twice is allowed."""
        if self._conn is None:
            return
        async with self._lock:  # waits for a running operation or transaction to finish
            conn, self._conn = self._conn, None
            if conn is None:
                return
            await conn.close()
        log.info("database %s closed", self.label)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- plumbing ----------------------------------------------------------------------------------------------------

    @property
    def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError(f"store {self.label} is closed")
        return self._conn

    # One thread hop per statement: aiosqlite runs each call on its worker thread, and a cursor's execute, fetch
    # and close would be three hops (most of the cost of a small query under load).
    async def _run(self, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()) -> int:
        """Execute one statement (lock held by the caller); return the number of rows changed."""
        cursor = await self._db.execute(sql, _storable(params))
        return cursor.rowcount

    async def _one(self, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def _all(self, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        return list(await self._db.execute_fetchall(sql, params))

    async def _write(self, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()) -> int:
        """Execute and commit one statement."""
        async with self._lock:
            return await self._run(sql, params)

    async def _read_one(self, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        async with self._lock:
            return await self._one(sql, params)

    async def _read_all(self, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return await self._all(sql, params)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """Hold the lock and run the body in one write transaction, rolled back if the body fails."""
        async with self._lock:
            db = self._db
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield
                await db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                raise

    # -- guild configuration -----------------------------------------------------------------------------------------

    async def get_config(self, guild_id: int) -> GuildConfig:
        """Return the guild's settings (the defaults when it has none)."""
        cached = self._config_cache.get(guild_id)
        if cached is not None:
            return cached
        row = await self._read_one("SELECT * FROM guild_config WHERE guild_id = ?", (guild_id,))
        config = _config_from_row(row) if row else GuildConfig(guild_id=guild_id)
        self._config_cache[guild_id] = config
        return config

    async def update_config(self, guild_id: int, /, **changes: object) -> GuildConfig:
        """Change some settings of a guild and return the result.

        Raises `ValueError` (naming the field) for an unknown field or a bad value; nothing is written then.
        """
        _snowflake("guild_id", guild_id)
        checked = {name: _check_config_value(name, value) for name, value in changes.items()}
        self._config_cache.pop(guild_id, None)
        async with self._transaction():
            row = await self._one("SELECT * FROM guild_config WHERE guild_id = ?", (guild_id,))
            config = replace(_config_from_row(row) if row else GuildConfig(guild_id=guild_id), **checked)
            if checked:
                await self._run(_UPSERT_CONFIG, _config_params(config))
        self._config_cache.pop(guild_id, None)  # again: a read racing this write may have cached the old row
        if checked:
            log.info("guild %d: config changed (%s)", guild_id, ", ".join(sorted(checked)))
        return config

    # -- watched channels --------------------------------------------------------------------------------------------

    async def watch_channel(self, guild_id: int, channel_id: int, *, shadow: bool = False) -> WatchedChannel:
        """Start triaging a channel (or change its shadow flag if already watched)."""
        _snowflake("guild_id", guild_id)
        _snowflake("channel_id", channel_id)
        _bool("shadow", shadow)
        self._watch_cache.pop(channel_id, None)
        await self._write(
            "INSERT INTO watched_channel (channel_id, guild_id, shadow) VALUES (?, ?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id, shadow = excluded.shadow",
            (channel_id, guild_id, int(shadow)),
        )
        self._watch_cache.pop(channel_id, None)
        log.info("guild %d: watching channel %d (shadow=%s)", guild_id, channel_id, shadow)
        return WatchedChannel(channel_id=channel_id, shadow=shadow)

    async def unwatch_channel(self, guild_id: int, channel_id: int) -> bool:
        """Stop triaging a channel; return whether it was watched."""
        self._watch_cache.pop(channel_id, None)
        removed = await self._write(
            "DELETE FROM watched_channel WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
        )
        self._watch_cache.pop(channel_id, None)
        if removed:
            log.info("guild %d: stopped watching channel %d", guild_id, channel_id)
        return removed > 0

    async def set_shadow(self, guild_id: int, channel_id: int, shadow: bool) -> bool:
        """Switch shadow mode of a watched channel; return False (and change nothing) if it is not watched."""
        _bool("shadow", shadow)
        self._watch_cache.pop(channel_id, None)
        changed = await self._write(
            "UPDATE watched_channel SET shadow = ? WHERE guild_id = ? AND channel_id = ?",
            (int(shadow), guild_id, channel_id),
        )
        self._watch_cache.pop(channel_id, None)
        if changed:
            log.info("guild %d: channel %d shadow=%s", guild_id, channel_id, shadow)
        return changed > 0

    async def watched_channels(self, guild_id: int) -> dict[int, WatchedChannel]:
        """Return the guild's watched channels by channel id."""
        rows = await self._read_all(
            "SELECT channel_id, shadow FROM watched_channel WHERE guild_id = ? ORDER BY channel_id", (guild_id,)
        )
        return {row["channel_id"]: _watched_from_row(row) for row in rows}

    async def is_watched(self, channel_id: int) -> WatchedChannel | None:
        """Return the channel if it is watched (channel ids are unique across guilds)."""
        if channel_id in self._watch_cache:
            return self._watch_cache[channel_id]
        row = await self._read_one("SELECT channel_id, shadow FROM watched_channel WHERE channel_id = ?", (channel_id,))
        watched = _watched_from_row(row) if row else None
        self._watch_cache[channel_id] = watched
        return watched

    async def seed_watch_channels(self, guild_id: int, channel_ids: Iterable[int]) -> bool:
        """Watch `channel_ids` the first time this is called for the guild; return whether it seeded now.

        The guild is marked seeded even when `channel_ids` is empty, so channels removed by an admin later are not
        added back on the next start. Channels already watched keep their shadow flag.
        """
        _snowflake("guild_id", guild_id)
        ids = [_snowflake("channel_id", c) for c in dict.fromkeys(channel_ids)]
        self._config_cache.pop(guild_id, None)
        for channel_id in ids:
            self._watch_cache.pop(channel_id, None)
        async with self._transaction():
            row = await self._one("SELECT seeded FROM guild_config WHERE guild_id = ?", (guild_id,))
            if row is not None and row["seeded"]:
                return False
            await self._db.executemany(
                "INSERT OR IGNORE INTO watched_channel (channel_id, guild_id, shadow) VALUES (?, ?, 0)",
                [(c, guild_id) for c in ids],
            )
            await self._run(
                "INSERT INTO guild_config (guild_id, seeded) VALUES (?, 1) "
                "ON CONFLICT (guild_id) DO UPDATE SET seeded = 1",
                (guild_id,),
            )
        self._config_cache.pop(guild_id, None)
        for channel_id in ids:
            self._watch_cache.pop(channel_id, None)
        log.info("guild %d: seeded %d watched channel(s)", guild_id, len(ids))
        return True

    # -- bot replies -------------------------------------------------------------------------------------------------

    async def record_reply(self, reply: BotReply) -> None:
        """Remember a message the bot posted; `ValueError` if that message id is already recorded."""
        try:
            await self._write(_INSERT_REPLY, _reply_params(reply))
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"bot reply {reply.reply_message_id} could not be recorded: {exc}") from exc
        log.debug("recorded %s reply %d to message %d", reply.kind, reply.reply_message_id, reply.source_message_id)

    async def get_reply(self, reply_message_id: int) -> BotReply | None:
        """Return a recorded bot reply by its message id (deleted ones too)."""
        row = await self._read_one(f"{_SELECT_REPLY} WHERE reply_message_id = ?", (reply_message_id,))
        return _reply_from_row(row) if row else None

    async def reply_for_source(
        self, source_message_id: int, kind: str, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply of `kind` to a source message; deleted replies only with `include_deleted`."""
        live = "" if include_deleted else "AND deleted_at IS NULL"
        row = await self._read_one(
            f"{_SELECT_REPLY} WHERE source_message_id = ? AND kind = ? {live} {_LATEST}", (source_message_id, kind)
        )
        return _reply_from_row(row) if row else None

    async def reply_in_thread(
        self, thread_id: int, kind: str | None = None, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply in a thread, of `kind` if given; deleted replies only with `include_deleted`."""
        live = "" if include_deleted else "AND deleted_at IS NULL"
        of_kind = "" if kind is None else "AND kind = :kind"
        row = await self._read_one(
            f"{_SELECT_REPLY} WHERE thread_id = :thread_id {of_kind} {live} {_LATEST}",
            {"thread_id": thread_id, "kind": kind},
        )
        return _reply_from_row(row) if row else None

    async def mark_reply_deleted(self, reply_message_id: int, now: datetime) -> bool:
        """Note that a bot reply was deleted; return False if unknown or already marked (the first time stays)."""
        changed = await self._write(
            "UPDATE bot_reply SET deleted_at = ? WHERE reply_message_id = ? AND deleted_at IS NULL",
            (_ts(now), reply_message_id),
        )
        return changed > 0

    async def update_reply(self, reply_message_id: int, /, **changes: object) -> BotReply | None:
        """Change kind, url, entry_id, confidence, missing and/or lang of a reply; return it, or None if unknown.

        Raises `ValueError` for another field name or a bad value.
        """
        unknown = set(changes) - _REPLY_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update reply field(s) {_names(unknown)}; updatable: {_names(_REPLY_UPDATABLE)}")
        async with self._transaction():
            row = await self._one(f"{_SELECT_REPLY} WHERE reply_message_id = ?", (reply_message_id,))
            if row is None:
                return None
            reply = replace(_reply_from_row(row), **changes)  # __post_init__ validates the new values
            if changes:
                params = _reply_params(reply)
                assignments = ", ".join(f"{name} = :{name}" for name in sorted(changes))
                await self._run(
                    f"UPDATE bot_reply SET {assignments} WHERE reply_message_id = :reply_message_id", params
                )
        return reply

    # -- decisions ---------------------------------------------------------------------------------------------------

    async def record_decision(self, decision: DecisionRecord) -> None:
        """Store the decision about a message, replacing an earlier one (a message edit is triaged again)."""
        await self._write(_UPSERT_DECISION, _decision_params(decision))
        log.debug("recorded decision %s (%s) for message %d", decision.action, decision.rule, decision.message_id)

    async def get_decision(self, message_id: int) -> DecisionRecord | None:
        """Return the latest decision about a message, or None."""
        row = await self._read_one(
            f"SELECT {', '.join(_DECISION_COLUMNS)} FROM decision WHERE message_id = ?", (message_id,)
        )
        return _decision_from_row(row) if row else None

    # -- feedback ----------------------------------------------------------------------------------------------------

    async def record_feedback(self, reply_message_id: int, user_id: int, kind: str, now: datetime) -> bool:
        """Record feedback on a bot reply; return False if this user already gave this kind on it.

        Raises `UnknownReplyError` if the reply was never recorded, `ValueError` for an unknown kind.
        """
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"feedback kind must be one of {_names(FEEDBACK_KINDS)}, got {kind!r}")
        _snowflake("user_id", user_id)
        try:
            added = await self._write(
                "INSERT OR IGNORE INTO feedback (reply_message_id, user_id, kind, created_at) VALUES (?, ?, ?, ?)",
                (reply_message_id, user_id, kind, _ts(now)),
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
            raise ValueError(f"gap source must be one of {_names(GAP_SOURCES)}, got {source!r}")
        _snowflake("guild_id", guild_id)
        text = normalise_question(question)
        if not text:
            raise ValueError("gap question is empty")
        await self._write(
            "INSERT INTO gap (guild_id, question, source, created_at) VALUES (?, ?, ?, ?)",
            (guild_id, text, source, _ts(now)),
        )
        log.debug("guild %d: recorded %s gap (%d chars)", guild_id, source, len(text))

    async def top_gaps(self, guild_id: int, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
        """Return up to `limit` (question, count) pairs recorded since `since`, most frequent (then latest) first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        rows = await self._read_all(
            "SELECT question, count(*) AS n FROM gap WHERE guild_id = ? AND created_at >= ? "
            "GROUP BY question ORDER BY n DESC, max(created_at) DESC, question LIMIT ?",
            (guild_id, _ts(since, "since"), limit),
        )
        return [(row["question"], row["n"]) for row in rows]

    async def gaps_since(self, since: datetime) -> list[tuple[int, str, str, str]]:
        """Return every gap recorded since `since` in every guild, oldest first: (id, question, source, created_at)."""
        rows = await self._read_all(
            "SELECT id, question, source, created_at FROM gap WHERE created_at >= ? ORDER BY created_at, id",
            (_ts(since, "since"),),
        )
        return [(row["id"], row["question"], row["source"], row["created_at"]) for row in rows]

    # -- opt-outs ----------------------------------------------------------------------------------------------------

    async def set_opt_out(self, user_id: int, opted_out: bool, now: datetime) -> bool:
        """Opt a user out of triage (or back in); return whether that changed the stored state."""
        _snowflake("user_id", user_id)
        _bool("opted_out", opted_out)
        self._opt_out_cache.pop(user_id, None)
        if opted_out:
            changed = await self._write(
                "INSERT OR IGNORE INTO opt_out (user_id, opted_out_at) VALUES (?, ?)", (user_id, _ts(now))
            )
        else:
            _ts(now)  # validated for symmetry, even though opting back in stores nothing
            changed = await self._write("DELETE FROM opt_out WHERE user_id = ?", (user_id,))
        self._opt_out_cache.pop(user_id, None)
        if changed:
            log.info("user %d opted %s", user_id, "out" if opted_out else "back in")
        return changed > 0

    async def is_opted_out(self, user_id: int) -> bool:
        """Return whether the user opted out."""
        cached = self._opt_out_cache.get(user_id)
        if cached is None:
            cached = await self._read_one("SELECT 1 FROM opt_out WHERE user_id = ?", (user_id,)) is not None
            self._opt_out_cache[user_id] = cached
        return cached

    # -- reminders and cooldowns -------------------------------------------------------------------------------------

    async def last_reminder_at(self, guild_id: int, user_id: int) -> datetime | None:
        """Return when the user was last reminded in this guild, or None."""
        key = (guild_id, user_id)
        if key in self._reminder_cache:
            return self._reminder_cache[key]
        row = await self._read_one(
            "SELECT last_at FROM reminder WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        value = _dt(row["last_at"]) if row else None
        self._reminder_cache[key] = value
        return value

    async def note_reminder(self, guild_id: int, user_id: int, now: datetime) -> None:
        """Note that the user was reminded at `now` (an earlier `now` than the stored one is ignored)."""
        _snowflake("guild_id", guild_id)
        _snowflake("user_id", user_id)
        await self._write(
            "INSERT INTO reminder (guild_id, user_id, last_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET last_at = max(last_at, excluded.last_at)",
            (guild_id, user_id, _ts(now)),
        )
        _advance(self._reminder_cache, (guild_id, user_id), now)

    async def last_channel_reply_at(self, channel_id: int) -> datetime | None:
        """Return when the bot last replied in this channel, or None."""
        if channel_id in self._channel_reply_cache:
            return self._channel_reply_cache[channel_id]
        row = await self._read_one("SELECT last_at FROM channel_reply WHERE channel_id = ?", (channel_id,))
        value = _dt(row["last_at"]) if row else None
        self._channel_reply_cache[channel_id] = value
        return value

    async def note_channel_reply(self, channel_id: int, now: datetime) -> None:
        """Note that the bot replied in this channel at `now` (an earlier `now` than the stored one is ignored)."""
        _snowflake("channel_id", channel_id)
        await self._write(
            "INSERT INTO channel_reply (channel_id, last_at) VALUES (?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET last_at = max(last_at, excluded.last_at)",
            (channel_id, _ts(now)),
        )
        _advance(self._channel_reply_cache, channel_id, now)

    # -- stats -------------------------------------------------------------------------------------------------------

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's decision counts and feedback counts since `since` (one consistent read)."""
        row = await self._read_one(_STATS, {"guild_id": guild_id, "since": _ts(since, "since")})
        if row is None:  # cannot happen: an aggregate query returns one row
            return Stats()
        return Stats(**{f.name: int(row[f.name]) for f in fields(Stats)})


# --------------------------------------------------------------------------------------------------------------------
# Migrations

_MIGRATION_FILE = re.compile(r"^(\d+)_[A-Za-z0-9_-]+\.sql$")
_LEADING_NOISE = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_TRANSACTION_KEYWORDS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def split_sql(script: str) -> list[str]:
    """Split a SQL script into complete statements (semicolons in strings, comments and triggers are kept)."""
    statements: list[str] = []
    buffer = ""
    *pieces, tail = script.split(";")
    for piece in pieces:
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _COMMENTS.sub("", buffer).strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if _COMMENTS.sub("", buffer + tail).strip():
        raise MigrationError("unterminated SQL statement at the end of the script (missing ';'?)")
    return statements


def load_migrations(directory: Path) -> tuple[Migration, ...]:
    """Read the numbered ``.sql`` files of `directory`; their versions must run 1..N without gaps."""
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} already used by {found[version].name}")
        try:
            statements = split_sql(path.read_text(encoding="utf-8"))
        except MigrationError as exc:
            raise MigrationError(f"{path.name}: {exc}") from None
        for statement in statements:
            keyword = _LEADING_NOISE.sub("", statement).split(None, 1)[0].rstrip(";").upper()
            if keyword in _TRANSACTION_KEYWORDS:
                raise MigrationError(f"{path.name}: {keyword} is not allowed, each file already runs in a transaction")
        found[version] = Migration(version=version, name=path.name, statements=tuple(statements))
    versions = sorted(found)
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration versions in {directory} must be 1..N without gaps, got {versions}")
    return tuple(found[v] for v in versions)


# --------------------------------------------------------------------------------------------------------------------
# Start-up checks: one clear message per way a database file can be unusable


_ENVIRONMENT_ERRORS = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_NOTADB,
    }
)
_QUICK_CHECK_MAX_PROBLEMS = 3


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable_text(value: Any) -> Any:
    """A string SQLite can store: lone surrogates (a JSON `"\\ud800"` in a message) become U+FFFD."""
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _LONE_SURROGATE.sub("\ufffd", value)
    return value


def _storable(params: Mapping[str, Any] | tuple[Any, ...]) -> Mapping[str, Any] | tuple[Any, ...]:
    if isinstance(params, Mapping):
        return {k: _storable_text(v) for k, v in params.items()}
    return tuple(_storable_text(v) for v in params)


def _error_code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error (None when SQLite gave none)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _prepare_path(path: Path) -> None:
    """Refuse a path that cannot name a database file; create its folder if needed."""
    if path.is_dir():
        raise DatabaseUnusableError(
            f"database path {path} is a directory, not a file; set DATABASE_PATH to a file such as "
            f"{path / 'bot.sqlite3'}",
            bad_setting=True,
        )
    for ancestor in path.parents:
        if ancestor.exists() or ancestor.is_symlink():
            if not ancestor.is_dir():
                raise DatabaseUnusableError(
                    f"cannot create database {path}: {ancestor} is a file, not a folder; "
                    "set DATABASE_PATH to a path inside a folder",
                    bad_setting=True,
                )
            break
    path.parent.mkdir(parents=True, exist_ok=True)


async def _quick_check(conn: aiosqlite.Connection, label: str) -> None:
    """Run ``PRAGMA quick_check``: refuse a database with damaged pages now rather than on some later message."""
    try:
        rows = await conn.execute_fetchall(f"PRAGMA quick_check({_QUICK_CHECK_MAX_PROBLEMS:d})")
    except sqlite3.DatabaseError as exc:
        if _error_code(exc) != sqlite3.SQLITE_CORRUPT:
            raise
        problems = [str(exc)]
    else:
        problems = [str(row[0]) for row in rows if str(row[0]) != "ok"]
        # The first row may start with "*** in database main ***" and hold several problems, one a line.
        lines = [line for problem in problems for line in problem.splitlines() if line.strip()]
        problems = [line for line in lines if not line.startswith("***")] or problems
    if problems:
        raise DatabaseUnusableError(_damaged(label, problems[0]))


async def _write_probe(conn: aiosqlite.Connection) -> None:
    """Write a page and roll it back: SQLite opens a file it cannot write read-only without a word, and only the
    first write would fail (a read-only file or folder); find out now."""
    version = await _user_version(conn)
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute(f"PRAGMA user_version = {version:d}")
    finally:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")


def _damaged(label: str, problem: str) -> str:
    return (
        f"database {label} is damaged (quick_check: {_one_line(problem)}); "
        "restore a backup or move it away to start fresh"
    )


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unusable(target: str, exc: sqlite3.Error | OSError) -> DatabaseUnusableError:
    """Translate an error met while opening the database into a message naming the file and what to do."""
    path = Path(target)
    folder = path.parent
    detail = _one_line(str(exc) if isinstance(exc, sqlite3.Error) else (exc.strerror or str(exc)))
    elsewhere = "or set DATABASE_PATH to a writable place"
    if isinstance(exc, OSError):  # creating the folder
        if exc.errno == errno.ENOSPC:
            return DatabaseUnusableError(f"cannot create the folder of database {target}: the disk is full; free space")
        if exc.errno == errno.EROFS:
            return DatabaseUnusableError(
                f"cannot create folder {folder} for database {target}: read-only file system; {elsewhere}"
            )
        if isinstance(exc, PermissionError):
            return DatabaseUnusableError(
                f"cannot create folder {folder} for database {target} (permission denied); create it for the bot's "
                f"user {elsewhere}"
            )
        if isinstance(exc, FileExistsError | NotADirectoryError):
            return DatabaseUnusableError(
                f"cannot create database {target}: part of its folder is a file ({detail}); "
                "set DATABASE_PATH to a path inside a folder",
                bad_setting=True,
            )
        return DatabaseUnusableError(
            f"cannot create folder {folder} for database {target} ({detail}); check the path {elsewhere}"
        )
    code = _error_code(exc)
    if code == sqlite3.SQLITE_NOTADB:
        return DatabaseUnusableError(
            f"{target} is not a SQLite database ({detail}); move it away to start fresh, "
            "or set DATABASE_PATH to the bot's database file"
        )
    if code == sqlite3.SQLITE_CORRUPT:
        return DatabaseUnusableError(_damaged(target, detail))
    if code == sqlite3.SQLITE_FULL:
        return DatabaseUnusableError(
            f"cannot write database {target}: the disk is full ({detail}); free space on it "
            "or set DATABASE_PATH to another disk"
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            where = f"the file {target} is not readable and writable by the bot's user"
        elif not os.access(folder, os.W_OK | os.X_OK):
            where = f"the folder {folder} is not writable by the bot's user"
        elif _read_only_fs(folder):
            where = f"{folder} is on a read-only file system"
        else:
            where = "check that the file and its folder are writable by the bot's user"
        return DatabaseUnusableError(
            f"cannot open database {target} for writing ({detail}): {where}; fix the permissions {elsewhere}"
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseUnusableError(
            f"database {target} is locked by another process ({detail}); stop the other bot instance "
            "or give this one its own DATABASE_PATH"
        )
    if code == sqlite3.SQLITE_IOERR:
        return DatabaseUnusableError(
            f"cannot read or write database {target} ({detail}); check the disk (free space, errors) "
            "and the file's permissions"
        )
    return DatabaseUnusableError(f"cannot open database {target} ({detail}); check DATABASE_PATH and the file")


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


async def _user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _migrate(conn: aiosqlite.Connection, migrations: tuple[Migration, ...], label: str) -> int:
    """Apply the pending migrations, each in its own transaction; return the resulting schema version."""
    latest = migrations[-1].version if migrations else 0
    current = await _user_version(conn)
    if current > latest:
        raise MigrationError(
            f"database {label} is at schema version {current}, newer than this code knows ({latest}); "
            "refusing to use it"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated since we looked.
            current = await _user_version(conn)
            if migration.version > current:
                for statement in migration.statements:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {migration.version:d}")
                async with conn.execute("PRAGMA foreign_key_check") as cursor:
                    broken = await cursor.fetchall()
                if broken:
                    raise MigrationError(
                        f"leaves {len(broken)} row(s) violating foreign keys (first: {tuple(broken[0])})"
                    )
            await conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error | MigrationError):
                raise MigrationError(
                    f"migration {migration.name} failed, database {label} left at version {current}: {exc}"
                ) from exc
            raise
        if migration.version > current:
            log.info("database %s migrated to version %d (%s)", label, migration.version, migration.name)
            current = migration.version
    return current


# --------------------------------------------------------------------------------------------------------------------
# Conversions and validation


def normalise_question(text: str) -> str:
    """Return `text` lower-cased, with whitespace collapsed, cut to 300 characters: the key gaps are grouped by."""
    return " ".join(text.split()).lower()[:MAX_GAP_CHARS].rstrip()


def _advance(cache: dict, key: object, now: datetime) -> None:
    """Keep a cached "last time" in step with a write that stored max(old, now) (only keys already cached)."""
    if key in cache:
        old = cache[key]
        moment = now.astimezone(UTC)
        cache[key] = moment if old is None or moment > old else old


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value


def _ts(value: datetime, name: str = "now") -> str:
    """Return the stored form of a tz-aware datetime: fixed-width UTC ISO-8601 text."""
    return _aware(name, value).astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _snowflake(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer id, got {value!r}")
    return value


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _str_tuple(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a sequence of strings, got {value!r}")
    items = tuple(value)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{name} must be a sequence of strings, got {value!r}")
    return items


def _int_in_range(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _check_config_value(name: str, value: object) -> object:
    """Return the normalised value of one `GuildConfig` field, or raise `ValueError` naming the field."""
    if name not in _CONFIG_FIELDS:
        raise ValueError(f"unknown config field {name!r}; known fields: {_names(_CONFIG_FIELDS)}")
    if name in ("volunteer_role_ids", "staff_role_ids"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError(f"{name} must be a list of role ids, got {value!r}")
        return tuple(dict.fromkeys(_snowflake(name, item) for item in value))
    if name == "staff_log_channel_id":
        return None if value is None else _snowflake(name, value)
    if name == "default_language":
        if value not in LANGS:
            raise ValueError(f"default_language must be one of {', '.join(LANGS)}, got {value!r}")
        return value
    if name == "answer_threshold":
        if value is None:
            return None
        number = _finite(name, value)
        if not 0.0 <= number <= 1.0:
            raise ValueError(
                f"answer_threshold must be between 0 and 1 (or None for the global setting), got {value!r}"
            )
        return number
    if name == "channel_cooldown_seconds":
        return _int_in_range(name, value, 0, MAX_COOLDOWN_SECONDS)
    if name == "reminder_period_hours":
        return _int_in_range(name, value, 1, MAX_REMINDER_PERIOD_HOURS)
    if name == "seeded":
        return _bool(name, value)
    # forum_tag_*: a tag name, or None for "do not tag"
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_TAG_CHARS:
        raise ValueError(f"{name} must be a tag name of 1 to {MAX_TAG_CHARS} characters (or None), got {value!r}")
    return value.strip()


def _config_from_row(row: aiosqlite.Row) -> GuildConfig:
    return GuildConfig(
        guild_id=row["guild_id"],
        volunteer_role_ids=tuple(json.loads(row["volunteer_role_ids"])),
        staff_role_ids=tuple(json.loads(row["staff_role_ids"])),
        staff_log_channel_id=row["staff_log_channel_id"],
        default_language=row["default_language"],
        answer_threshold=row["answer_threshold"],
        channel_cooldown_seconds=row["channel_cooldown_seconds"],
        reminder_period_hours=row["reminder_period_hours"],
        forum_tag_answered=row["forum_tag_answered"],
        forum_tag_needs_details=row["forum_tag_needs_details"],
        forum_tag_escalated=row["forum_tag_escalated"],
        seeded=bool(row["seeded"]),
    )


def _config_params(config: GuildConfig) -> dict[str, Any]:
    params: dict[str, Any] = {name: getattr(config, name) for name in _CONFIG_COLUMNS}
    params["volunteer_role_ids"] = json.dumps(list(config.volunteer_role_ids))
    params["staff_role_ids"] = json.dumps(list(config.staff_role_ids))
    params["seeded"] = int(config.seeded)
    return params


def _watched_from_row(row: aiosqlite.Row) -> WatchedChannel:
    return WatchedChannel(channel_id=row["channel_id"], shadow=bool(row["shadow"]))


def _reply_params(reply: BotReply) -> dict[str, Any]:
    params: dict[str, Any] = {name: getattr(reply, name) for name in _REPLY_COLUMNS}
    params["missing"] = json.dumps(list(reply.missing))
    params["created_at"] = _ts(reply.created_at, "created_at")
    params["deleted_at"] = None if reply.deleted_at is None else _ts(reply.deleted_at, "deleted_at")
    return params


def _reply_from_row(row: aiosqlite.Row) -> BotReply:
    values = {name: row[name] for name in _REPLY_COLUMNS}
    values["missing"] = tuple(json.loads(row["missing"]))
    values["created_at"] = _dt(row["created_at"])
    values["deleted_at"] = _dt(row["deleted_at"])
    return BotReply(**values)


def _decision_params(decision: DecisionRecord) -> dict[str, Any]:
    params: dict[str, Any] = {name: getattr(decision, name) for name in _DECISION_COLUMNS}
    params["created_at"] = _ts(decision.created_at, "created_at")
    return params


def _decision_from_row(row: aiosqlite.Row) -> DecisionRecord:
    values = {name: row[name] for name in _DECISION_COLUMNS}
    values["created_at"] = _dt(row["created_at"])
    return DecisionRecord(**values)
