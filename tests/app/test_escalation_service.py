"""EscalationService on a real SQLite file and a fake support client (the real HTTP client is tested elsewhere)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.escalation import EscalationRequest, EscalationService, LinkOutcome, Message, ticket_request
from bot.services.outbox import Outbox, ticket_request_from_payload
from bot.services.store import SqliteStore
from bot.services.support_api import (
    Account,
    App,
    InvalidCode,
    Organization,
    SupportApiUnavailable,
    Ticket,
    TicketRequest,
    Verification,
)
from bot.settings import load_settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "sk_live_" + "a1B2c3D4e5F6g7H8i9J0k1L2"


def account(plan: str = "team", status: str = "active", role: str = "org_admin") -> Account:
    app = App("com.demo.app", "Demo", None)
    org = Organization("org-1", "Demo org", plan, status, (), False, role, (app,))
    return Account("acc-1", (org,))


class FakeSupport:
    """In-process support API: one account, code 123456, counts tickets by idempotency key."""

    def __init__(self) -> None:
        self.account = account()
        self.down = False
        self.tickets: dict[str, TicketRequest] = {}

    async def start_verification(self, email: str, discord_user_id: str) -> Verification:
        return Verification("ver-1", NOW + timedelta(minutes=10))

    async def confirm_verification(self, verification_id: str, code: str) -> str:
        if code != "123456":
            raise InvalidCode("bad code")
        return self.account.account_id

    async def get_account(self, account_id: str) -> Account:
        if self.down:
            raise SupportApiUnavailable("down")
        return self.account

    async def create_ticket(self, request: TicketRequest, idempotency_key: str) -> Ticket:
        self.tickets[idempotency_key] = request
        return Ticket(f"T-{len(self.tickets)}", "open", "https://support.example/T", NOW, NOW)

    async def get_ticket(self, ticket_id: str) -> Ticket:
        return Ticket(ticket_id, "open", "https://support.example/T", NOW, NOW)

    async def health(self) -> bool:
        return not self.down


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / "bot.db")
    yield store
    await store.close()


@pytest.fixture
def support() -> FakeSupport:
    return FakeSupport()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(store: SqliteStore, support: FakeSupport, clock: Clock) -> EscalationService:
    outbox = Outbox(store.escalations, support, ticket_request_from_payload, clock=clock)
    policy = load_settings({}, env_file=None).policy
    return EscalationService(
        store=store.escalations,
        support=support,
        outbox=outbox,
        policy=policy,
        out_of_scope=lambda text: "react" in text,
        clock=clock,
    )


def request(acc: Account, **changes: object) -> EscalationRequest:
    values: dict[str, object] = {
        "guild_id": 1, "channel_id": 30, "thread_id": 30, "parent_id": 20, "source_message_id": 40,
        "message_url": "https://discord.com/channels/1/30/40", "requester_id": 7, "opened_by": 7, "account": acc,
        "org_id": "org-1", "app_id": "com.demo.app", "category": "troubleshooting", "severity": 2,
        "summary": "Updates stopped", "details": f"my key is {SECRET}, please help", "lang": "en",
        "conversation": (Message("ann", NOW, f"here is the log, token {SECRET}"),),
    }  # fmt: skip
    values.update(changes)
    return EscalationRequest(**values)  # type: ignore[arg-type]


async def test_a_bad_address_is_refused_before_any_attempt_is_counted(service: EscalationService) -> None:
    assert (await service.start_link(7, "not-an-address")).outcome is LinkOutcome.BAD_EMAIL
    for _ in range(3):
        assert (await service.start_link(7, "ann@demo.test")).outcome is LinkOutcome.CODE_SENT


async def test_link_requests_are_rate_limited_per_hour(service: EscalationService, clock: Clock) -> None:
    outcomes = [(await service.start_link(7, "ann@demo.test")).outcome for _ in range(4)]
    assert outcomes == [LinkOutcome.CODE_SENT] * 3 + [LinkOutcome.TOO_MANY]
    clock.now += timedelta(hours=1, seconds=1)
    assert (await service.start_link(7, "ann@demo.test")).outcome is LinkOutcome.CODE_SENT


async def test_a_wrong_code_links_nothing_and_the_right_one_links_the_account(service: EscalationService) -> None:
    step = await service.start_link(7, "ann@demo.test")
    assert step.verification_id == "ver-1"
    assert (await service.confirm_link(7, "ver-1", "000000")).outcome is LinkOutcome.INVALID_CODE
    assert await service.linked_account(7) is None
    assert (await service.confirm_link(7, "ver-1", " 123456 ")).outcome is LinkOutcome.DONE
    assert await service.linked_account(7) == "acc-1"
    assert await service.unlink(7) is True
    assert await service.linked_account(7) is None


async def test_the_account_snapshot_serves_while_the_api_is_down_for_a_day(
    service: EscalationService, support: FakeSupport, clock: Clock
) -> None:
    assert await service.account("acc-1") == support.account
    support.down = True
    clock.now += timedelta(hours=23)
    assert await service.account("acc-1") == support.account
    clock.now += timedelta(hours=2)
    assert await service.account("acc-1") is None


async def test_an_ineligible_request_is_refused_and_queues_nothing(
    service: EscalationService, support: FakeSupport, store: SqliteStore
) -> None:
    free = account(plan="free")
    outcome = await service.submit(request(free))
    assert outcome.row is None and outcome.eligibility.failed == "not_paid"
    scoped = await service.submit(request(account(), summary="debug our react app"))
    assert scoped.row is None and scoped.eligibility.failed == "out_of_scope"
    assert support.tickets == {}
    assert await store.escalations.list_escalations(1, status="pending", limit=5) == []


async def test_an_eligible_request_becomes_one_redacted_ticket_however_often_it_is_sent(
    service: EscalationService, support: FakeSupport
) -> None:
    first = await service.submit(request(account()))
    again = await service.submit(request(account(), details=f"my key is  {SECRET},   please help"))
    assert first.row is not None and again.row is not None
    assert first.row.status == "sent" and first.row.ticket_id == "T-1"
    assert again.row.id == first.row.id and len(support.tickets) == 1
    sent = next(iter(support.tickets.values()))
    assert SECRET not in sent.body and SECRET not in sent.transcript[0].content
    assert first.eligibility.tier == "team"
    other = await service.submit(request(account(), summary="Another problem"))
    assert other.row is not None and other.row.id != first.row.id and len(support.tickets) == 2


def test_a_thread_ticket_names_the_parent_channel_and_the_thread() -> None:
    ticket = ticket_request(request(account()))
    assert (ticket.discord.channel_id, ticket.discord.thread_id) == ("20", "30")
    plain = ticket_request(request(account(), thread_id=None, parent_id=None))
    assert (plain.discord.channel_id, plain.discord.thread_id) == ("30", None)
    assert ticket_request_from_payload(ticket.to_json()) == ticket
