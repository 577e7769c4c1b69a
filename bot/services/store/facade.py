"""`SqliteStore`, the object the bot opens: one `Database` and the four repositories over it.

`Store` is the union of the repository methods the cogs use today, and `SqliteStore` still answers each of them by
handing the call to its repository. New code should depend on the repository it needs (`store.config`,
`store.replies`, `store.cooldowns`, `store.escalations`, typed by their Protocols) rather than on `Store`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self, runtime_checkable

import aiosqlite

from bot.services.escalations import Escalation, EscalationStatus, NewEscalation, NoticeKind
from bot.services.store.config import ConfigRepository, GuildConfig, SqliteConfigRepository, WatchedChannel
from bot.services.store.cooldowns import CooldownRepository, SqliteCooldownRepository
from bot.services.store.database import Database, Params
from bot.services.store.escalations import EscalationRepository, SqliteEscalationRepository
from bot.services.store.incidents import IncidentRepository, SqliteIncidentRepository
from bot.services.store.replies import BotReply, DecisionRecord, ReplyRepository, SqliteReplyRepository, Stats


@runtime_checkable
class Store(Protocol):
    """What the cogs need from persistence today: the config, reply and cooldown repositories in one object.

    `SqliteStore` implements it, tests may pass a fake. New code should depend on the repository Protocols
    (`ConfigRepository`, `ReplyRepository`, `CooldownRepository`, `EscalationRepository`) instead.
    """

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


class SqliteStore:
    """`Store` on one SQLite database; build it with ``await SqliteStore.open(path)``.

    The repositories share the store's `Database` (one connection, one lock). The methods below only hand each call
    to its repository, so that every current caller keeps working.
    """

    config: ConfigRepository
    replies: ReplyRepository
    cooldowns: CooldownRepository
    escalations: EscalationRepository
    incidents: IncidentRepository

    def __init__(self, connection: aiosqlite.Connection, *, label: str, schema_version: int) -> None:
        self.database = Database(connection, label=label, schema_version=schema_version)
        # One instance of each per database: the config and cooldown repositories cache reads and must see every
        # write to their tables.
        self.config = SqliteConfigRepository(self.database)
        self.replies = SqliteReplyRepository(self.database)
        self.cooldowns = SqliteCooldownRepository(self.database)
        self.escalations = SqliteEscalationRepository(self.database)
        self.incidents = SqliteIncidentRepository(self.database)

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | str | None = None) -> SqliteStore:
        """Open (creating if needed) the database at `path` or ``":memory:"``, and bring its schema up to date.

        Raises what `Database.open` raises: `DatabaseUnusableError` for a database that cannot be used (the message
        names the file and what to do), `MigrationError` for a migration that failed.
        """
        database = await Database.open(path, migrations_dir=migrations_dir)
        # The constructor keeps its signature (a connection), so the store wraps the same connection in its own
        # Database; the one `Database.open` returned was never used and holds nothing else.
        return cls(database.connection, label=database.label, schema_version=database.schema_version)

    @property
    def label(self) -> str:
        """The database's path (or ``:memory:``), for messages."""
        return self.database.label

    @property
    def schema_version(self) -> int:
        """The schema version the database was migrated to when opened."""
        return self.database.schema_version

    async def close(self) -> None:
        """Close the connection; further calls raise `StoreError`. Closing twice is allowed."""
        await self.database.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # For tests and benchmarks that look at the connection or count rows directly.
    @property
    def _db(self) -> aiosqlite.Connection:
        return self.database.connection

    async def _read_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        return await self.database.read_one(sql, params)

    # -- config --------------------------------------------------------------------------------------------------------

    async def get_config(self, guild_id: int) -> GuildConfig:
        """Return the guild's settings (the defaults when it has none)."""
        return await self.config.get_config(guild_id)

    async def update_config(self, guild_id: int, /, **changes: object) -> GuildConfig:
        """Change some settings of a guild and return the result."""
        return await self.config.update_config(guild_id, **changes)

    async def watch_channel(self, guild_id: int, channel_id: int, *, shadow: bool = False) -> WatchedChannel:
        """Start triaging a channel."""
        return await self.config.watch_channel(guild_id, channel_id, shadow=shadow)

    async def unwatch_channel(self, guild_id: int, channel_id: int) -> bool:
        """Stop triaging a channel; return whether it was watched."""
        return await self.config.unwatch_channel(guild_id, channel_id)

    async def set_shadow(self, guild_id: int, channel_id: int, shadow: bool) -> bool:
        """Switch shadow mode of a watched channel; return whether the channel is watched."""
        return await self.config.set_shadow(guild_id, channel_id, shadow)

    async def watched_channels(self, guild_id: int) -> dict[int, WatchedChannel]:
        """Return the guild's watched channels by id."""
        return await self.config.watched_channels(guild_id)

    async def is_watched(self, channel_id: int) -> WatchedChannel | None:
        """Return the channel if it is watched."""
        return await self.config.is_watched(channel_id)

    async def seed_watch_channels(self, guild_id: int, channel_ids: Iterable[int]) -> bool:
        """Watch these channels unless the guild was seeded before; return whether it seeded now."""
        return await self.config.seed_watch_channels(guild_id, channel_ids)

    # -- replies -------------------------------------------------------------------------------------------------------

    async def record_reply(self, reply: BotReply) -> None:
        """Remember a message the bot posted."""
        await self.replies.record_reply(reply)

    async def get_reply(self, reply_message_id: int) -> BotReply | None:
        """Return a recorded bot reply by its message id."""
        return await self.replies.get_reply(reply_message_id)

    async def reply_for_source(
        self, source_message_id: int, kind: str, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply of `kind` to a source message."""
        return await self.replies.reply_for_source(source_message_id, kind, include_deleted=include_deleted)

    async def reply_in_thread(
        self, thread_id: int, kind: str | None = None, *, include_deleted: bool = False
    ) -> BotReply | None:
        """Return the latest reply (of `kind`, if given) in a thread."""
        return await self.replies.reply_in_thread(thread_id, kind, include_deleted=include_deleted)

    async def mark_reply_deleted(self, reply_message_id: int, now: datetime) -> bool:
        """Note that a bot reply was deleted; return whether it was live."""
        return await self.replies.mark_reply_deleted(reply_message_id, now)

    async def update_reply(self, reply_message_id: int, /, **changes: object) -> BotReply | None:
        """Change fields of a bot reply after an edit; return it, or None if unknown."""
        return await self.replies.update_reply(reply_message_id, **changes)

    async def record_decision(self, decision: DecisionRecord) -> None:
        """Store the decision about a message (replacing an earlier one)."""
        await self.replies.record_decision(decision)

    async def get_decision(self, message_id: int) -> DecisionRecord | None:
        """Return the latest decision about a message."""
        return await self.replies.get_decision(message_id)

    async def record_feedback(self, reply_message_id: int, user_id: int, kind: str, now: datetime) -> bool:
        """Record feedback on a reply; return False if this user already gave this kind."""
        return await self.replies.record_feedback(reply_message_id, user_id, kind, now)

    async def record_gap(self, guild_id: int, question: str, now: datetime, source: str) -> None:
        """Remember a question the bot could not answer well."""
        await self.replies.record_gap(guild_id, question, now, source)

    async def top_gaps(self, guild_id: int, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
        """Return the most frequent gap questions since a moment, with their counts."""
        return await self.replies.top_gaps(guild_id, since, limit)

    async def gaps_since(self, since: datetime) -> list[tuple[int, str, str, str]]:
        """Return every gap recorded since a moment, oldest first: (id, question, source, created_at)."""
        return await self.replies.gaps_since(since)

    async def stats(self, guild_id: int, since: datetime) -> Stats:
        """Return the guild's counts since a moment."""
        return await self.replies.stats(guild_id, since)

    # -- cooldowns -----------------------------------------------------------------------------------------------------

    async def set_opt_out(self, user_id: int, opted_out: bool, now: datetime) -> bool:
        """Opt a user out of (or back into) triage; return whether that changed anything."""
        return await self.cooldowns.set_opt_out(user_id, opted_out, now)

    async def is_opted_out(self, user_id: int) -> bool:
        """Return whether the user opted out."""
        return await self.cooldowns.is_opted_out(user_id)

    async def last_reminder_at(self, guild_id: int, user_id: int) -> datetime | None:
        """Return when the user was last reminded in this guild."""
        return await self.cooldowns.last_reminder_at(guild_id, user_id)

    async def note_reminder(self, guild_id: int, user_id: int, now: datetime) -> None:
        """Note that the user was reminded now."""
        await self.cooldowns.note_reminder(guild_id, user_id, now)

    async def last_channel_reply_at(self, channel_id: int) -> datetime | None:
        """Return when the bot last replied in this channel."""
        return await self.cooldowns.last_channel_reply_at(channel_id)

    async def note_channel_reply(self, channel_id: int, now: datetime) -> None:
        """Note that the bot replied in this channel now."""
        await self.cooldowns.note_channel_reply(channel_id, now)

    # -- escalations ---------------------------------------------------------------------------------------------------

    async def link_account(self, user_id: int, account_id: str, now: datetime) -> None:
        """Link a Discord user to a verified customer account (replacing an older link)."""
        await self.escalations.link_account(user_id, account_id, now)

    async def unlink_account(self, user_id: int) -> bool:
        """Remove a user's link; return whether there was one."""
        return await self.escalations.unlink_account(user_id)

    async def linked_account(self, user_id: int) -> str | None:
        """Return the account id linked to a Discord user, if any."""
        return await self.escalations.linked_account(user_id)

    async def note_link_attempt(self, user_id: int, kind: Literal["request", "confirm"], now: datetime) -> None:
        """Record a /link request or code attempt (rate limiting)."""
        await self.escalations.note_link_attempt(user_id, kind, now)

    async def count_link_attempts(self, user_id: int, kind: Literal["request", "confirm"], since: datetime) -> int:
        """Return how many attempts of `kind` the user made since `since`."""
        return await self.escalations.count_link_attempts(user_id, kind, since)

    async def enqueue_escalation(self, new: NewEscalation) -> tuple[Escalation, bool]:
        """Queue an escalation; return (row, created). The same idempotency key returns the existing row."""
        return await self.escalations.enqueue_escalation(new)

    async def escalation_by_key(self, idempotency_key: str) -> Escalation | None:
        """Return the escalation with this idempotency key."""
        return await self.escalations.escalation_by_key(idempotency_key)

    async def get_escalation(self, escalation_id: int) -> Escalation | None:
        """Return an escalation by id."""
        return await self.escalations.get_escalation(escalation_id)

    async def due_escalations(self, now: datetime, limit: int = 50) -> list[Escalation]:
        """Return pending escalations whose next attempt is due, oldest first."""
        return await self.escalations.due_escalations(now, limit)

    async def next_due_at(self) -> datetime | None:
        """Return when the next pending escalation is due (None when the outbox is empty)."""
        return await self.escalations.next_due_at()

    async def mark_escalation_sent(
        self, escalation_id: int, *, ticket_id: str, ticket_url: str, ticket_status: str, now: datetime
    ) -> None:
        """Record that the API accepted the escalation as a ticket."""
        await self.escalations.mark_escalation_sent(
            escalation_id, ticket_id=ticket_id, ticket_url=ticket_url, ticket_status=ticket_status, now=now
        )

    async def mark_escalation_retry(self, escalation_id: int, *, error: str, next_attempt_at: datetime) -> None:
        """Record a failed attempt and when to try again."""
        await self.escalations.mark_escalation_retry(escalation_id, error=error, next_attempt_at=next_attempt_at)

    async def mark_escalation_failed(self, escalation_id: int, *, error: str) -> None:
        """Give up on an escalation the API rejected for good (e.g. validation); staff are told."""
        await self.escalations.mark_escalation_failed(escalation_id, error=error)

    async def requeue_failed_escalation(self, escalation_id: int, now: datetime) -> bool:
        """Put an escalation the API rejected back in the queue, due now (its requester submitted it again)."""
        return await self.escalations.requeue_failed_escalation(escalation_id, now)

    async def mark_escalation_notice(self, escalation_id: int, kind: NoticeKind, now: datetime) -> bool:
        """Record that a notice was posted; return False if it already was (so nothing is said twice)."""
        return await self.escalations.mark_escalation_notice(escalation_id, kind, now)

    async def set_ticket_status(self, escalation_id: int, status: str) -> None:
        """Record the ticket status last read from the API."""
        await self.escalations.set_ticket_status(escalation_id, status)

    async def list_escalations(
        self, guild_id: int, *, status: EscalationStatus | None = None, limit: int = 15
    ) -> list[Escalation]:
        """Return the guild's escalations, newest first, optionally of one status."""
        return await self.escalations.list_escalations(guild_id, status=status, limit=limit)

    async def escalations_needing_notice(self, kind: NoticeKind, limit: int = 50) -> list[Escalation]:
        """Return sent escalations whose user or staff notice is still owed (after a restart, too)."""
        return await self.escalations.escalations_needing_notice(kind, limit)

    async def stuck_escalations(self, older_than: datetime, limit: int = 50) -> list[Escalation]:
        """Return pending escalations created before `older_than` that staff were not alerted about yet."""
        return await self.escalations.stuck_escalations(older_than, limit)

    async def open_tickets(self, limit: int = 100) -> list[Escalation]:
        """Return sent escalations whose ticket is not known to be solved or closed."""
        return await self.escalations.open_tickets(limit)

    async def count_escalations(self) -> dict[str, int]:
        """Return the number of escalations per status (benchmarks, /escalations)."""
        return await self.escalations.count_escalations()
