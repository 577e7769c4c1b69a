"""The sandbox's HTTP API (aiohttp) and its programmatic runner, ``run_sandbox``."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from .store import ConflictError, NotFoundError, RateLimitedError, SandboxStore, StoredTicket
from .validation import (
    TICKET_STATUSES,
    ValidationError,
    validate_confirmation,
    validate_idempotency_key,
    validate_ticket_request,
    validate_verification_request,
)

log = logging.getLogger("sandbox")

API_PREFIX = "/v1"
MAX_BODY_BYTES = 4 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An error answer: ``{"error": code, "message": message}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self) -> web.Response:
        return web.json_response(
            {"error": self.code, "message": self.message}, status=self.status, headers=self.headers
        )


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


_HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


class Sandbox:
    """A running sandbox: HTTP server + SQLite store. Create it with ``run_sandbox``."""

    def __init__(self, *, db: str | Path = ":memory:", api_key: str = "sandbox-key") -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        self.db = str(db)
        self.api_key = api_key
        #: Every verification code "e-mailed", as (e-mail, code), oldest first.
        self.sent_codes: list[tuple[str, str]] = []
        self.base_url = ""
        self._time_offset = 0.0
        self._store: SandboxStore | None = None
        self._runner: web.AppRunner | None = None

    # Test helpers

    def now(self) -> float:
        """The sandbox clock (Unix seconds): real time plus ``advance_time`` shifts."""
        return time.time() + self._time_offset

    def advance_time(self, seconds: float) -> None:
        """Move the sandbox clock forward (code expiry after 10 minutes, rate-limit window of one hour)."""
        self._time_offset += seconds

    def last_code(self, email: str) -> str:
        """The last code sent to ``email`` (LookupError if none)."""
        email = email.strip().lower()
        for address, code in reversed(self.sent_codes):
            if address == email:
                return code
        raise LookupError(f"no code was sent to {email}")

    def account_id(self, email: str) -> str:
        """The account id of a registered e-mail (LookupError if unknown)."""
        account_id = self.store.account_id_for_email(email)
        if account_id is None:
            raise LookupError(f"no account for {email}")
        return account_id

    def tickets(self) -> list[StoredTicket]:
        """Every ticket created so far, oldest first (with the request each was created from)."""
        return self.store.tickets()

    def set_ticket_status(self, ticket_id: str, status: str) -> StoredTicket:
        """Change a ticket's status (open, pending, solved, closed) as support staff would; bumps ``updated_at``."""
        if status not in TICKET_STATUSES:
            raise ValueError(f"status must be one of {', '.join(TICKET_STATUSES)}")
        try:
            return self.store.set_ticket_status(ticket_id, status, self.now())
        except NotFoundError as exc:
            raise LookupError(str(exc)) from None

    @property
    def store(self) -> SandboxStore:
        if self._store is None:
            raise RuntimeError("the sandbox is not running")
        return self._store

    # Life cycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._store = await asyncio.to_thread(SandboxStore, self.db)
        self._runner = web.AppRunner(self.make_app(), shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, host, port)
            await site.start()
        except BaseException:
            await self.stop()
            raise
        bound_port = self._runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{url_host}:{bound_port}{API_PREFIX}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=MAX_BODY_BYTES)
        app.router.add_get(f"{API_PREFIX}/health", self._health)
        app.router.add_post(f"{API_PREFIX}/verifications", self._create_verification)
        app.router.add_post(f"{API_PREFIX}/verifications/{{verification_id}}/confirm", self._confirm_verification)
        app.router.add_get(f"{API_PREFIX}/accounts/{{account_id}}", self._get_account)
        app.router.add_post(f"{API_PREFIX}/tickets", self._create_ticket)
        app.router.add_get(f"{API_PREFIX}/tickets/{{ticket_id}}", self._get_ticket)
        return app

    # HTTP

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self.api_key.encode()):
            return ApiError(
                401, "unauthorized", "missing or invalid bearer token (Authorization: Bearer <key>)"
            ).response()
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except ValidationError as exc:
            return ApiError(422, "validation", str(exc)).response()
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = _HTTP_ERROR_CODES.get(exc.status, "http_error")
            message = f"{exc.reason}: {request.method} {request.path}"
            headers = {name: value for name, value in exc.headers.items() if name.lower() in {"allow", "retry-after"}}
            return ApiError(exc.status, code, message, headers).response()
        except Exception:
            log.exception("sandbox error on %s %s", request.method, request.path)
            return ApiError(500, "internal", "unexpected sandbox error (see its log)").response()

    @staticmethod
    async def _json(request: web.Request) -> Any:
        raw = await request.read()
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValidationError("request", "must be a JSON object") from None

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _create_verification(self, request: web.Request) -> web.Response:
        email, discord_user_id = validate_verification_request(await self._json(request))
        verification_id = f"ver_{secrets.token_urlsafe(16)}"
        try:
            created = await asyncio.to_thread(
                self.store.create_verification,
                verification_id,
                email,
                discord_user_id,
                self.now(),
                lambda: f"{secrets.randbelow(1_000_000):06d}",
            )
        except RateLimitedError as exc:
            raise ApiError(
                429, "rate_limited", "too many verification requests, try again later", _retry_after(exc.retry_after)
            ) from None
        if created.code is not None:
            self.sent_codes.append((email, created.code))
            log.info("e-mail to %s: your code is %s", email, created.code)
        else:
            log.info("verification %s for an unknown e-mail (%s): nothing sent", verification_id, email)
        body = {"verification_id": created.verification_id, "expires_at": rfc3339(created.expires_at)}
        return web.json_response(body, status=202)

    async def _confirm_verification(self, request: web.Request) -> web.Response:
        verification_id = request.match_info["verification_id"]
        code = validate_confirmation(await self._json(request))
        try:
            account_id = await asyncio.to_thread(self.store.confirm_verification, verification_id, code, self.now())
        except NotFoundError:
            raise ApiError(404, "not_found", f"verification {verification_id} not found") from None
        except RateLimitedError:
            raise ApiError(
                429, "too_many_attempts", "too many wrong codes: this verification is burnt, request a new code"
            ) from None
        if account_id is None:
            raise ApiError(400, "invalid_code", "the code is wrong or expired")
        return web.json_response({"account_id": account_id})

    async def _get_account(self, request: web.Request) -> web.Response:
        account_id = request.match_info["account_id"]
        account = await asyncio.to_thread(self.store.account, account_id)
        if account is None:
            raise ApiError(404, "not_found", f"account {account_id} not found")
        return web.json_response(account)

    async def _create_ticket(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ApiError(400, "missing_idempotency_key", "the Idempotency-Key header (1-200 characters) is required")
        validate_idempotency_key(key)
        ticket_request = validate_ticket_request(await self._json(request))
        try:
            ticket, created = await asyncio.to_thread(self.store.create_ticket, key, ticket_request, self.now())
        except ConflictError:
            raise ApiError(
                409, "idempotency_conflict", "this Idempotency-Key was already used with a different request body"
            ) from None
        except NotFoundError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        if created:
            log.info("ticket %s created: %s", ticket.ticket_id, ticket.request["subject"])
        headers = {"Location": f"{API_PREFIX}/tickets/{ticket.ticket_id}"}
        return web.json_response(ticket_resource(ticket), status=201 if created else 200, headers=headers)

    async def _get_ticket(self, request: web.Request) -> web.Response:
        ticket_id = request.match_info["ticket_id"]
        ticket = await asyncio.to_thread(self.store.ticket, ticket_id)
        if ticket is None:
            raise ApiError(404, "not_found", f"ticket {ticket_id} not found")
        return web.json_response(ticket_resource(ticket))


def ticket_resource(ticket: StoredTicket) -> dict[str, str]:
    """The Ticket resource of the contract."""
    return {
        "ticket_id": ticket.ticket_id,
        "status": ticket.status,
        "url": ticket.url,
        "created_at": rfc3339(ticket.created_at),
        "updated_at": rfc3339(ticket.updated_at),
    }


@contextlib.asynccontextmanager
async def run_sandbox(
    db: str | Path = ":memory:", api_key: str = "sandbox-key", host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Sandbox]:
    """Run a sandbox for the duration of the block: ``async with run_sandbox(port=0) as sandbox: sandbox.base_url``."""
    sandbox = Sandbox(db=db, api_key=api_key)
    await sandbox.start(host, port)
    try:
        yield sandbox
    finally:
        await sandbox.stop()
