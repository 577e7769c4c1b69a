"""Account links, /link attempts and the escalation outbox: `EscalationRepository` and its SQLite implementation.

The values (`NewEscalation`, `Escalation`) live in `bot.services.escalations`, which imports nothing of the store.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import fields
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import aiosqlite

from bot.services.escalations import Escalation, EscalationStatus, NewEscalation, NoticeKind
from bot.services.store._convert import snowflake, ts
from bot.services.store.database import Database

_NOTICE_COLUMNS = {"user": "user_notified_at", "staff": "staff_notified_at", "stuck": "stuck_alerted_at",
                   "solved": "solved_notified_at", "failed": "failure_notified_at"}  # fmt: skip
# The status of the rows a notice is owed for: a rejection's staff line on failed rows, the others on sent rows.
_NOTICE_STATUS: dict[NoticeKind, EscalationStatus] = {"failed": "failed"}
# The order of an owed notice's page: the user notices a pass could not post (thread gone) after the others.
_NOTICE_ORDER: dict[NoticeKind, str] = {"user": "user_notice_tried_at NULLS FIRST, id"}
_COLUMNS = tuple(f.name for f in fields(Escalation))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM escalation"
_TIME_COLUMNS = {"next_attempt_at", "created_at", "sent_at", "user_notified_at", "staff_notified_at",
                 "stuck_alerted_at", "solved_notified_at", "failure_notified_at", "status_checked_at",
                 "user_notice_tried_at"}  # fmt: skip
_INSERT = (
    "INSERT INTO escalation (idempotency_key, guild_id, channel_id, thread_id, source_message_id, requester_id, "
    "opened_by, account_id, org_id, app_id, tier, category, severity, lang, payload, status, attempts, "
    "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
)


@runtime_checkable
class EscalationRepository(Protocol):
    """Account links, /link attempts (rate limiting) and the outbox of escalations with their delivery state."""

    async def link_account(self, user_id: int, account_id: str, now: datetime) -> None:
        """Link a Discord user to a verified customer account (replacing an older link)."""

    async def unlink_account(self, user_id: int) -> bool:
        """Remove a user's link; return whether there was one."""

    async def linked_account(self, user_id: int) -> str | None:
        """Return the account id linked to a Discord user, if any."""

    async def note_link_attempt(self, user_id: int, kind: Literal["request", "confirm"], now: datetime) -> None:
        """Record a /link request or code attempt (rate limiting)."""

    async def count_link_attempts(self, user_id: int, kind: Literal["request", "confirm"], since: datetime) -> int:
        """Return how many attempts of `kind` the user made since `since`."""

    async def enqueue_escalation(self, new: NewEscalation) -> tuple[Escalation, bool]:
        """Queue an escalation; return (row, created). The same idempotency key returns the existing row."""

    async def escalation_by_key(self, idempotency_key: str) -> Escalation | None:
        """Return the escalation with this idempotency key."""

    async def get_escalation(self, escalation_id: int) -> Escalation | None:
        """Return an escalation by id."""

    async def due_escalations(self, now: datetime, limit: int = 50) -> list[Escalation]:
        """Return pending escalations whose next attempt is due, oldest first."""

    async def claim_escalation(self, escalation_id: int, now: datetime) -> bool:
        """Take one pending escalation to send it now (the one just queued); False when another worker has it."""

    async def next_due_at(self) -> datetime | None:
        """Return when the next pending escalation is due (None when the outbox is empty)."""

    async def mark_escalation_sent(
        self, escalation_id: int, *, ticket_id: str, ticket_url: str, ticket_status: str, now: datetime
    ) -> None:
        """Record that the API accepted the escalation as a ticket."""

    async def mark_escalation_retry(self, escalation_id: int, *, error: str, next_attempt_at: datetime) -> None:
        """Record a failed attempt and when to try again."""

    async def mark_escalation_failed(self, escalation_id: int, *, error: str) -> None:
        """Give up on an escalation the API rejected for good (e.g. validation); staff are told."""

    async def requeue_failed_escalation(self, escalation_id: int, now: datetime) -> bool:
        """Put an escalation the API rejected back in the queue, due now (its requester submitted it again)."""

    async def mark_escalation_notice(self, escalation_id: int, kind: NoticeKind, now: datetime) -> bool:
        """Record that a notice was posted; return False if it already was (so nothing is said twice)."""

    async def set_ticket_status(self, escalation_id: int, status: str) -> None:
        """Record the ticket status last read from the API."""

    async def mark_status_checked(self, escalation_ids: Collection[int], now: datetime) -> None:
        """Record that a pass read (or tried to read) these tickets' statuses: `open_tickets` returns them last."""

    async def mark_user_notice_tried(self, escalation_id: int, now: datetime) -> None:
        """Record that a pass could not post the requester's owed notice (its thread is unreachable): the owed user
        notices of `escalations_needing_notice` return it after those not tried since."""

    async def list_escalations(
        self, guild_id: int, *, status: EscalationStatus | None = None, limit: int = 15
    ) -> list[Escalation]:
        """Return the guild's escalations, newest first, optionally of one status."""

    async def escalations_needing_notice(
        self, kind: NoticeKind, limit: int = 50, *, guild_ids: Collection[int] | None = None
    ) -> list[Escalation]:
        """Return escalations whose notice `kind` is still owed (after a restart, too), oldest first: sent rows for the
        user and staff notices of a new ticket, failed rows for staff's line about a rejection. User notices a pass
        could not post come last, least recently tried first (`mark_user_notice_tried`), so they never starve the page.

        `guild_ids`: only rows of these guilds (a sharded process's own; the limit applies to them); None: all.
        """

    async def stuck_escalations(
        self, older_than: datetime, limit: int = 50, *, guild_ids: Collection[int] | None = None
    ) -> list[Escalation]:
        """Return pending escalations created before `older_than` that staff were not alerted about yet, oldest
        first; `guild_ids` as in `escalations_needing_notice`."""

    async def open_tickets(self, limit: int = 100, *, guild_ids: Collection[int] | None = None) -> list[Escalation]:
        """Return sent escalations whose ticket is not known to be solved or closed, least recently checked first
        (never checked first, then by id: `mark_status_checked`), so every open ticket gets its turn; `guild_ids` as
        in `escalations_needing_notice`."""

    async def count_escalations(self) -> dict[str, int]:
        """Return the number of escalations per status (benchmarks, /escalations)."""

    async def oldest_pending_at(self) -> datetime | None:
        """Return when the oldest pending escalation was created (None when none is pending; health, metrics)."""


