"""Account links, /link attempts and the escalation outbox on PostgreSQL: `PgEscalationRepository`.

The outbox is shared by every process that runs a worker, so `due_escalations` claims what it returns: in one
statement it picks the due rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` (rows another worker is claiming at that
moment are skipped, not waited for) and leases them until ``now + claim_lease`` (``claimed_until``). Another
worker's `due_escalations` skips leased rows, so two workers get disjoint rows; when the worker records the outcome
(`mark_escalation_sent`, `..._retry`, `..._failed`) the lease ends with it, and the rows of a worker that crashed
mid-send are due again once their lease has run out. So do rows a worker claimed but did not try (the circuit
breaker refused the call, or the pass stopped early): `Outbox` has no way to hand them back. A lease only saves
work: if a send outlasts it and a second worker sends the row again, the idempotency key makes it the same ticket.
`next_due_at` counts a leased row as due when its lease ends. No cache.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any, Literal

import asyncpg

from bot.services.escalations import Escalation, EscalationStatus, NewEscalation, NoticeKind
from bot.services.store.escalations import check_link, new_escalation_row
from bot.services.store.postgres._convert import at
from bot.services.store.postgres.database import PgDatabase

# How long a claim by `due_escalations` keeps other workers off a row: longer than a pass over a batch (50 rows,
# 8 at a time, each call within the client's 3-second budget: about 20 s at worst), short enough that a crashed
# worker's rows are not left waiting for long.
DEFAULT_CLAIM_LEASE = timedelta(seconds=60)

_NOTICE_COLUMNS = {"user": "user_notified_at", "staff": "staff_notified_at", "stuck": "stuck_alerted_at",
                   "solved": "solved_notified_at", "failed": "failure_notified_at"}  # fmt: skip
# The status of the rows a notice is owed for: a rejection's staff line on failed rows, the others on sent rows.
_NOTICE_STATUS: dict[NoticeKind, EscalationStatus] = {"failed": "failed"}
# The order of an owed notice's page: the user notices a pass could not post (thread gone) after the others.
_NOTICE_ORDER: dict[NoticeKind, str] = {"user": "user_notice_tried_at NULLS FIRST, id"}
_COLUMNS = tuple(f.name for f in fields(Escalation))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM escalation"
# The moment a pending row can next be taken: when it is due, or when its lease ends if that is later.
_AVAILABLE_AT = "GREATEST(next_attempt_at, COALESCE(claimed_until, next_attempt_at))"
_INSERT = (
    "INSERT INTO escalation (idempotency_key, guild_id, channel_id, thread_id, source_message_id, requester_id, "
    "opened_by, account_id, org_id, app_id, tier, category, severity, lang, payload, status, attempts, "
    "next_attempt_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending', 0, $16, $16) "
    "ON CONFLICT (idempotency_key) DO NOTHING"
)
# $1 now, $2 limit, $3 the end of the lease.
_CLAIM_DUE = (
    "WITH due AS ("
    "  SELECT id FROM escalation"
    "  WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)"
    "  ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED"
    ") "
    f"UPDATE escalation AS e SET claimed_until = $3 FROM due WHERE e.id = due.id "
    f"RETURNING {', '.join(f'e.{c}' for c in _COLUMNS)}"
)


class PgEscalationRepository:
    """`EscalationRepository` on a `PgDatabase`; `claim_lease` is how long `due_escalations` leases its rows."""

    def __init__(self, database: PgDatabase, *, claim_lease: timedelta = DEFAULT_CLAIM_LEASE) -> None:
        if claim_lease <= timedelta(0):
            raise ValueError(f"claim_lease must be positive, got {claim_lease}")
        self._db = database
        self.claim_lease = claim_lease

    # -- account links ---------------------------------------------------------------------------------------------

    async def link_account(self, user_id: int, account_id: str, now: datetime) -> None:
        """Link a Discord user to a verified customer account (replacing an older link)."""
        check_link(user_id, account_id)
        await self._db.execute(
            "INSERT INTO account_link (user_id, account_id, linked_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (user_id) DO UPDATE SET account_id = excluded.account_id, linked_at = excluded.linked_at",
            user_id,
            account_id,
            at(now),
        )

    async def unlink_account(self, user_id: int) -> bool:
        """Remove a user's link; return whether there was one."""
        return await self._db.execute("DELETE FROM account_link WHERE user_id = $1", user_id) > 0

    async def linked_account(self, user_id: int) -> str | None:
        """Return the account id linked to a Discord user, if any."""
        value: str | None = await self._db.fetchval("SELECT account_id FROM account_link WHERE user_id = $1", user_id)
        return value

    async def note_link_attempt(self, user_id: int, kind: Literal["request", "confirm"], now: datetime) -> None:
        """Record a /link request or code attempt (rate limiting)."""
        await self._db.execute(
            "INSERT INTO link_attempt (user_id, kind, at) VALUES ($1, $2, $3)", user_id, kind, at(now)
        )

    async def count_link_attempts(self, user_id: int, kind: Literal["request", "confirm"], since: datetime) -> int:
        """Return how many attempts of `kind` the user made since `since`."""
        value = await self._db.fetchval(
            "SELECT count(*) FROM link_attempt WHERE user_id = $1 AND kind = $2 AND at >= $3",
            user_id,
            kind,
            at(since, "since"),
        )
        return int(value or 0)

    # -- outbox ----------------------------------------------------------------------------------------------------

    async def enqueue_escalation(self, new: NewEscalation) -> tuple[Escalation, bool]:
        """Queue an escalation; return (row, created). The same idempotency key returns the existing row."""
        columns, created_at = new_escalation_row(new), at(new.created_at, "created_at")
        created = await self._db.execute(_INSERT, *columns, created_at)
        existing = await self.escalation_by_key(new.idempotency_key)
        if existing is None:  # pragma: no cover - the row was just written or already there
            raise LookupError(new.idempotency_key)
        return existing, created > 0

    async def escalation_by_key(self, idempotency_key: str) -> Escalation | None:
        """Return the escalation with this idempotency key."""
        row = await self._db.fetchrow(f"{_SELECT} WHERE idempotency_key = $1", idempotency_key)
        return _row_to_escalation(row) if row else None

    async def get_escalation(self, escalation_id: int) -> Escalation | None:
        """Return an escalation by id."""
        row = await self._db.fetchrow(f"{_SELECT} WHERE id = $1", escalation_id)
        return _row_to_escalation(row) if row else None

    async def claim_escalation(self, escalation_id: int, now: datetime) -> bool:
        """Lease one pending escalation to send it now (the one this process just queued), unless another worker's
        claim on it is still running: then False, and that worker sends it."""
        moment = at(now)
        claimed = await self._db.fetchrow(
            "UPDATE escalation SET claimed_until = $2 WHERE id = $1 AND status = 'pending' "
            "AND (claimed_until IS NULL OR claimed_until <= $3) RETURNING id",
            escalation_id,
            moment + self.claim_lease,
            moment,
        )
        return claimed is not None

    async def due_escalations(self, now: datetime, limit: int = 50) -> list[Escalation]:
        """Return pending escalations whose next attempt is due, oldest first, and lease them to the caller.

        Rows leased by another caller (until their lease ends) or being claimed right now are left out.
        """
        moment = at(now)
        rows = await self._db.fetch(_CLAIM_DUE, moment, limit, moment + self.claim_lease)
        due = [_row_to_escalation(r) for r in rows]
        return sorted(due, key=lambda e: (e.next_attempt_at, e.id))

    async def next_due_at(self) -> datetime | None:
        """Return when the next pending escalation is due (None when the outbox is empty); a leased one counts
        from the end of its lease."""
        value: datetime | None = await self._db.fetchval(
            f"SELECT MIN({_AVAILABLE_AT}) FROM escalation WHERE status = 'pending'"
        )
        return value

    async def mark_escalation_sent(
        self, escalation_id: int, *, ticket_id: str, ticket_url: str, ticket_status: str, now: datetime
    ) -> None:
        """Record that the API accepted the escalation as a ticket."""
        await self._db.execute(
            "UPDATE escalation SET status = 'sent', ticket_id = $1, ticket_url = $2, ticket_status = $3, "
            "sent_at = $4, attempts = attempts + 1, last_error = NULL, claimed_until = NULL WHERE id = $5",
            ticket_id,
            ticket_url,
            ticket_status,
            at(now),
            escalation_id,
        )

    async def mark_escalation_retry(self, escalation_id: int, *, error: str, next_attempt_at: datetime) -> None:
        """Record a failed attempt and when to try again (the claim ends: the row is due at `next_attempt_at`)."""
        await self._db.execute(
            "UPDATE escalation SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, "
            "claimed_until = NULL WHERE id = $3 AND status = 'pending'",
            error[:500],
            at(next_attempt_at, "next_attempt_at"),
            escalation_id,
        )

    async def mark_escalation_failed(self, escalation_id: int, *, error: str) -> None:
        """Give up on an escalation the API rejected for good (e.g. validation); staff are told."""
        await self._db.execute(
            "UPDATE escalation SET status = 'failed', attempts = attempts + 1, last_error = $1, claimed_until = NULL "
            "WHERE id = $2",
            error[:500],
            escalation_id,
        )

    async def requeue_failed_escalation(self, escalation_id: int, now: datetime) -> bool:
        """Put an escalation the API rejected back in the queue, due now (its requester submitted it again).

        Returns False when it is not `failed` (pending or sent rows are left alone). The idempotency key and the
        stored payload are unchanged, so the API can still never make two tickets of it. The rejection notice is
        owed again: if the API rejects it once more, staff are told once more.
        """
        changed = await self._db.execute(
            "UPDATE escalation SET status = 'pending', next_attempt_at = $1, claimed_until = NULL, "
            "failure_notified_at = NULL "
            "WHERE id = $2 AND status = 'failed'",
            at(now),
            escalation_id,
        )
        return changed > 0

    async def mark_escalation_notice(self, escalation_id: int, kind: NoticeKind, now: datetime) -> bool:
        """Record that a notice was posted; return False if it already was (so nothing is said twice)."""
        column = _NOTICE_COLUMNS[kind]
        changed = await self._db.execute(
            f"UPDATE escalation SET {column} = $1 WHERE id = $2 AND {column} IS NULL", at(now), escalation_id
        )
        return changed > 0

    async def set_ticket_status(self, escalation_id: int, status: str) -> None:
        """Record the ticket status last read from the API."""
        await self._db.execute("UPDATE escalation SET ticket_status = $1 WHERE id = $2", status, escalation_id)

    async def mark_status_checked(self, escalation_ids: Collection[int], now: datetime) -> None:
        """Record that a pass read (or tried to read) these tickets' statuses: `open_tickets` returns them last."""
        if escalation_ids:
            await self._db.execute(
                "UPDATE escalation SET status_checked_at = $1 WHERE id = ANY($2::bigint[])",
                at(now),
                [int(i) for i in escalation_ids],
            )

    async def mark_user_notice_tried(self, escalation_id: int, now: datetime) -> None:
        """Record that a pass could not post the requester's owed notice (its thread is unreachable): the owed user
        notices of `escalations_needing_notice` return it after those not tried since."""
        await self._db.execute(
            "UPDATE escalation SET user_notice_tried_at = $1 WHERE id = $2 AND user_notified_at IS NULL",
            at(now),
            escalation_id,
        )

    async def list_escalations(
        self, guild_id: int, *, status: EscalationStatus | None = None, limit: int = 15
    ) -> list[Escalation]:
        """Return the guild's escalations, newest first, optionally of one status."""
        rows = await self._db.fetch(
            f"{_SELECT} WHERE guild_id = $1 AND ($2::text IS NULL OR status = $2) "
            "ORDER BY created_at DESC, id DESC LIMIT $3",
            guild_id,
            status,
            limit,
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
        where, params = _in_guilds(guild_ids, 3)
        rows = await self._db.fetch(
            f"{_SELECT} WHERE status = $2 AND {column} IS NULL{where} ORDER BY {order} LIMIT $1",
            limit,
            _NOTICE_STATUS.get(kind, "sent"),
            *params,
        )
        return [_row_to_escalation(r) for r in rows]

    async def stuck_escalations(
        self, older_than: datetime, limit: int = 50, *, guild_ids: Collection[int] | None = None
    ) -> list[Escalation]:
        """Return pending escalations created before `older_than` that staff were not alerted about yet, oldest
        first; `guild_ids` as in `escalations_needing_notice`."""
        where, params = _in_guilds(guild_ids, 3)
        rows = await self._db.fetch(
            f"{_SELECT} WHERE status = 'pending' AND created_at < $1 AND stuck_alerted_at IS NULL{where} "
            "ORDER BY id LIMIT $2",
            at(older_than, "older_than"),
            limit,
            *params,
        )
        return [_row_to_escalation(r) for r in rows]

    async def open_tickets(self, limit: int = 100, *, guild_ids: Collection[int] | None = None) -> list[Escalation]:
        """Return sent escalations whose ticket is not known to be solved or closed, least recently checked first
        (never checked first, then by id: `mark_status_checked`), so every open ticket gets its turn; `guild_ids` as
        in `escalations_needing_notice`."""
        where, params = _in_guilds(guild_ids, 2)
        rows = await self._db.fetch(
            f"{_SELECT} WHERE status = 'sent' AND solved_notified_at IS NULL "
            f"AND COALESCE(ticket_status, 'open') NOT IN ('closed'){where} "
            "ORDER BY status_checked_at NULLS FIRST, id LIMIT $1",
            limit,
            *params,
        )
        return [_row_to_escalation(r) for r in rows]

    async def count_escalations(self) -> dict[str, int]:
        """Return the number of escalations per status (benchmarks, /escalations)."""
        rows = await self._db.fetch("SELECT status, count(*) AS n FROM escalation GROUP BY status")
        return {row["status"]: int(row["n"]) for row in rows}

    async def oldest_pending_at(self) -> datetime | None:
        """Return when the oldest pending escalation was created (None when none is pending; health, metrics)."""
        value: datetime | None = await self._db.fetchval(
            "SELECT MIN(created_at) FROM escalation WHERE status = 'pending'"
        )
        return value


def _in_guilds(guild_ids: Collection[int] | None, index: int) -> tuple[str, tuple[list[int], ...]]:
    """The SQL condition keeping rows of `guild_ids` only, as parameter `$index` (one array), with its parameters;
    none for None (every guild). An empty collection matches no row."""
    if guild_ids is None:
        return "", ()
    return f" AND guild_id = ANY(${index}::bigint[])", ([int(g) for g in guild_ids],)


def _row_to_escalation(row: asyncpg.Record) -> Escalation:
    values: dict[str, Any] = {name: row[name] for name in _COLUMNS}
    values["payload"] = json.loads(values["payload"])
    return Escalation(**values)
