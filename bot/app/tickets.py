"""What the bot owes people about tickets it queued: the requester's notice, the staff notice, alerts for escalations
the support API has not accepted, staff's line about one it rejected, and word when a ticket is solved. Each is said
once, across restarts.

`TicketDesk` decides what is due and claims it in the store (a claimed notice is never due again); the
`TicketWatch` cog (`bot/exts/tickets.py`) only posts what it is given. No Discord import.

Several processes may share one database (shards), each with the guilds of its own shards. The housekeeping reads
(`owed_user_notices`, `owed_failure_notices`, `newly_stuck`, `newly_solved`) therefore take the guilds the calling
process serves: each process handles its own guilds' rows only, so it never claims a notice it cannot post, never
starves behind another shard's rows, and no ticket's status is read from the API by two processes. None means every
guild (one process).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.eligibility import sla_deadline, sla_for
from bot.core.policy import Policy
from bot.services.escalations import Escalation, EscalationStatus, NoticeKind
from bot.services.store import ConfigRepository, EscalationRepository, GuildConfig
from bot.services.support_api import SupportApiClient, SupportApiError

log = logging.getLogger(__name__)

OPEN_TICKETS_PER_PASS = 20  # ticket statuses read from the API per housekeeping pass (least recently read first)
# How long the requester's notice stays owed after the ticket was sent while its thread is unreachable (deleted, or
# archived and so out of the cache): the thread may come back (unarchived) meanwhile; after that it is given up.
USER_NOTICE_GIVE_UP = timedelta(days=7)
QUEUE_STATUSES: tuple[EscalationStatus, ...] = ("pending", "failed", "sent")


@dataclass(frozen=True, slots=True)
class StaffNotice:
    """A new ticket to announce to staff, with the guild's config (its staff log channel) and the SLA deadline."""

    row: Escalation
    config: GuildConfig
    deadline: datetime | None


@dataclass(frozen=True, slots=True)
class Overview:
    """The escalation queue of a guild for staff: rows per status, and the support API's circuit state."""

    rows: dict[EscalationStatus, list[Escalation]]
    circuit: str | None


class TicketDesk:
    """See the module docstring."""

    def __init__(
        self,
        *,
        escalations: EscalationRepository,
        config: ConfigRepository,
        support: SupportApiClient | None,
        policy: Policy,
        clock: Callable[[], datetime],
        alert_after: timedelta,
    ) -> None:
        self.escalations = escalations
        self.config = config
        self.support = support
        self.policy = policy
        self.clock = clock
        self.alert_after = alert_after

    async def claim(self, row: Escalation, kind: NoticeKind) -> bool:
        """Claim one notice of a row; False when it was already given (so nothing is said twice)."""
        return await self.escalations.mark_escalation_notice(row.id, kind, self.clock())

    async def guild_config(self, guild_id: int) -> GuildConfig:
        """The guild's configuration (its staff log channel, forum tags)."""
        return await self.config.get_config(guild_id)

    async def staff_notice(self, row: Escalation) -> StaffNotice | None:
        """The staff notice of a sent row when it is still owed (claimed now), else None."""
        if not await self.claim(row, "staff"):
            return None
        deadline = sla_deadline(row.tier, row.severity, row.sent_at or row.created_at, self.policy)
        return StaffNotice(row, await self.config.get_config(row.guild_id), deadline)

    def sla_text(self, row: Escalation) -> str | None:
        """The first-response promise of the row's plan and severity, or None when the plan has no SLA."""
        return sla_for(row.tier, row.severity, self.policy)

    async def owed_user_notices(self, *, guild_ids: Collection[int] | None) -> list[Escalation]:
        """Sent rows of `guild_ids` (None: every guild) whose requester was not told yet (after a restart, while the
        thread was unreachable, or sent by a process without the guild)."""
        return await self.escalations.escalations_needing_notice("user", guild_ids=guild_ids)

    async def user_notice_unreachable(self, row: Escalation) -> bool:
        """The requester's owed notice of `row` could not be posted (its thread is unreachable): it goes behind the
        other owed notices, or, `USER_NOTICE_GIVE_UP` after the ticket was sent, is given up (claimed, so never tried
        again). Return whether it was given up."""
        now = self.clock()
        if now - (row.sent_at or row.created_at) < USER_NOTICE_GIVE_UP:
            await self.escalations.mark_user_notice_tried(row.id, now)
            return False
        if await self.claim(row, "user"):
            log.info("escalation %s: its thread stayed unreachable for %s days; the requester's notice is given up",
                     row.id, USER_NOTICE_GIVE_UP.days)  # fmt: skip
        return True

    async def owed_failure_notices(self, *, guild_ids: Collection[int] | None) -> list[Escalation]:
        """Rows of `guild_ids` (None: every guild) the API rejected for good whose staff line was not posted yet (the
        rejection was met by a process without the guild, or before its guild arrived)."""
        return await self.escalations.escalations_needing_notice("failed", guild_ids=guild_ids)

    async def newly_stuck(self, *, guild_ids: Collection[int] | None) -> list[tuple[Escalation, GuildConfig]]:
        """Rows of `guild_ids` (None: every guild) the API has not accepted for `alert_after`, each returned (and
        claimed) once, with their config."""
        out = []
        older_than = self.clock() - self.alert_after
        for row in await self.escalations.stuck_escalations(older_than, guild_ids=guild_ids):
            if await self.claim(row, "stuck"):
                out.append((row, await self.config.get_config(row.guild_id)))
        return out

    async def newly_solved(self, *, guild_ids: Collection[int] | None) -> list[Escalation]:
        """Read the statuses of open tickets of `guild_ids` (None: every guild) from the API; return (and claim) those
        solved or closed since the last pass.

        Reads `OPEN_TICKETS_PER_PASS` tickets, the least recently checked first, and records each one it tried (read
        or not) as checked, so the next pass starts with the others: every open ticket gets its turn. Stops at the
        first API error: the API is unavailable, the next pass tries again.
        """
        if self.support is None:
            return []
        solved, checked = [], []
        try:
            for row in await self.escalations.open_tickets(limit=OPEN_TICKETS_PER_PASS, guild_ids=guild_ids):
                checked.append(row.id)
                if row.ticket_id is None:  # open tickets were sent, so they have an id; be safe
                    continue
                try:
                    ticket = await self.support.get_ticket(row.ticket_id)
                except SupportApiError as exc:
                    log.info("ticket statuses not read this pass: %s", type(exc).__name__)
                    break
                if ticket.status != row.ticket_status:
                    await self.escalations.set_ticket_status(row.id, ticket.status)
                if ticket.status in ("solved", "closed") and await self.claim(row, "solved"):
                    solved.append(row)
        finally:
            await self.escalations.mark_status_checked(checked, self.clock())
        return solved

    async def overview(self, guild_id: int, limit: int = 8) -> Overview:
        """The guild's pending, failed and recent escalations, and the API circuit breaker's state."""
        rows = {s: await self.escalations.list_escalations(guild_id, status=s, limit=limit) for s in QUEUE_STATUSES}
        breaker = getattr(self.support, "breaker", None)
        return Overview(rows, str(breaker.state) if breaker is not None else None)
