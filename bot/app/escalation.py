"""Official-support use cases: link an account, read it, check eligibility, submit a ticket.

The Discord cog (`bot/exts/escalation.py`) and the offline console demo (`bot/demo_escalation.py`) both call this
service; neither builds a ticket or talks to the store, the support API or the outbox itself. Every outcome is a
typed value the caller renders in the requester's language: the service never formats user-facing text.

What lives here and nowhere else: the link rate limits, the account snapshot used when the API is down, the ticket
request (redacted subject, body and transcript) and its idempotency key.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.eligibility import Eligibility, check_eligibility
from bot.core.redact import redact
from bot.services.escalations import Escalation, NewEscalation
from bot.services.store import EscalationRepository
from bot.services.support_api import (
    Account,
    DiscordRef,
    InvalidCode,
    NotFound,
    RateLimited,
    SupportApiClient,
    SupportApiError,
    TicketRequest,
    TooManyAttempts,
    TranscriptLine,
    to_access,
)
from bot.settings import Policy

log = logging.getLogger(__name__)

LINK_REQUESTS_PER_HOUR = 3
CODE_ATTEMPTS_PER_HOUR = 5
ACCOUNT_CACHE_TTL = timedelta(hours=24)
SUBJECT_CHARS = 200
BODY_CHARS = 20_000
TRANSCRIPT_LINE_CHARS = 4_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TicketQueue(Protocol):
    """The outbox: durable queue of tickets for the support API."""

    async def submit(self, new: NewEscalation) -> Escalation:
        """Queue an escalation (and try to send it now); the same key returns the existing row."""


class Scope(Protocol):
    """Tells whether a request is out of the support policy's scope (the analyser's route model)."""

    def __call__(self, text: str) -> bool:
        """True when the text asks for something official support does not cover."""


class LinkOutcome(enum.StrEnum):
    """What became of a link step; the value is the escalation-text key suffix the caller shows."""

    BAD_EMAIL = "bad_email"
    TOO_MANY = "too_many"
    UNAVAILABLE = "unavailable"
    CODE_SENT = "code_sent"
    INVALID_CODE = "invalid_code"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class LinkStep:
    """A link step's outcome, with the verification id once a code was sent."""

    outcome: LinkOutcome
    verification_id: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the conversation that goes with a ticket (unredacted; the service redacts)."""

    author: str
    at: datetime
    content: str


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """Everything a submitted escalation form says, in Discord-free terms."""

    guild_id: int
    channel_id: int  # where the form was submitted: the thread itself in a thread
    thread_id: int | None
    parent_id: int | None  # the channel (or forum) holding the thread
    source_message_id: int | None
    message_url: str
    requester_id: int  # the account owner
    opened_by: int  # who pressed the button (the requester, or a volunteer on their behalf)
    account: Account
    org_id: str | None
    app_id: str | None
    category: str
    severity: int
    summary: str
    details: str
    lang: str
    conversation: Sequence[Message] = ()
    source_text: str = ""  # the message escalated, when there is one (read for the scope check)


@dataclass(frozen=True, slots=True)
class Submission:
    """The outcome of a submitted form: refused (with the verdict) or queued (with the outbox row)."""

    eligibility: Eligibility
    row: Escalation | None = None


class EscalationService:
    """Link, read, check and submit; see the module docstring. Stateless but for the account snapshot cache."""

    def __init__(
        self,
        *,
        store: EscalationRepository,
        support: SupportApiClient | None,
        outbox: TicketQueue | None,
        policy: Policy,
        out_of_scope: Scope,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.support = support
        self.outbox = outbox
        self.policy = policy
        self.out_of_scope = out_of_scope
        self.clock = clock
        self._accounts: dict[str, tuple[Account, datetime]] = {}  # account id -> (account, fetched at)

    @property
    def enabled(self) -> bool:
        """Whether official support is configured (a support API and its outbox)."""
        return self.support is not None and self.outbox is not None

    # -- linking --------------------------------------------------------------------------------------------
    async def start_link(self, user_id: int, email: str) -> LinkStep:
        """Ask the API to e-mail a code; never reveals whether the address exists."""
        if self.support is None:
            return LinkStep(LinkOutcome.UNAVAILABLE)
        if not _EMAIL.match(email.strip()):
            return LinkStep(LinkOutcome.BAD_EMAIL)
        now = self.clock()
        if await self.store.count_link_attempts(user_id, "request", now - timedelta(hours=1)) >= LINK_REQUESTS_PER_HOUR:
            return LinkStep(LinkOutcome.TOO_MANY)
        await self.store.note_link_attempt(user_id, "request", now)
        try:
            verification = await self.support.start_verification(email.strip(), str(user_id))
        except RateLimited:
            return LinkStep(LinkOutcome.TOO_MANY)
        except SupportApiError as exc:
            log.warning("link request for user %s failed: %s", user_id, type(exc).__name__)
            return LinkStep(LinkOutcome.UNAVAILABLE)
        return LinkStep(LinkOutcome.CODE_SENT, verification.verification_id)

    async def confirm_link(self, user_id: int, verification_id: str, code: str) -> LinkStep:
        """Check the code and store the link (the account id, never the e-mail)."""
        if self.support is None:
            return LinkStep(LinkOutcome.UNAVAILABLE)
        now = self.clock()
        if await self.store.count_link_attempts(user_id, "confirm", now - timedelta(hours=1)) >= CODE_ATTEMPTS_PER_HOUR:
            return LinkStep(LinkOutcome.TOO_MANY)
        await self.store.note_link_attempt(user_id, "confirm", now)
        try:
            account_id = await self.support.confirm_verification(verification_id, code.strip())
        except (InvalidCode, NotFound):
            return LinkStep(LinkOutcome.INVALID_CODE)
        except TooManyAttempts:
            return LinkStep(LinkOutcome.TOO_MANY)
        except SupportApiError as exc:
            log.warning("code confirmation for user %s failed: %s", user_id, type(exc).__name__)
            return LinkStep(LinkOutcome.UNAVAILABLE)
        await self.store.link_account(user_id, account_id, now)
        log.info("user %s linked to account %s", user_id, account_id)
        return LinkStep(LinkOutcome.DONE)

    async def unlink(self, user_id: int) -> bool:
        """Forget the user's link."""
        return await self.store.unlink_account(user_id)

    async def linked_account(self, user_id: int) -> str | None:
        """The user's linked account id, or None."""
        return await self.store.linked_account(user_id)

    async def account(self, account_id: str) -> Account | None:
        """Read an account; while the API is down, a snapshot younger than ACCOUNT_CACHE_TTL; else None."""
        if self.support is None:
            return None
        now = self.clock()
        try:
            account = await self.support.get_account(account_id)
        except SupportApiError as exc:
            cached = self._accounts.get(account_id)
            if cached is not None and now - cached[1] < ACCOUNT_CACHE_TTL:
                log.info("support API unavailable (%s): using the account snapshot from %s", type(exc).__name__,
                         cached[1].isoformat())  # fmt: skip
                return cached[0]
            log.warning("account %s could not be read: %s", account_id, type(exc).__name__)
            return None
        self._accounts[account_id] = (account, now)
        return account

    # -- eligibility and submission ------------------------------------------------------------------------------
    def check(self, request: EscalationRequest) -> Eligibility:
        """The support policy's verdict on a request (the core's rules; scope from the analyser)."""
        scope_text = f"{request.summary}\n{request.source_text or request.details}"
        return check_eligibility(
            to_access(request.account),
            org_id=request.org_id,
            app_id=request.app_id,
            category=request.category,
            out_of_scope=self.out_of_scope(scope_text),
            policy=self.policy,
        )

    async def submit(self, request: EscalationRequest) -> Submission:
        """Check eligibility, then queue the redacted ticket under its idempotency key (refusals queue nothing)."""
        verdict = self.check(request)
        if not verdict.eligible:
            log.info("escalation refused for user %s: %s", request.requester_id, verdict.failed)
            return Submission(verdict)
        if self.outbox is None or request.org_id is None:
            return Submission(verdict)  # unreachable with an eligible verdict (it names the organisation)
        key = await self.idempotency_key(request_key(request))
        row = await self.outbox.submit(
            NewEscalation(
                idempotency_key=key,
                guild_id=request.guild_id,
                channel_id=request.channel_id,
                thread_id=request.thread_id,
                source_message_id=request.source_message_id,
                requester_id=request.requester_id,
                opened_by=request.opened_by,
                account_id=request.account.account_id,
                org_id=request.org_id,
                app_id=request.app_id,
                tier=verdict.tier,
                category=request.category,
                severity=request.severity,
                lang=request.lang,
                payload=ticket_request(request).to_json(),
                created_at=self.clock(),
            )
        )
        return Submission(verdict, row)

    async def idempotency_key(self, base: str) -> str:
        """Return the outbox key of a submission whose request key is `base`.

        The same submission again (a retry after an error or a lost answer, a double submit, a second volunteer's
        click) keeps the key, so it stays one ticket. Only once that ticket is solved or closed is an identical
        submission a new request: it gets the next key of the series instead of "ticket T-... is open".
        """
        key = base
        for generation in range(2, 100):
            row = await self.store.escalation_by_key(key)
            if row is None or row.status != "sent" or (row.ticket_status or "open") not in ("solved", "closed"):
                return key
            key = hashlib.sha256(f"{base}:{generation}".encode()).hexdigest()
        return key


