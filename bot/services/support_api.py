"""Client of the support API (see docs/support-api-contract.md): e-mail verification, accounts and tickets.

How it works:
- One `aiohttp.ClientSession` is passed in (created by the caller inside the running loop); this module never
  creates or closes sessions.
- Every public call has a TOTAL time budget (`budget`, 3 s by default, the support policy's fail-safe): each
  attempt gets an `aiohttp.ClientTimeout` (and an `asyncio.timeout`) equal to what is left of the budget, and
  no retry starts unless it still fits. A call therefore never takes much longer than `budget`.
- Retries (exponential backoff with full jitter, at most `max_retries`) only where repeating is safe:
  the GETs and `create_ticket` (the `Idempotency-Key` makes the server return the same ticket).
  `start_verification` is never retried (a second e-mail would go out) and neither is `confirm_verification`
  (a retry could burn one of the five attempts). Retried failures: timeouts, connection errors, 500/502/503/504,
  malformed or wrongly-shaped 2xx bodies. 4xx answers are never retried, except a 429 on a GET whose
  `Retry-After` still fits in the budget.
- A `CircuitBreaker` (shared by every call of the client) opens after consecutive unavailability failures,
  counted per attempt (5 by default; then one trial call every 5 s); while open, calls raise
  `SupportApiUnavailable("circuit open")` without touching the network. A retry refused that way after a real
  attempt raises that attempt's error instead, so "circuit open" always means "no request was sent" (the outbox
  does not count it as an attempt). 4xx answers count as successes: the server is up.
- Responses are parsed strictly into frozen dataclasses: a missing field or a wrong type raises
  `SupportApiInvalidResponse`. Unknown extra fields and unknown enum values (a new plan name) are accepted.
- Layout: `HttpSupportApiClient` holds the endpoints and their parsing; it composes `_Transport`, the HTTP plumbing
  (budget, retries and backoff, Retry-After, breaker, timeouts, error mapping, JSON decoding).
- Secrets: the API key and e-mail addresses never appear in exception messages or log lines. Server messages are
  passed through `redact()` before they are stored in an exception. Logs carry ids, methods, paths, statuses.

Error types (all `SupportApiError`, with `.status`, `.code`, `.retryable`):
- `SupportApiUnavailable` (retryable): timeout, connection error, 5xx, circuit open, budget exhausted.
- `SupportApiInvalidResponse` (retryable): 2xx whose body is not JSON or not the documented shape. Treated as
  retryable because the server (or a proxy in front of it) may have failed half-way; for `create_ticket` the
  retry is safe thanks to the idempotency key, and the ticket may well exist already.
- `InvalidCode`, `TooManyAttempts`, `RateLimited` (with `.retry_after`), `NotFound`, `ValidationFailed`
  (with `.message`), `IdempotencyConflict`, `Unauthorized`: not retryable; the request itself must change,
  or, for `RateLimited`, the caller must wait.
`.code` is the contract's ``error`` field when the server sent one; errors made on this side use their own codes:
``timeout``, ``connection_error``, ``circuit_open`` (unavailable), ``malformed_json``, ``invalid_shape``,
``id_mismatch`` (the response is about another account/ticket), ``unexpected_status`` (invalid response).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

import aiohttp

from bot.core.eligibility import AccountAccess, AppAccess, OrgAccess
from bot.services.resilience import CircuitBreaker, Deadline, full_jitter_backoff

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# Do not start an attempt (or a backoff) that would leave less than this for the request itself.
MIN_ATTEMPT_SECONDS = 0.05
MAX_IDEMPOTENCY_KEY_LENGTH = 200
# The default breaker: open after this many unavailability failures in a row, then let one trial call through every
# BREAKER_RESET_AFTER seconds. A dead API costs one request per 5 s; a recovered one is noticed within 5 s, so the
# ticket outbox (which waits for this trial) has its backlog sent within 10 s of the recovery.
BREAKER_FAILURE_THRESHOLD = 5
BREAKER_RESET_AFTER = 5.0

_EMAIL_RE = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)\S+")


# --------------------------------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class App:
    """An app of an organization, with the account's role on it (None: no app-level role)."""

    app_id: str
    name: str
    role: str | None


@dataclass(frozen=True)
class Organization:
    """An organization the account belongs to, with its plan and the account's org-level role."""

    org_id: str
    name: str
    plan: str
    subscription_status: str
    addons: tuple[str, ...]
    over_quota: bool
    role: str | None
    apps: tuple[App, ...]