class SqliteEscalationRepository:
    """`EscalationRepository` on a `Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- account links ---------------------------------------------------------------------------------------------

    async def link_account(self, user_id: int, account_id: str, now: datetime) -> None:
        """Link a Discord user to a verified customer account (replacing an older link)."""
        check_link(user_id, account_id)
        await self._db.write(
            "INSERT INTO account_link (user_id, account_id, linked_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET account_id = excluded.account_id, linked_at = excluded.linked_at",
            (user_id, account_id, ts(now)),
        )

    async def unlink_account(self, user_id: int) -> bool:
        """Remove a user's link; return whether there was one."""
        return await self._db.write("DELETE FROM account_link WHERE user_id = ?", (user_id,)) > 0

    async def linked_account(self, user_id: int) -> str | None:
        """Return the account id linked to a Discord user, if any."""
        row = await self._db.read_one("SELECT account_id FROM account_link WHERE user_id = ?", (user_id,))
        return row["account_id"] if row else None

    async def note_link_attempt(self, user_id: int, kind: Literal["request", "confirm"], now: datetime) -> None:
        """Record a /link request or code attempt (rate limiting)."""
        await self._db.write("INSERT INTO link_attempt (user_id, kind, at) VALUES (?, ?, ?)", (user_id, kind, ts(now)))

    async def count_link_attempts(self, user_id: int, kind: Literal["request", "confirm"], since: datetime) -> int:
        """Return how many attempts of `kind` the user made since `since`."""
        row = await self._db.read_one(
            "SELECT COUNT(*) AS n FROM link_attempt WHERE user_id = ? AND kind = ? AND at >= ?",
            (user_id, kind, ts(since, "since")),
        )
        return int(row["n"]) if row else 0

    # -- outbox ----------------------------------------------------------------------------------------------------

    async def enqueue_escalation(self, new: NewEscalation) -> tuple[Escalation, bool]:
        """Queue an escalation; return (row, created). The same idempotency key returns the existing row."""
        columns, created_at = new_escalation_row(new), ts(new.created_at, "created_at")
        try:
            await self._db.write(_INSERT, (*columns, created_at, created_at))
            created = True
        except sqlite3.IntegrityError:
            created = False  # the same key again (double click, retry): the existing row stands
        existing = await self.escalation_by_key(new.idempotency_key)
        if existing is None:  # pragma: no cover - the row was just written or already there
            raise LookupError(new.idempotency_key)
        return existing, created

    async def escalation_by_key(self, idempotency_key: str) -> Escalation | None:
        """Return the escalation with this idempotency key."""
        row = await self._db.read_one(f"{_SELECT} WHERE idempotency_key = ?", (idempotency_key,))
        return _row_to_escalation(row) if row else None

    async def get_escalation(self, escalation_id: int) -> Escalation | None:
        """Return an escalation by id."""
        row = await self._db.read_one(f"{_SELECT} WHERE id = ?", (escalation_id,))
        return _row_to_escalation(row) if row else None

    async def claim_escalation(self, escalation_id: int, now: datetime) -> bool:
        """Take one pending escalation to send it now. One process uses a SQLite file, so nobody else can have it:
        True while it is pending."""
        row = await self._db.read_one("SELECT 1 FROM escalation WHERE id = ? AND status = 'pending'", (escalation_id,))
        return row is not None

    async def due_escalations(self, now: datetime, limit: int = 50) -> list[Escalation]:
        """Return pending escalations whose next attempt is due, oldest first."""
        rows = await self._db.read_all(
            f"{_SELECT} WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (ts(now), limit),
        )
        return [_row_to_escalation(r) for r in rows]

    async def next_due_at(self) -> datetime | None:
        """Return when the next pending escalation is due (None when the outbox is empty)."""
        row = await self._db.read_one("SELECT MIN(next_attempt_at) AS at FROM escalation WHERE status = 'pending'")
        return datetime.fromisoformat(row["at"]) if row and row["at"] else None

    async def mark_escalation_sent(
        self, escalation_id: int, *, ticket_id: str, ticket_url: str, ticket_status: str, now: datetime
    ) -> None:
        """Record that the API accepted the escalation as a ticket."""
        await self._db.write(
            "UPDATE escalation SET status = 'sent', ticket_id = ?, ticket_url = ?, ticket_status = ?, sent_at = ?, "
            "attempts = attempts + 1, last_error = NULL WHERE id = ?",
            (ticket_id, ticket_url, ticket_status, ts(now), escalation_id),
        )

    async def mark_escalation_retry(self, escalation_id: int, *, error: str, next_attempt_at: datetime) -> None:
        """Record a failed attempt and when to try again."""
        await self._db.write(
            "UPDATE escalation SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
            "WHERE id = ? AND status = 'pending'",
            (error[:500], ts(next_attempt_at, "next_attempt_at"), escalation_id),
        )

    async def mark_escalation_failed(self, escalation_id: int, *, error: str) -> None:
        """Give up on an escalation the API rejected for good (e.g. validation); staff are told."""
        await self._db.write(
            "UPDATE escalation SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
            (error[:500], escalation_id),
        )

    async def requeue_failed_escalation(self, escalation_id: int, now: datetime) -> bool:
        """Put an escalation the API rejected back in the queue, due now (its requester submitted it again).

        Returns False when it is not `failed` (pending or sent rows are left alone). The idempotency key and the
        stored payload are unchanged, so the API can still never make two tickets of it. The rejection notice is
        owed again: if the API rejects it once more, staff are told once more.
        """
        return (
            await self._db.write(
                "UPDATE escalation SET status = 'pending', next_attempt_at = ?, failure_notified_at = NULL "
                "WHERE id = ? AND status = 'failed'",
                (ts(now), escalation_id),
            )
            > 0
        )

    async def mark_escalation_notice(self, escalation_id: int, kind: NoticeKind, now: datetime) -> bool:
        """Record that a notice was posted; return False if it already was (so nothing is said twice)."""
        column = _NOTICE_COLUMNS[kind]
        return (
            await self._db.write(
                f"UPDATE escalation SET {column} = ? WHERE id = ? AND {column} IS NULL", (ts(now), escalation_id)
            )
            > 0
        )

    async def set_ticket_status(self, escalation_id: int, status: str) -> None:
        """Record the ticket status last read from the API."""
        await self._db.write("UPDATE escalation SET ticket_status = ? WHERE id = ?", (status, escalation_id))

    async def mark_status_checked(self, escalation_ids: Collection[int], now: datetime) -> None:
        """Record that a pass read (or tried to read) these tickets' statuses: `open_tickets` returns them last."""
        if escalation_ids:
            await self._db.write(
                "UPDATE escalation SET status_checked_at = ? WHERE id IN (SELECT value FROM json_each(?))",
                (ts(now), json.dumps([int(i) for i in escalation_ids])),
            )

    async def mark_user_notice_tried(self, escalation_id: int, now: datetime) -> None:
        """Record that a pass could not post the requester's owed notice (its thread is unreachable): the owed user
        notices of `escalations_needing_notice` return it after those not tried since."""
        await self._db.write(
            "UPDATE escalation SET user_notice_tried_at = ? WHERE id = ? AND user_notified_at IS NULL",
            (ts(now), escalation_id),
        )

    async def list_escalations(
        self, guild_id: int, *, status: EscalationStatus | None = None, limit: int = 15
    ) -> list[Escalation]:
        """Return the guild's escalations, newest first, optionally of one status."""
        if status is None:
            rows = await self._db.read_all(
                f"{_SELECT} WHERE guild_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", (guild_id, limit)
            )
        else:
            rows = await self._db.read_all(
                f"{_SELECT} WHERE guild_id = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                (guild_id, status, limit),
            )
        return [_row_to_escalation(r) for r in rows]

    async def escalations_needing_notice(
        self, kind: NoticeKind, limit: int = 50, *, guild_ids: Collection[int] | None = None
    ) -> list[Escalation]:
        """Return escalations whose notice `kind` is still owed (after a restart, too), oldest first: sent rows for the
        user and staff notices of a new ticket, failed rows for staff's line about a rejection. User notices a pass
        could not post come last, least recently tried first (`mark_user_notice_tried`), so they never starve the page.

        `guild_ids`: only rows of these guilds (a sharded process's own; the limit applies to them); None: all.
        """
        column, order = _NOTICE_COLUMNS[kind], _NOTICE_ORDER.get(kind, "id")
        where, params = _in_guilds(guild_ids)
        rows = await self._db.read_all(
            f"{_SELECT} WHERE status = ? AND {column} IS NULL{where} ORDER BY {order} LIMIT ?",
            (_NOTICE_STATUS.get(kind, "sent"), *params, limit),
        )
        return [_row_to_escalation(r) for r in rows]

    async def stuck_escalations(
        self, older_than: datetime, limit: int = 50, *, guild_ids: Collection[int] | None = None
    ) -> list[Escalation]:
        """Return pending escalations created before `older_than` that staff were not alerted about yet, oldest
        first; `guild_ids` as in `escalations_needing_notice`."""
        where, params = _in_guilds(guild_ids)
        rows = await self._db.read_all(
            f"{_SELECT} WHERE status = 'pending' AND created_at < ? AND stuck_alerted_at IS NULL{where} "
            "ORDER BY id LIMIT ?",
            (ts(older_than, "older_than"), *params, limit),
        )
        return [_row_to_escalation(r) for r in rows]

    async def open_tickets(self, limit: int = 100, *, guild_ids: Collection[int] | None = None) -> list[Escalation]:
        """Return sent escalations whose ticket is not known to be solved or closed, least recently checked first
        (never checked first, then by id: `mark_status_checked`), so every open ticket gets its turn; `guild_ids` as
        in `escalations_needing_notice`."""
        where, params = _in_guilds(guild_ids)
        rows = await self._db.read_all(
            f"{_SELECT} WHERE status = 'sent' AND solved_notified_at IS NULL "
            f"AND COALESCE(ticket_status, 'open') NOT IN ('closed'){where} "
            "ORDER BY status_checked_at NULLS FIRST, id LIMIT ?",
            (*params, limit),
        )
        return [_row_to_escalation(r) for r in rows]

    async def count_escalations(self) -> dict[str, int]:
        """Return the number of escalations per status (benchmarks, /escalations)."""
        rows = await self._db.read_all("SELECT status, COUNT(*) AS n FROM escalation GROUP BY status")
        return {row["status"]: int(row["n"]) for row in rows}

    async def oldest_pending_at(self) -> datetime | None:
        """Return when the oldest pending escalation was created (None when none is pending; health, metrics)."""
        row = await self._db.read_one("SELECT MIN(created_at) AS at FROM escalation WHERE status = 'pending'")
        return datetime.fromisoformat(row["at"]) if row and row["at"] else None


