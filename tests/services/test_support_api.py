"""HttpSupportApiClient against a real aiohttp server on 127.0.0.1: parsing, error mapping, budget, retries, breaker."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import random
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.services.resilience import CircuitBreaker, Deadline, full_jitter_backoff
from bot.services.support_api import (
    Account,
    App,
    DiscordRef,
    HttpSupportApiClient,
    IdempotencyConflict,
    InvalidCode,
    NotFound,
    Organization,
    RateLimited,
    SupportApiClient,
    SupportApiError,
    SupportApiInvalidResponse,
    SupportApiUnavailable,
    Ticket,
    TicketRequest,
    TooManyAttempts,
    TranscriptLine,
    Unauthorized,
    ValidationFailed,
    Verification,
    redact,
)

API_KEY = "sk_live_TOPSECRET_0123456789"
EMAIL = "alice.customer@example.com"

ACCOUNT_JSON = {
    "account_id": "acc_1",
    "organizations": [
        {
            "org_id": "org_1",
            "name": "Acme",
            "plan": "team",
            "subscription_status": "active",
            "addons": ["premium_support", "usage_credits"],
            "over_quota": False,
            "role": "org_admin",
            "apps": [
                {"app_id": "com.acme.app", "name": "Acme", "role": "app_admin"},
                {"app_id": "com.acme.beta", "name": "Acme Beta", "role": None},
            ],
        },
        {
            "org_id": "org_2",
            "name": "Side project",
            "plan": "free",
            "subscription_status": "none",
            "addons": [],
            "over_quota": True,
            "role": None,
            "apps": [],
        },
    ],
}
TICKET_JSON = {
    "ticket_id": "T-1001",
    "status": "open",
    "url": "https://support.example.com/tickets/T-1001",
    "created_at": "2030-01-02T03:04:05Z",
    "updated_at": "2030-01-02T05:04:05+02:00",
    "extra_field_from_a_newer_api": True,
}
EXPECTED_TICKET = Ticket(
    ticket_id="T-1001",
    status="open",
    url="https://support.example.com/tickets/T-1001",
    created_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
    updated_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
)


# ------------------------------------------------------------------------------------------ the test server


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded unless raw is set
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    raw_path: str
    headers: dict[str, str]
    body: Any


class FakeApi:
    """Scripted replies per (method, path); the last reply of a script repeats. Records every request."""

    def __init__(self) -> None:
        self.scripts: dict[tuple[str, str], list[Reply]] = {}
        self.seen: list[Seen] = []
        self.release = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self.base_url = ""

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self.scripts[(method, "/v1" + path)] = list(replies)

    def count(self, method: str, path: str) -> int:
        return sum(1 for s in self.seen if s.method == method and s.path == "/v1" + path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        text = await request.text()
        self.seen.append(
            Seen(
                request.method,
                request.path,
                request.raw_path,
                dict(request.headers),
                json.loads(text) if text else None,
            )
        )
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {API_KEY}":
            # A careless server echoing the credentials: the client must redact them.
            return web.json_response({"error": "unauthorized", "message": f"bad credentials: {auth}"}, status=401)
        script = self.scripts.get((request.method, request.path))
        if not script:
            return web.json_response({"error": "not_found", "message": "no such route"}, status=404)
        reply = script.pop(0) if len(script) > 1 else script[0]
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), timeout=reply.delay)
        if reply.raw is not None:
            return web.Response(status=reply.status, body=reply.raw, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    fake = FakeApi()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.base_url = str(server.make_url("/v1"))
    yield fake
    fake.release.set()
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


class Sleeps:
    """Instant sleep that records the requested delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(api: FakeApi, session: aiohttp.ClientSession, **kwargs: Any) -> HttpSupportApiClient:
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("rng", random.Random(0))
    return HttpSupportApiClient(session, kwargs.pop("base_url", api.base_url), kwargs.pop("api_key", API_KEY), **kwargs)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ticket_request() -> TicketRequest:
    return TicketRequest(
        account_id="acc_1",
        org_id="org_1",
        app_id="com.acme.app",
        category="live_updates",
        severity=2,
        subject="Update not applied",
        body="The bundle 1.2.3 is never downloaded.",
        transcript=(
            TranscriptLine("alice", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), "my update is stuck"),
            TranscriptLine("helper", datetime(2030, 1, 2, 5, 5, tzinfo=timezone(timedelta(hours=2))), "which version?"),
        ),
        discord=DiscordRef(
            guild_id="1", channel_id="2", thread_id=None, message_url="https://discord.com/channels/1/2/4"
        ),
    )