@dataclass(frozen=True)
class Account:
    """A verified customer account and its organizations."""

    account_id: str
    organizations: tuple[Organization, ...]


@dataclass(frozen=True)
class Verification:
    """A pending e-mail verification; the code must be confirmed before `expires_at` (UTC)."""

    verification_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Ticket:
    """A support ticket as the API reports it."""

    ticket_id: str
    status: str
    url: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TranscriptLine:
    """One Discord message copied into a ticket; `at` must be timezone-aware."""

    author: str
    at: datetime
    content: str

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("TranscriptLine.at must be timezone-aware")


@dataclass(frozen=True)
class DiscordRef:
    """Where the ticket comes from on Discord (thread_id None when the question was not in a thread)."""

    guild_id: str
    channel_id: str
    thread_id: str | None
    message_url: str


@dataclass(frozen=True)
class TicketRequest:
    """The body of `POST /tickets`."""

    account_id: str
    org_id: str
    app_id: str | None
    category: str
    severity: int
    subject: str
    body: str
    transcript: tuple[TranscriptLine, ...]
    discord: DiscordRef

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> TicketRequest:
        """The inverse of :meth:`to_json` (the outbox stores that JSON and sends it, maybe after a restart)."""
        ref = payload["discord"]
        return cls(
            account_id=payload["account_id"],
            org_id=payload["org_id"],
            app_id=payload.get("app_id"),
            category=payload["category"],
            severity=int(payload["severity"]),
            subject=payload["subject"],
            body=payload["body"],
            transcript=tuple(
                TranscriptLine(author=line["author"], at=datetime.fromisoformat(line["at"]), content=line["content"])
                for line in payload.get("transcript", [])
            ),
            discord=DiscordRef(
                guild_id=ref["guild_id"],
                channel_id=ref["channel_id"],
                thread_id=ref.get("thread_id"),
                message_url=ref.get("message_url", ""),
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON-ready dict of the contract (times as RFC 3339 UTC strings)."""
        return {
            "account_id": self.account_id,
            "org_id": self.org_id,
            "app_id": self.app_id,
            "category": self.category,
            "severity": self.severity,
            "subject": self.subject,
            "body": self.body,
            "transcript": [
                {"author": line.author, "at": format_time(line.at), "content": line.content} for line in self.transcript
            ],
            "discord": {
                "guild_id": self.discord.guild_id,
                "channel_id": self.discord.channel_id,
                "thread_id": self.discord.thread_id,
                "message_url": self.discord.message_url,
            },
        }


def to_access(account: Account) -> AccountAccess:
    """Convert an Account from the API into the core's AccountAccess (what eligibility checks)."""
    return AccountAccess(
        account_id=account.account_id,
        orgs=tuple(
            OrgAccess(
                org_id=org.org_id,
                plan=org.plan,
                subscription_status=org.subscription_status,
                addons=tuple(org.addons),
                over_quota=org.over_quota,
                role=org.role,
                apps=tuple(AppAccess(app_id=a.app_id, role=a.role) for a in org.apps),
            )
            for org in account.organizations
        ),
    )


# ------------------------------------------------------------------------------------------------------- errors


class SupportApiError(Exception):
    """Base of every error raised by the support API client.

    `status` is the HTTP status (None when no response arrived), `code` the contract's error code
    (``"invalid_code"``...), `retryable` whether the same request may succeed if simply sent again later.
    """

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, status={self.status!r}, code={self.code!r})"


class SupportApiUnavailable(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """The API could not be reached in time: timeout, connection error, 5xx, circuit open."""

    retryable = True


class SupportApiInvalidResponse(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """A 2xx answer whose body is not JSON or not the documented shape (retryable: may be a half-way failure)."""

    retryable = True


class InvalidCode(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """The verification code is wrong or expired (or the e-mail unknown: indistinguishable by design)."""


class TooManyAttempts(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """Five wrong codes burned the verification; a new one must be started."""


class RateLimited(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """Too many requests; `retry_after` seconds (from the Retry-After header) when the server said so."""

    def __init__(
        self, message: str, *, retry_after: float | None, status: int | None = 429, code: str | None = None
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class NotFound(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """The verification, account or ticket does not exist."""


class ValidationFailed(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """The API rejected the request body; `message` is the server's explanation, redacted."""

    def __init__(self, message: str, *, status: int | None = 422, code: str | None = "validation") -> None:
        super().__init__(f"validation failed: {message}" if message else "validation failed", status=status, code=code)
        self.message = message


class IdempotencyConflict(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """The idempotency key was already used with a different ticket body."""


class Unauthorized(SupportApiError):  # noqa: N818 - names fixed by the bot's API
    """The API key was refused (configuration error)."""


# ------------------------------------------------------------------------------------------------ public client


class SupportApiClient(Protocol):
    """What the bot needs from the support API (fakes implement this in cog tests)."""

    async def start_verification(self, email: str, discord_user_id: str) -> Verification:
        """Ask the API to e-mail a 6-digit code; never reveals whether the address is registered."""
        ...

    async def confirm_verification(self, verification_id: str, code: str) -> str:
        """Return the account id proven by `code`."""
        ...

    async def get_account(self, account_id: str) -> Account:
        """Return the account and its organizations."""
        ...

    async def create_ticket(self, request: TicketRequest, idempotency_key: str) -> Ticket:
        """Create the ticket (or return the one already created with `idempotency_key`)."""
        ...

    async def get_ticket(self, ticket_id: str) -> Ticket:
        """Return the ticket."""
        ...

    async def health(self) -> bool:
        """Return True if the API answers its health check."""
        ...


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


class HttpSupportApiClient:
    """`SupportApiClient` over HTTP with a total time budget per call, safe retries and a circuit breaker."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str,
        *,
        budget: float = 3.0,
        max_retries: int = 2,
        breaker: CircuitBreaker | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        backoff_base: float = 0.1,
        backoff_cap: float = 1.0,
    ) -> None:
        self._transport = _Transport(
            session,
            base_url,
            api_key,
            budget=budget,
            max_retries=max_retries,
            breaker=breaker,
            clock=clock,
            sleep=sleep,
            rng=rng,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
        )

    def __repr__(self) -> str:
        # Never show the key.
        return f"HttpSupportApiClient(base_url={self._transport.base_url!r}, circuit={self.breaker.state!r})"

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker shared by every call (the outbox waits for its trial calls)."""
        return self._transport.breaker

    @property
    def budget(self) -> float:
        """The total time budget of one call, retries and backoff included, in seconds."""
        return self._transport.budget

    @property
    def max_retries(self) -> int:
        """How many times a retryable call may be repeated."""
        return self._transport.max_retries

    @property
    def circuit_state(self) -> str:
        """Return the circuit breaker state ("closed", "open" or "half_open") for /escalations and logs."""
        return self.breaker.state

    # -------------------------------------------------------------------------------------------- endpoints

    async def start_verification(self, email: str, discord_user_id: str) -> Verification:
        """Ask the API to e-mail a code to `email`; not retried (a retry would send a second e-mail).

        Raises:
            ValidationFailed, RateLimited, Unauthorized, SupportApiUnavailable, SupportApiInvalidResponse.
        """
        payload = {"email": email, "discord_user_id": discord_user_id}
        verification = await self._transport.call(
            "POST", "/verifications", json_body=payload, retry=False, expect=(200, 201, 202), parse=_parse_verification
        )
        log.info("verification %s started for discord user %s", verification.verification_id, discord_user_id)
        return verification

    async def confirm_verification(self, verification_id: str, code: str) -> str:
        """Return the account id proven by `code`; not retried (a retry could burn one of the attempts).

        Raises:
            InvalidCode, TooManyAttempts, NotFound, Unauthorized, SupportApiUnavailable, SupportApiInvalidResponse.
        """
        path = f"/verifications/{_segment(verification_id)}/confirm"
        account_id = await self._transport.call(
            "POST", path, json_body={"code": code}, retry=False, expect=(200,), parse=_parse_confirmation
        )
        log.info("verification %s confirmed: account %s", verification_id, account_id)
        return account_id

    async def get_account(self, account_id: str) -> Account:
        """Return the account and its organizations.

        Raises:
            NotFound, Unauthorized, SupportApiUnavailable, SupportApiInvalidResponse.
        """
        # A proxy or cache mixing answers up would show one customer another's data: refuse a different id.
        parse = _matching(_parse_account, "account_id", account_id)
        return await self._transport.call(
            "GET", f"/accounts/{_segment(account_id)}", retry=True, expect=(200,), parse=parse
        )

    async def create_ticket(self, request: TicketRequest, idempotency_key: str) -> Ticket:
        """Create the ticket; retried with the same `idempotency_key`, so at most one ticket exists per key.

        Raises:
            ValidationFailed, NotFound, IdempotencyConflict, Unauthorized, SupportApiUnavailable,
            SupportApiInvalidResponse.
        """
        if not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
            raise ValueError(f"idempotency_key must be 1-{MAX_IDEMPOTENCY_KEY_LENGTH} characters")
        ticket = await self._transport.call(
            "POST",
            "/tickets",
            json_body=request.to_json(),
            headers={"Idempotency-Key": idempotency_key},
            retry=True,
            expect=(200, 201),
            parse=_parse_ticket,
        )
        log.info("ticket %s created for account %s (org %s)", ticket.ticket_id, request.account_id, request.org_id)
        return ticket

    async def get_ticket(self, ticket_id: str) -> Ticket:
        """Return the ticket.

        Raises:
            NotFound, Unauthorized, SupportApiUnavailable, SupportApiInvalidResponse.
        """
        parse = _matching(_parse_ticket, "ticket_id", ticket_id)
        return await self._transport.call(
            "GET", f"/tickets/{_segment(ticket_id)}", retry=True, expect=(200,), parse=parse
        )

    async def health(self) -> bool:
        """Return True if `GET /health` answers ``{"status": "ok"}`` within the budget; never raises."""
        try:
            return await self._transport.call("GET", "/health", retry=True, expect=(200,), parse=_parse_health)
        except SupportApiError as exc:
            log.debug("support API health check failed: %s", exc)
            return False


class _Transport:
    """HTTP plumbing of `HttpSupportApiClient`: time budget, retries, breaker, error mapping, JSON decoding."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str,
        *,
        budget: float,
        max_retries: int,
        breaker: CircuitBreaker | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[object]],
        rng: random.Random | None,
        backoff_base: float,
        backoff_cap: float,
    ) -> None:
        if budget <= 0:
            raise ValueError("budget must be > 0")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.budget = budget
        self.max_retries = max_retries
        self.breaker = (
            breaker
            if breaker is not None
            else CircuitBreaker(BREAKER_FAILURE_THRESHOLD, BREAKER_RESET_AFTER, clock=clock)
        )
        self._clock = clock
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap

    async def call(
        self,
        method: Literal["GET", "POST"],
        path: str,
        *,
        retry: bool,
        expect: tuple[int, ...],
        parse: Callable[[Any], T],
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """Send the request within the budget, retrying if `retry`; return `parse(json)` or raise SupportApiError."""
        deadline = Deadline(self.budget, self._clock)
        max_attempts = 1 + (self.max_retries if retry else 0)
        started = self._clock()
        attempt = 0
        sent_error: SupportApiError | None = None  # the failure of the last attempt that did send a request
        while True:
            try:
                return await self._attempt(method, path, deadline, expect, parse, json_body, headers)
            except SupportApiError as caught:
                exc = caught
                if exc.code == "circuit_open" and sent_error is not None:
                    # A retry refused by the breaker after a real attempt: report the real failure, so the caller
                    # (the outbox) knows a request went out and counts the attempt.
                    exc = sent_error
                elif exc.code != "circuit_open":
                    sent_error = exc
                attempt += 1
                delay = self._retry_delay(caught, method, attempt - 1)  # None for a refusal: stop
                if (
                    delay is None
                    or attempt >= max_attempts
                    or not deadline.allows(delay + MIN_ATTEMPT_SECONDS)
                    # Our own failures opened the circuit: report the real error rather than "circuit open".
                    or self.breaker.state == "open"
                ):
                    # The breaker already logged its opening at WARNING: fast failures while open stay at DEBUG.
                    if exc.code == "circuit_open":
                        level = logging.DEBUG
                    else:
                        level = logging.WARNING if exc.retryable else logging.INFO
                    log.log(
                        level,
                        "support API %s %s failed after %d attempt(s) in %.2fs: %s",
                        method,
                        path,
                        attempt,
                        self._clock() - started,
                        exc,
                    )
                    if exc is caught:
                        raise
                    raise exc from None
                log.info(
                    "support API %s %s attempt %d failed (%s); retrying in %.2fs", method, path, attempt, exc, delay
                )
                await self._sleep(delay)

    def _retry_delay(self, exc: SupportApiError, method: str, attempt: int) -> float | None:
        """Return the delay before retrying after `exc`, or None if `exc` must not be retried."""
        if isinstance(exc, RateLimited):
            if method == "GET" and exc.retry_after is not None:
                return exc.retry_after
            return None
        if exc.retryable and not (isinstance(exc, SupportApiUnavailable) and exc.code == "circuit_open"):
            return full_jitter_backoff(attempt, base=self._backoff_base, cap=self._backoff_cap, rng=self._rng)
        return None

    async def _attempt(
        self,
        method: str,
        path: str,
        deadline: Deadline,
        expect: tuple[int, ...],
        parse: Callable[[Any], T],
        json_body: Any,
        headers: Mapping[str, str] | None,
    ) -> T:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise SupportApiUnavailable("time budget exhausted", code="timeout")
        if not self.breaker.try_acquire():
            raise SupportApiUnavailable("circuit open", code="circuit_open")
        verdict: bool | None = None  # True: the server answered; False: unavailable; None: cancelled.
        try:
            response = await self._send(method, path, remaining, json_body, headers)
            if response.status in expect:
                result = parse(_decode_json(response.body))
            else:
                raise _error_for(response, self._api_key)
            verdict = True
            return result
        except (SupportApiUnavailable, SupportApiInvalidResponse):
            verdict = False
            raise
        except SupportApiError:
            verdict = True
            raise
        finally:
            if verdict is True:
                self.breaker.record_success()
            elif verdict is False:
                self.breaker.record_failure()
            else:
                self.breaker.release()

    async def _send(
        self,
        method: str,
        path: str,
        seconds: float,
        json_body: Any,
        extra_headers: Mapping[str, str] | None,
    ) -> _Response:
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if extra_headers:
            headers.update(extra_headers)
        url = self.base_url + path
        try:
            async with asyncio.timeout(seconds):
                async with self._session.request(
                    method,
                    url,
                    json=json_body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=seconds),
                    allow_redirects=False,
                ) as resp:
                    body = await resp.read()
                    return _Response(resp.status, resp.headers, body)
        except TimeoutError as exc:
            raise SupportApiUnavailable(f"timed out after {seconds:.2f}s", code="timeout") from exc
        except (aiohttp.ClientError, OSError) as exc:
            # type name only: aiohttp messages are harmless today, but keep secrets out by construction.
            raise SupportApiUnavailable(f"connection failed ({type(exc).__name__})", code="connection_error") from exc


# ---------------------------------------------------------------------------------------------------- helpers


def redact(text: str, *secrets: str) -> str:
    """Return `text` with e-mail addresses, bearer tokens and each non-empty secret replaced by placeholders."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    text = _BEARER_RE.sub(r"\1<redacted>", text)
    return _EMAIL_RE.sub("<email>", text)


def format_time(value: datetime) -> str:
    """Return `value` (timezone-aware) as an RFC 3339 UTC string ending in Z."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _segment(value: str) -> str:
    """Return `value` escaped as one URL path segment (an id must not be able to change the path)."""
    if not isinstance(value, str) or not value:
        raise ValueError("id must be a non-empty string")
    return quote(value, safe="")


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


def _error_for(response: _Response, api_key: str) -> SupportApiError:
    """Map a non-expected status (and the contract's error body) to a typed error."""
    status = response.status
    code, message = _error_body(response.body)
    message = redact(message, api_key)
    summary = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if 200 <= status < 300:
        return SupportApiInvalidResponse(f"unexpected status {status}", status=status, code="unexpected_status")
    if status >= 500 or status in RETRYABLE_STATUSES:
        return SupportApiUnavailable(summary, status=status, code=code)
    if code == "invalid_code":
        return InvalidCode(summary, status=status, code=code)
    if code == "too_many_attempts":
        return TooManyAttempts(summary, status=status, code=code)
    if code == "rate_limited" or status == 429:
        return RateLimited(
            summary, retry_after=_parse_retry_after(response.headers.get("Retry-After")), status=status, code=code
        )
    if code == "idempotency_conflict" or status == 409:
        return IdempotencyConflict(summary, status=status, code=code)
    if code == "not_found" or status == 404:
        return NotFound(summary, status=status, code=code)
    if code == "unauthorized" or status in (401, 403):
        return Unauthorized(summary, status=status, code=code)
    if code in ("validation", "missing_idempotency_key") or status == 422:
        return ValidationFailed(message, status=status, code=code)
    return SupportApiError(summary, status=status, code=code)


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SupportApiInvalidResponse("response body is not valid JSON", status=200, code="malformed_json") from exc


def _error_body(body: bytes) -> tuple[str | None, str]:
    """Return (code, message) from a contract error body; (None, "") when it is not one."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    code = data.get("error")
    message = data.get("message")
    return (code if isinstance(code, str) else None), (message[:500] if isinstance(message, str) else "")


class _ShapeError(Exception):
    """Internal: the JSON does not have the documented shape."""


def _strict(parse: Callable[[Any], T]) -> Callable[[Any], T]:
    """Turn `_ShapeError` (and stray type errors) raised by a parser into SupportApiInvalidResponse."""

    def wrapper(data: Any) -> T:
        try:
            return parse(data)
        except _ShapeError as exc:
            # _ShapeError messages name fields, never values (a value could be an e-mail address).
            raise SupportApiInvalidResponse(
                f"unexpected response shape: {exc}", status=200, code="invalid_shape"
            ) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise SupportApiInvalidResponse(
                f"unexpected response shape ({type(exc).__name__})", status=200, code="invalid_shape"
            ) from exc

    wrapper.__name__ = parse.__name__
    return wrapper


def _matching(parse: Callable[[Any], T], attr: str, expected: str) -> Callable[[Any], T]:
    """Wrap `parse` so that a result whose `attr` differs from `expected` is an invalid response."""

    def wrapper(data: Any) -> T:
        result = parse(data)
        if getattr(result, attr) != expected:
            raise SupportApiInvalidResponse(
                f"{attr} in the response does not match the request", status=200, code="id_mismatch"
            )
        return result

    return wrapper


def _obj(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _ShapeError(f"{what} is not an object")
    return data


def _str(data: dict[str, Any], key: str, *, nullable: bool = False, non_empty: bool = False) -> Any:
    if key not in data:
        raise _ShapeError(f"missing field {key!r}")
    value = data[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _ShapeError(f"field {key!r} is not a string")
    if non_empty and not value:
        raise _ShapeError(f"field {key!r} is empty")
    return value


def _bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise _ShapeError(f"field {key!r} is not a boolean")
    return value


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise _ShapeError(f"field {key!r} is not a list")
    return value


def _time(data: dict[str, Any], key: str) -> datetime:
    raw = _str(data, key)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise _ShapeError(f"field {key!r} is not an RFC 3339 time") from exc
    if value.tzinfo is None:
        raise _ShapeError(f"field {key!r} has no UTC offset")
    return value.astimezone(UTC)


@_strict
def _parse_health(data: Any) -> bool:
    return _str(_obj(data, "health"), "status") == "ok"


@_strict
def _parse_verification(data: Any) -> Verification:
    obj = _obj(data, "verification")
    return Verification(
        verification_id=_str(obj, "verification_id", non_empty=True), expires_at=_time(obj, "expires_at")
    )


@_strict
def _parse_confirmation(data: Any) -> str:
    return _str(_obj(data, "confirmation"), "account_id", non_empty=True)


def _parse_app(data: Any) -> App:
    obj = _obj(data, "app")
    return App(
        app_id=_str(obj, "app_id", non_empty=True), name=_str(obj, "name"), role=_str(obj, "role", nullable=True)
    )


def _parse_organization(data: Any) -> Organization:
    obj = _obj(data, "organization")
    addons = _list(obj, "addons")
    if not all(isinstance(addon, str) for addon in addons):
        raise _ShapeError("field 'addons' is not a list of strings")
    return Organization(
        org_id=_str(obj, "org_id", non_empty=True),
        name=_str(obj, "name"),
        plan=_str(obj, "plan"),
        subscription_status=_str(obj, "subscription_status"),
        addons=tuple(addons),
        over_quota=_bool(obj, "over_quota"),
        role=_str(obj, "role", nullable=True),
        apps=tuple(_parse_app(app) for app in _list(obj, "apps")),
    )


@_strict
def _parse_account(data: Any) -> Account:
    obj = _obj(data, "account")
    return Account(
        account_id=_str(obj, "account_id", non_empty=True),
        organizations=tuple(_parse_organization(org) for org in _list(obj, "organizations")),
    )


@_strict
def _parse_ticket(data: Any) -> Ticket:
    obj = _obj(data, "ticket")
    return Ticket(
        ticket_id=_str(obj, "ticket_id", non_empty=True),
        status=_str(obj, "status"),
        url=_str(obj, "url"),
        created_at=_time(obj, "created_at"),
        updated_at=_time(obj, "updated_at"),
    )