def check_link(user_id: int, account_id: str) -> None:
    """Raise `ValueError` unless `user_id` is a positive integer id and `account_id` a non-empty string of at most
    200 characters (both backends)."""
    snowflake("user_id", user_id)
    if not account_id or len(account_id) > 200:
        raise ValueError("account_id must be a non-empty string of at most 200 characters")


def new_escalation_row(new: NewEscalation) -> tuple[Any, ...]:
    """Return the columns of a new escalation from `idempotency_key` to `payload`, in `INSERT` order, after checking
    its severity (both backends; the timestamps follow, in each backend's form)."""
    if not 1 <= new.severity <= 4:
        raise ValueError(f"severity must be 1..4, got {new.severity}")
    return (new.idempotency_key, new.guild_id, new.channel_id, new.thread_id, new.source_message_id, new.requester_id,
            new.opened_by, new.account_id, new.org_id, new.app_id, new.tier, new.category, new.severity, new.lang,
            json.dumps(new.payload, ensure_ascii=False))  # fmt: skip


def _in_guilds(guild_ids: Collection[int] | None) -> tuple[str, tuple[str, ...]]:
    """The SQL condition (with its parameters) keeping rows of `guild_ids` only; none for None (every guild).

    One JSON array parameter rather than a placeholder per guild: a process may have thousands of guilds, more than
    SQLite's limit on parameters. An empty collection matches no row.
    """
    if guild_ids is None:
        return "", ()
    return " AND guild_id IN (SELECT value FROM json_each(?))", (json.dumps([int(g) for g in guild_ids]),)


def _row_to_escalation(row: aiosqlite.Row) -> Escalation:
    values: dict[str, Any] = {}
    for name in _COLUMNS:
        value = row[name]
        if name in _TIME_COLUMNS:
            value = None if value is None else datetime.fromisoformat(value)
        elif name == "payload":
            value = json.loads(value)
        values[name] = value
    return Escalation(**values)