# ------------------------------------------------------------------------------------------ success paths


async def test_health_sends_the_bearer_key_and_reads_ok(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("GET", "/health", Reply(200, {"status": "ok"}))
    client = make_client(api, session, base_url=api.base_url + "/")  # a trailing slash is tolerated

    assert await client.health() is True
    assert [(s.method, s.path) for s in api.seen] == [("GET", "/v1/health")]
    assert api.seen[0].headers["Authorization"] == f"Bearer {API_KEY}"
    assert api.seen[0].headers["Accept"] == "application/json"


async def test_health_is_false_when_not_ok_or_down(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("GET", "/health", Reply(200, {"status": "degraded"}))
    assert await make_client(api, session).health() is False

    api.script("GET", "/health", Reply(503, {"error": "down", "message": "maintenance"}))
    assert await make_client(api, session, max_retries=0).health() is False

    refused = make_client(api, session, base_url=f"http://127.0.0.1:{closed_port()}/v1")
    assert await refused.health() is False


async def test_start_verification_posts_email_and_parses_202(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/verifications", Reply(202, {"verification_id": "ver_1", "expires_at": "2030-01-02T03:14:05Z"}))

    verification = await make_client(api, session).start_verification(EMAIL, "123456789")

    assert verification == Verification("ver_1", datetime(2030, 1, 2, 3, 14, 5, tzinfo=UTC))
    assert api.seen[0].body == {"email": EMAIL, "discord_user_id": "123456789"}
    assert api.seen[0].headers["Content-Type"] == "application/json"


async def test_confirm_verification_returns_account_id(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/verifications/ver_1/confirm", Reply(200, {"account_id": "acc_1"}))

    assert await make_client(api, session).confirm_verification("ver_1", "123456") == "acc_1"
    assert api.seen[0].body == {"code": "123456"}


async def test_get_account_parses_every_field(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("GET", "/accounts/acc_1", Reply(200, ACCOUNT_JSON))

    account = await make_client(api, session).get_account("acc_1")

    assert account == Account(
        account_id="acc_1",
        organizations=(
            Organization(
                org_id="org_1",
                name="Acme",
                plan="team",
                subscription_status="active",
                addons=("premium_support", "usage_credits"),
                over_quota=False,
                role="org_admin",
                apps=(App("com.acme.app", "Acme", "app_admin"), App("com.acme.beta", "Acme Beta", None)),
            ),
            Organization(
                org_id="org_2",
                name="Side project",
                plan="free",
                subscription_status="none",
                addons=(),
                over_quota=True,
                role=None,
                apps=(),
            ),
        ),
    )


async def test_ids_are_escaped_as_one_path_segment(api: FakeApi, session: aiohttp.ClientSession) -> None:
    with pytest.raises(NotFound):
        await make_client(api, session).get_ticket("T/../1?x=1")
    assert api.seen[0].raw_path == "/v1/tickets/T%2F..%2F1%3Fx=1"  # "=" is harmless inside a path segment


async def test_create_ticket_posts_request_with_idempotency_key(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/tickets", Reply(201, TICKET_JSON), Reply(200, TICKET_JSON))
    client = make_client(api, session)

    first = await client.create_ticket(ticket_request(), "escalation-42")
    replay = await client.create_ticket(ticket_request(), "escalation-42")

    assert first == EXPECTED_TICKET
    assert replay == EXPECTED_TICKET
    assert [s.headers["Idempotency-Key"] for s in api.seen] == ["escalation-42", "escalation-42"]
    assert api.seen[0].body == ticket_request().to_json()


async def test_create_ticket_rejects_bad_idempotency_keys_locally(api: FakeApi, session: aiohttp.ClientSession) -> None:
    client = make_client(api, session)
    for key in ("", "k" * 201):
        with pytest.raises(ValueError, match="idempotency_key"):
            await client.create_ticket(ticket_request(), key)
    assert api.seen == []


async def test_get_ticket_parses_and_normalises_times_to_utc(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("GET", "/tickets/T-1001", Reply(200, TICKET_JSON))

    ticket = await make_client(api, session).get_ticket("T-1001")

    assert ticket == EXPECTED_TICKET
    assert ticket.updated_at.tzinfo is UTC


def test_ticket_request_to_json_matches_the_contract() -> None:
    assert ticket_request().to_json() == {
        "account_id": "acc_1",
        "org_id": "org_1",
        "app_id": "com.acme.app",
        "category": "live_updates",
        "severity": 2,
        "subject": "Update not applied",
        "body": "The bundle 1.2.3 is never downloaded.",
        "transcript": [
            {"author": "alice", "at": "2030-01-02T03:04:05Z", "content": "my update is stuck"},
            {"author": "helper", "at": "2030-01-02T03:05:00Z", "content": "which version?"},
        ],
        "discord": {
            "guild_id": "1",
            "channel_id": "2",
            "thread_id": None,
            "message_url": "https://discord.com/channels/1/2/4",
        },
    }


def test_transcript_line_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TranscriptLine("alice", datetime(2030, 1, 2, 3, 4, 5), "hi")  # noqa: DTZ001 - the point of the test


def test_http_client_matches_the_protocol_signatures() -> None:
    methods = ("start_verification", "confirm_verification", "get_account", "create_ticket", "get_ticket", "health")
    for name in methods:
        protocol_sig = inspect.signature(getattr(SupportApiClient, name))
        http_sig = inspect.signature(getattr(HttpSupportApiClient, name))
        assert http_sig == protocol_sig, name
        assert inspect.iscoroutinefunction(getattr(HttpSupportApiClient, name)), name


# ------------------------------------------------------------------------------------------ error mapping


@pytest.mark.parametrize(
    ("method", "path", "reply", "exc_type", "status", "code"),
    [
        ("GET", "/tickets/T-1", Reply(404, {"error": "not_found", "message": "no"}), NotFound, 404, "not_found"),
        ("GET", "/tickets/T-1", Reply(403, {"error": "forbidden", "message": "no"}), Unauthorized, 403, "forbidden"),
        ("GET", "/tickets/T-1", Reply(418, {"error": "teapot", "message": "short"}), SupportApiError, 418, "teapot"),
        ("GET", "/tickets/T-1", Reply(302, raw=b"", headers={"Location": "/elsewhere"}), SupportApiError, 302, None),
        ("GET", "/tickets/T-1", Reply(204, raw=b""), SupportApiInvalidResponse, 204, "unexpected_status"),
        (
            "POST",
            "/verifications",
            Reply(422, {"error": "validation", "message": "not an e-mail"}),
            ValidationFailed,
            422,
            "validation",
        ),
        (
            "POST",
            "/verifications/ver_1/confirm",
            Reply(400, {"error": "invalid_code", "message": "wrong"}),
            InvalidCode,
            400,
            "invalid_code",
        ),
        (
            "POST",
            "/verifications/ver_1/confirm",
            Reply(429, {"error": "too_many_attempts", "message": "burned"}),
            TooManyAttempts,
            429,
            "too_many_attempts",
        ),
        (
            "POST",
            "/verifications/ver_1/confirm",
            Reply(404, {"error": "not_found", "message": "no"}),
            NotFound,
            404,
            "not_found",
        ),
        (
            "POST",
            "/tickets",
            Reply(409, {"error": "idempotency_conflict", "message": "different body"}),
            IdempotencyConflict,
            409,
            "idempotency_conflict",
        ),
        (
            "POST",
            "/tickets",
            Reply(400, {"error": "missing_idempotency_key", "message": "header required"}),
            ValidationFailed,
            400,
            "missing_idempotency_key",
        ),
        ("POST", "/tickets", Reply(404, {"error": "not_found", "message": "account"}), NotFound, 404, "not_found"),
        (
            "GET",
            "/tickets/T-1",
            Reply(500, {"error": "internal", "message": "x"}),
            SupportApiUnavailable,
            500,
            "internal",
        ),
        ("GET", "/tickets/T-1", Reply(502, raw=b"<html>Bad gateway</html>"), SupportApiUnavailable, 502, None),
        ("GET", "/tickets/T-1", Reply(504, raw=b""), SupportApiUnavailable, 504, None),
    ],
)
async def test_error_statuses_map_to_typed_errors(
    api: FakeApi,
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    reply: Reply,
    exc_type: type[SupportApiError],
    status: int,
    code: str | None,
) -> None:
    api.script(method, path, reply)
    client = make_client(api, session, max_retries=0)
    calls = {
        "/tickets/T-1": lambda: client.get_ticket("T-1"),
        "/verifications": lambda: client.start_verification(EMAIL, "42"),
        "/verifications/ver_1/confirm": lambda: client.confirm_verification("ver_1", "000000"),
        "/tickets": lambda: client.create_ticket(ticket_request(), "key-1"),
    }

    with pytest.raises(SupportApiError) as info:
        await calls[path]()

    assert type(info.value) is exc_type
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.retryable is (exc_type is SupportApiUnavailable or exc_type is SupportApiInvalidResponse)
    assert len(api.seen) == 1


async def test_rate_limited_carries_retry_after(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script(
        "POST",
        "/verifications",
        Reply(429, {"error": "rate_limited", "message": "5 per hour"}, headers={"Retry-After": "120"}),
    )

    with pytest.raises(RateLimited) as info:
        await make_client(api, session).start_verification(EMAIL, "42")

    assert info.value.retry_after == 120.0
    assert (info.value.status, info.value.code, info.value.retryable) == (429, "rate_limited", False)
    assert len(api.seen) == 1


async def test_rate_limited_without_retry_after_header(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/verifications", Reply(429, {"error": "rate_limited", "message": "slow down"}))

    with pytest.raises(RateLimited) as info:
        await make_client(api, session).start_verification(EMAIL, "42")

    assert info.value.retry_after is None


async def test_validation_message_is_kept_with_email_redacted(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/verifications", Reply(422, {"error": "validation", "message": f"'{EMAIL}' is not valid"}))

    with pytest.raises(ValidationFailed) as info:
        await make_client(api, session).start_verification(EMAIL, "42")

    assert info.value.message == "'<email>' is not valid"
    assert str(info.value) == "validation failed: '<email>' is not valid"


async def test_wrong_api_key_is_unauthorized_and_never_echoed(
    api: FakeApi, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_key = "sk_live_WRONG_KEY_987654"
    client = make_client(api, session, api_key=wrong_key)

    with pytest.raises(Unauthorized) as info:
        await client.get_account("acc_1")

    assert str(info.value) == "HTTP 401 unauthorized: bad credentials: Bearer <redacted>"
    assert (info.value.status, info.value.code, info.value.retryable) == (401, "unauthorized", False)
    assert len(api.seen) == 1  # 4xx: no retry
    assert wrong_key not in caplog.text
    assert wrong_key not in repr(client)


# ------------------------------------------------------------------------------------------ strict parsing


def _account_with(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(ACCOUNT_JSON))
    org_changes = changes.pop("org", {})
    app_changes = changes.pop("app", {})
    data["organizations"][0]["apps"][0].update(app_changes)
    data["organizations"][0].update(org_changes)
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "payload",
    [
        [ACCOUNT_JSON],
        "acc_1",
        None,
        {"account_id": "acc_1"},
        _account_with(account_id=1),
        _account_with(account_id="acc_2"),  # another customer's data
        _account_with(organizations={"org_1": {}}),
        _account_with(organizations=[None]),
        _account_with(org={"plan": None}),
        _account_with(org={"over_quota": "false"}),
        _account_with(org={"over_quota": 0}),
        _account_with(org={"addons": "premium_support"}),
        _account_with(org={"addons": [1]}),
        _account_with(org={"role": 5}),
        _account_with(org={"apps": None}),
        _account_with(app={"name": None}),
        _account_with(app={"app_id": ""}),
    ],
)
async def test_account_with_wrong_shape_is_invalid(api: FakeApi, session: aiohttp.ClientSession, payload: Any) -> None:
    api.script("GET", "/accounts/acc_1", Reply(200, payload))

    with pytest.raises(SupportApiInvalidResponse) as info:
        await make_client(api, session, max_retries=0).get_account("acc_1")

    assert info.value.status == 200
    assert info.value.code in ("invalid_shape", "id_mismatch")
    assert info.value.retryable is True


@pytest.mark.parametrize(
    "changes",
    [
        {"created_at": "yesterday"},
        {"created_at": "2030-01-02T03:04:05"},  # no offset
        {"updated_at": 1893553445},
        {"status": None},
        {"url": ["https://x"]},
        {"ticket_id": "T-9999"},  # not the ticket asked for
    ],
)
async def test_ticket_with_wrong_shape_is_invalid(
    api: FakeApi, session: aiohttp.ClientSession, changes: dict[str, Any]
) -> None:
    api.script("GET", "/tickets/T-1001", Reply(200, {**TICKET_JSON, **changes}))

    with pytest.raises(SupportApiInvalidResponse):
        await make_client(api, session, max_retries=0).get_ticket("T-1001")


@pytest.mark.parametrize("raw", [b"{not json", b"<html>Service Unavailable</html>", b"", b"\xff\xfe\x00"])
async def test_malformed_json_is_invalid_response(api: FakeApi, session: aiohttp.ClientSession, raw: bytes) -> None:
    api.script("POST", "/verifications/ver_1/confirm", Reply(200, raw=raw))

    with pytest.raises(SupportApiInvalidResponse) as info:
        await make_client(api, session).confirm_verification("ver_1", "123456")

    assert (info.value.status, info.value.code) == (200, "malformed_json")
    assert len(api.seen) == 1  # confirm is never retried


async def test_verification_without_expiry_is_invalid(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/verifications", Reply(202, {"verification_id": "ver_1"}))

    with pytest.raises(SupportApiInvalidResponse, match="expires_at"):
        await make_client(api, session).start_verification(EMAIL, "42")
    assert len(api.seen) == 1


# ------------------------------------------------------------------------------------------ retries


async def test_get_ticket_retries_503_then_succeeds_with_jittered_backoff(
    api: FakeApi, session: aiohttp.ClientSession
) -> None:
    api.script("GET", "/tickets/T-1001", Reply(503), Reply(503), Reply(200, TICKET_JSON))
    sleeps = Sleeps()

    ticket = await make_client(api, session, sleep=sleeps, rng=random.Random(7)).get_ticket("T-1001")

    assert ticket == EXPECTED_TICKET
    assert api.count("GET", "/tickets/T-1001") == 3
    expected = random.Random(7)
    assert sleeps.delays == [expected.uniform(0, 0.1), expected.uniform(0, 0.2)]


async def test_get_account_retries_connection_drop_and_malformed_json(
    api: FakeApi, session: aiohttp.ClientSession
) -> None:
    api.script("GET", "/accounts/acc_1", Reply(500), Reply(200, raw=b"{truncated"), Reply(200, ACCOUNT_JSON))

    account = await make_client(api, session).get_account("acc_1")

    assert account.account_id == "acc_1"
    assert api.count("GET", "/accounts/acc_1") == 3


async def test_retries_stop_after_max_retries(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("GET", "/tickets/T-1", Reply(503, {"error": "unavailable", "message": "deploying"}))

    with pytest.raises(SupportApiUnavailable) as info:
        await make_client(api, session, max_retries=2).get_ticket("T-1")

    assert str(info.value) == "HTTP 503 unavailable: deploying"
    assert info.value.status == 503
    assert api.count("GET", "/tickets/T-1") == 3


async def test_create_ticket_retries_with_the_same_idempotency_key(
    api: FakeApi, session: aiohttp.ClientSession
) -> None:
    api.script("POST", "/tickets", Reply(503), Reply(502), Reply(201, TICKET_JSON))

    ticket = await make_client(api, session).create_ticket(ticket_request(), "escalation-7")

    assert ticket == EXPECTED_TICKET
    assert [s.headers["Idempotency-Key"] for s in api.seen] == ["escalation-7"] * 3
    assert all(s.body == ticket_request().to_json() for s in api.seen)


async def test_create_ticket_is_not_retried_on_4xx(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/tickets", Reply(422, {"error": "validation", "message": "subject too long"}))

    with pytest.raises(ValidationFailed) as info:
        await make_client(api, session).create_ticket(ticket_request(), "escalation-8")

    assert info.value.message == "subject too long"
    assert api.count("POST", "/tickets") == 1


async def test_start_verification_is_never_retried(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script(
        "POST", "/verifications", Reply(503), Reply(202, {"verification_id": "v", "expires_at": "2030-01-01T00:00:00Z"})
    )

    with pytest.raises(SupportApiUnavailable) as info:
        await make_client(api, session, max_retries=5).start_verification(EMAIL, "42")

    assert info.value.status == 503
    assert api.count("POST", "/verifications") == 1


async def test_confirm_verification_is_never_retried(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/verifications/ver_1/confirm", Reply(502), Reply(200, {"account_id": "acc_1"}))

    with pytest.raises(SupportApiUnavailable) as info:
        await make_client(api, session, max_retries=5).confirm_verification("ver_1", "123456")

    assert info.value.status == 502
    assert api.count("POST", "/verifications/ver_1/confirm") == 1


async def test_get_is_not_retried_on_404(api: FakeApi, session: aiohttp.ClientSession) -> None:
    with pytest.raises(NotFound):
        await make_client(api, session).get_ticket("T-404")
    assert api.count("GET", "/tickets/T-404") == 1


async def test_get_retries_429_when_retry_after_fits_the_budget(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script(
        "GET",
        "/tickets/T-1001",
        Reply(429, {"error": "rate_limited", "message": "x"}, headers={"Retry-After": "0.05"}),
        Reply(200, TICKET_JSON),
    )
    sleeps = Sleeps()

    assert await make_client(api, session, sleep=sleeps).get_ticket("T-1001") == EXPECTED_TICKET
    assert sleeps.delays == [0.05]
    assert api.count("GET", "/tickets/T-1001") == 2


async def test_get_does_not_wait_for_a_retry_after_beyond_the_budget(
    api: FakeApi, session: aiohttp.ClientSession
) -> None:
    api.script(
        "GET",
        "/tickets/T-1001",
        Reply(429, {"error": "rate_limited", "message": "x"}, headers={"Retry-After": "60"}),
        Reply(200, TICKET_JSON),
    )
    sleeps = Sleeps()

    with pytest.raises(RateLimited) as info:
        await make_client(api, session, sleep=sleeps).get_ticket("T-1001")

    assert info.value.retry_after == 60.0
    assert sleeps.delays == []
    assert api.count("GET", "/tickets/T-1001") == 1


# ------------------------------------------------------------------------------------------ budget


async def test_slow_server_is_cut_at_the_budget(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("GET", "/tickets/T-1001", Reply(200, TICKET_JSON, delay=5.0))
    client = make_client(api, session, budget=0.3, sleep=asyncio.sleep)

    started = time.monotonic()
    with pytest.raises(SupportApiUnavailable) as info:
        await client.get_ticket("T-1001")
    elapsed = time.monotonic() - started

    assert elapsed < 0.3 + 0.2
    assert (info.value.status, info.value.code, info.value.retryable) == (None, "timeout", True)
    assert api.count("GET", "/tickets/T-1001") == 1  # the budget was spent: no retry


async def test_budget_covers_retries_and_backoff(api: FakeApi, session: aiohttp.ClientSession) -> None:
    # 1st attempt: 503 after 0.1 s; backoff; 2nd attempt gets only the rest of the budget and times out.
    api.script("POST", "/tickets", Reply(503, delay=0.1), Reply(201, TICKET_JSON, delay=5.0))
    client = make_client(api, session, budget=0.3, sleep=asyncio.sleep, backoff_base=0.02)

    started = time.monotonic()
    with pytest.raises(SupportApiUnavailable) as info:
        await client.create_ticket(ticket_request(), "escalation-9")
    elapsed = time.monotonic() - started

    assert elapsed < 0.3 + 0.2
    assert info.value.code == "timeout"
    assert api.count("POST", "/tickets") == 2


async def test_slow_start_verification_times_out_once(api: FakeApi, session: aiohttp.ClientSession) -> None:
    api.script("POST", "/verifications", Reply(202, {"verification_id": "v"}, delay=5.0))

    started = time.monotonic()
    with pytest.raises(SupportApiUnavailable):
        await make_client(api, session, budget=0.3).start_verification(EMAIL, "42")

    assert time.monotonic() - started < 0.3 + 0.2
    assert api.count("POST", "/verifications") == 1


async def test_connection_refused_is_unavailable(session: aiohttp.ClientSession) -> None:
    client = HttpSupportApiClient(
        session, f"http://127.0.0.1:{closed_port()}/v1", API_KEY, max_retries=1, sleep=Sleeps(), rng=random.Random(0)
    )

    with pytest.raises(SupportApiUnavailable) as info:
        await client.get_account("acc_1")

    assert (info.value.status, info.value.code, info.value.retryable) == (None, "connection_error", True)
    assert str(info.value) == "connection failed (ClientConnectorError)"
    assert client.breaker.consecutive_failures == 2  # both attempts counted


# ------------------------------------------------------------------------------------------ circuit breaker


async def test_breaker_opens_after_n_failures_and_blocks_the_network(
    api: FakeApi, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.services.resilience")
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=30.0, clock=clock)
    api.script("GET", "/tickets/T-1001", Reply(503))
    client = make_client(api, session, max_retries=0, breaker=breaker)

    for _ in range(3):
        with pytest.raises(SupportApiUnavailable) as info:
            await client.get_ticket("T-1001")
        assert info.value.status == 503
    assert client.circuit_state == "open"

    with pytest.raises(SupportApiUnavailable) as info:
        await client.get_ticket("T-1001")
    assert (str(info.value), info.value.code, info.value.status) == ("circuit open", "circuit_open", None)
    with pytest.raises(SupportApiUnavailable):
        await client.create_ticket(ticket_request(), "k")
    assert await client.health() is False
    assert len(api.seen) == 3  # nothing reached the server while open
    assert [r.levelname for r in caplog.records if "-> open" in r.message] == ["WARNING"]

    # After reset_after: half-open, one trial goes through; its success closes the circuit.
    clock.now += 29.9
    assert breaker.state == "open"
    clock.now += 0.1
    assert breaker.state == "half_open"
    api.script("GET", "/tickets/T-1001", Reply(200, TICKET_JSON))
    assert await client.get_ticket("T-1001") == EXPECTED_TICKET
    assert breaker.state == "closed"
    assert len(api.seen) == 4
    assert "circuit support_api: half_open -> closed" in caplog.text


async def test_failed_half_open_trial_reopens(api: FakeApi, session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10.0, clock=clock)
    api.script("GET", "/tickets/T-1001", Reply(504))
    client = make_client(api, session, max_retries=3, breaker=breaker)

    with pytest.raises(SupportApiUnavailable) as first:
        await client.get_ticket("T-1001")
    assert first.value.status == 504
    assert len(api.seen) == 1  # no retry once the circuit is open
    assert breaker.state == "open"

    clock.now += 10.0
    with pytest.raises(SupportApiUnavailable) as trial:
        await client.get_ticket("T-1001")
    assert trial.value.status == 504
    assert breaker.state == "open"
    assert len(api.seen) == 2  # exactly one trial

    clock.now += 9.0
    with pytest.raises(SupportApiUnavailable, match="circuit open"):
        await client.get_ticket("T-1001")
    assert len(api.seen) == 2


async def test_4xx_do_not_trip_the_breaker(api: FakeApi, session: aiohttp.ClientSession) -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_after=30.0, clock=FakeClock())
    client = make_client(api, session, breaker=breaker)

    for _ in range(4):
        with pytest.raises(NotFound):
            await client.get_ticket("T-404")

    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 0
    assert len(api.seen) == 4


async def test_retried_attempts_count_towards_the_breaker(api: FakeApi, session: aiohttp.ClientSession) -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_after=30.0, clock=FakeClock())
    api.script("GET", "/accounts/acc_1", Reply(503))

    with pytest.raises(SupportApiUnavailable):
        await make_client(api, session, max_retries=2, breaker=breaker).get_account("acc_1")

    assert len(api.seen) == 3
    assert breaker.state == "open"


def test_breaker_unit_transitions() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=5.0, clock=clock)

    breaker.record_failure()
    breaker.record_success()  # success resets the consecutive count
    breaker.record_failure()
    assert (breaker.state, breaker.consecutive_failures) == ("closed", 1)

    breaker.record_failure()
    assert breaker.state == "open"
    assert breaker.try_acquire() is False
    assert breaker.seconds_until_trial() == 5.0

    clock.now += 5.0
    assert breaker.try_acquire() is True  # the one trial
    assert breaker.try_acquire() is False  # a second concurrent call is refused
    breaker.release()  # the trial was cancelled: no verdict, slot freed
    assert breaker.try_acquire() is True
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.try_acquire() is True


def test_breaker_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError, match="reset_after"):
        CircuitBreaker(reset_after=-1)


def test_full_jitter_backoff_bounds_and_cap() -> None:
    rng = random.Random(3)
    delays = [full_jitter_backoff(attempt, base=0.1, cap=0.5, rng=rng) for attempt in range(6) for _ in range(50)]
    by_attempt = [delays[i * 50 : (i + 1) * 50] for i in range(6)]
    assert [round(max(d), 1) for d in by_attempt] == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert min(delays) >= 0.0
    with pytest.raises(ValueError, match="attempt"):
        full_jitter_backoff(-1, rng=rng)


def test_deadline_counts_down_on_the_injected_clock() -> None:
    clock = FakeClock()
    deadline = Deadline(3.0, clock)
    clock.now += 2.0
    assert deadline.remaining() == 1.0
    assert deadline.allows(0.9) is True
    assert deadline.allows(1.0) is False
    clock.now += 5.0
    assert deadline.remaining() == 0.0


# ------------------------------------------------------------------------------------------ secrets


async def test_api_key_and_email_never_leak_into_errors_or_logs(
    api: FakeApi, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.script(
        "POST",
        "/verifications",
        Reply(422, {"error": "validation", "message": f"{EMAIL} rejected for key {API_KEY}"}),
        Reply(503, {"error": "unavailable", "message": f"Authorization: Bearer {API_KEY} for {EMAIL}"}),
        Reply(200, raw=f"oops {API_KEY} {EMAIL}".encode()),
    )
    api.script("GET", "/accounts/acc_1", Reply(200, {"account_id": "acc_1", "organizations": [{"org_id": EMAIL}]}))
    client = make_client(api, session, max_retries=0)
    refused = make_client(api, session, base_url=f"http://127.0.0.1:{closed_port()}/v1")
    errors: list[SupportApiError] = []
    for call in (
        lambda: client.start_verification(EMAIL, "42"),
        lambda: client.start_verification(EMAIL, "42"),
        lambda: client.start_verification(EMAIL, "42"),
        lambda: client.get_account("acc_1"),
        lambda: refused.start_verification(EMAIL, "42"),
    ):
        with pytest.raises(SupportApiError) as info:
            await call()
        errors.append(info.value)

    assert [type(e) for e in errors] == [
        ValidationFailed,
        SupportApiUnavailable,
        SupportApiInvalidResponse,
        SupportApiInvalidResponse,
        SupportApiUnavailable,
    ]
    assert str(errors[0]) == "validation failed: <email> rejected for key <redacted>"
    assert str(errors[1]) == "HTTP 503 unavailable: Authorization: Bearer <redacted> for <email>"
    for error in errors:
        for text in (str(error), repr(error), getattr(error, "message", "")):
            assert API_KEY not in text
            assert EMAIL not in text
    assert "support API" in caplog.text  # the failures were logged...
    assert API_KEY not in caplog.text  # ...without the key
    assert EMAIL not in caplog.text  # ...or the e-mail
    assert API_KEY not in repr(client)


def test_redact_helper() -> None:
    assert redact("a b@c.io x Bearer abc.def k3y", "k3y") == "a <email> x Bearer <redacted> <redacted>"
    assert redact("nothing here", "") == "nothing here"
