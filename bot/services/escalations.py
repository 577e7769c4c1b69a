"""Account links and escalations as values: what the escalation form produces and what the outbox delivers.

Their persistence (account links, /link attempts and the outbox queue) is `bot.services.store.escalations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

EscalationStatus = Literal["pending", "sent", "failed"]
# What is said about an escalation, each once: the requester's and staff's notices of a new ticket, the staff alert
# while the API has not accepted it, word in the thread when it is solved, and staff's line when the API rejected it.
NoticeKind = Literal["user", "staff", "stuck", "solved", "failed"]


@dataclass(frozen=True, slots=True)
class NewEscalation:
    """What the escalation form produced, before it is queued."""

    idempotency_key: str
    guild_id: int
    channel_id: int
    thread_id: int | None
    source_message_id: int | None
    requester_id: int
    opened_by: int
    account_id: str
    org_id: str
    app_id: str | None
    tier: str | None
    category: str
    severity: int
    lang: str
    payload: dict[str, Any]  # the TicketRequest JSON exactly as it will be sent
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Escalation(NewEscalation):
    """A queued or sent escalation: what was submitted, plus its delivery state."""

    id: int
    status: EscalationStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    ticket_id: str | None
    ticket_url: str | None
    ticket_status: str | None
    sent_at: datetime | None
    user_notified_at: datetime | None
    staff_notified_at: datetime | None
    stuck_alerted_at: datetime | None
    solved_notified_at: datetime | None
    failure_notified_at: datetime | None
    status_checked_at: datetime | None  # when the housekeeping last read the ticket's status (or tried to)
    user_notice_tried_at: datetime | None  # when it last tried to post the owed user notice and could not