def ticket_request(request: EscalationRequest) -> TicketRequest:
    """The support API's ticket for a request: subject, body and transcript redacted (keys, tokens, e-mails)."""
    transcript = tuple(
        TranscriptLine(author=m.author, at=m.at, content=redact(m.content)[:TRANSCRIPT_LINE_CHARS])
        for m in request.conversation
        if m.content
    )
    return TicketRequest(
        account_id=request.account.account_id,
        org_id=request.org_id or "",
        app_id=request.app_id,
        category=request.category,
        severity=request.severity,
        subject=redact(request.summary)[:SUBJECT_CHARS],
        body=redact(request.details)[:BODY_CHARS],
        transcript=transcript,
        discord=DiscordRef(
            guild_id=str(request.guild_id),
            channel_id=str(request.parent_id if request.thread_id and request.parent_id else request.channel_id),
            thread_id=str(request.thread_id) if request.thread_id else None,
            message_url=request.message_url,
        ),
    )


def request_key(request: EscalationRequest) -> str:
    """Return the idempotency key of one submitted escalation form: who, where, about which message, for which
    app, and what was asked (category, severity, summary, details; whitespace-insensitive).

    The key identifies the request, not the place: a second, different problem from the same member in the same
    channel is a second ticket, while the same submission sent again is the same ticket.
    """
    parts = [
        str(request.guild_id), str(request.channel_id), str(request.source_message_id or ""),
        str(request.requester_id), request.org_id or "", request.app_id or "", request.category,
        str(request.severity), " ".join(request.summary.split()), " ".join(request.details.split()),
    ]  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
