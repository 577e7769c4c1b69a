"""Official support end to end: fake Discord + the real bot + the sandbox support API over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.app.composition import build_deps, build_engine, utcnow
from bot.bot import SupportBot
from bot.core.decision import Incident
from bot.core.faq import render
from bot.services.store import SqliteStore
from bot.settings import load_settings
from sandbox import run_sandbox
from tests.fake_discord import FakeDiscord, point_discord_py_at, run_bot
from tests.support_faults import FaultyProxy


class TestClock:
    """The bot's clock in these tests: real time plus an offset a test may move forward."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


DATA = Path(__file__).resolve().parents[1] / "data"
PROBLEM = "our production app stopped receiving live updates since this morning, Android 14, plugin 7.17.0"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        with point_discord_py_at(server):
            yield server
    server.assert_clean()


@pytest.fixture
async def sandbox():
    async with run_sandbox(db=":memory:", api_key="test-key") as running:
        yield running


@contextlib.asynccontextmanager
async def support_bot(fake: FakeDiscord, tmp_path: Path, api_url: str) -> AsyncIterator[SupportBot]:
    settings = load_settings(
        {
            "FAQ_PATH": str(DATA / "faq"),
            "DOCS_PATH": str(DATA / "docs"),
            "SUPPORT_API_URL": api_url,
            "SUPPORT_API_KEY": "test-key",
            "STATUS_URL": "off",
        },
        env_file=None,
    )
    store = await SqliteStore.open(tmp_path / "bot.db")
    log_channel = fake.channel_id("bot-log") if "bot-log" in _names(fake) else fake.add_text_channel("bot-log")
    await store.config.watch_channel(fake.guild_id, fake.channel_id("general"))
    await store.config.update_config(
        fake.guild_id,
        volunteer_role_ids=(fake.role_id("Volunteer"),),
        staff_role_ids=(fake.role_id("Staff"),),
        staff_log_channel_id=log_channel,
        channel_cooldown_seconds=0,
    )
    async with aiohttp.ClientSession() as session:
        deps = build_deps(settings, build_engine(settings), store, session, clock=TestClock())
        deps.outbox.backoff = type(deps.outbox.backoff)(base=0.05, cap=0.2)  # fast retries in tests
        bot = SupportBot(deps, guild_ready_timeout=0.05)
        try:
            async with run_bot(bot, fake.token, fake=fake):
                guild = bot.get_guild(fake.guild_id)
                bot.tree.copy_global_to(guild=guild)
                await bot.tree.sync(guild=guild)
                yield bot
        finally:
            await store.close()


def _names(fake: FakeDiscord) -> set[str]:
    return {c.get("name") for c in fake.channels.values()}


async def link(fake: FakeDiscord, sandbox, user_id: int, email: str) -> None:
    """The full /link flow: e-mail form, code e-mailed (sandbox), code form."""
    general = fake.channel_id("general")
    opened = await (await fake.slash_command(general, user_id, "link", {})).wait_response()
    assert opened["type"] == 9  # the e-mail form
    submitted = await fake.submit_modal(general, user_id, "link:email-form", {"link:email": email})
    sent = await submitted.wait_followup()
    assert sent["flags"] & 64 and email not in sent["content"]  # private; the address is never echoed
    button = sent["components"][0]["components"][0]["custom_id"]
    code_form = await fake.click_button(general, user_id, int(submitted.original_message_id), button)
    assert (await code_form.wait_response())["type"] == 9
    confirm = await fake.submit_modal(general, user_id, "link:code-form", {"link:code": sandbox.last_code(email)})
    done = await confirm.wait_followup()
    assert done["flags"] & 64


SUMMARY = "Updates stopped in production"
DETAILS = PROBLEM + "\napikey ak_live_1234567890abcdef"


async def escalate(
    fake: FakeDiscord,
    user_id: int,
    *,
    category: str = "live_updates",
    severity: str = "1",
    summary: str = SUMMARY,
    details: str = DETAILS,
):
    """Run /escalate and fill the form; return the form message and the final private followup."""
    general = fake.channel_id("general")
    opened = await fake.slash_command(general, user_id, "escalate", {})
    form = await opened.wait_followup()
    form_id = int(opened.original_message_id)
    await (await fake.select(general, user_id, form_id, "esc:category", [category])).wait_response()
    await (await fake.select(general, user_id, form_id, "esc:severity", [severity])).wait_response()
    return form, await submit_form(fake, user_id, form_id, summary=summary, details=details)


async def submit_form(fake: FakeDiscord, user_id: int, form_id: int, *, summary: str = SUMMARY,
                      details: str = DETAILS) -> dict:  # fmt: skip
    """Press Continue on an open escalation form and submit the text form; return the final private followup."""
    general = fake.channel_id("general")
    modal = await fake.click_button(general, user_id, form_id, "esc:continue")
    assert (await modal.wait_response())["type"] == 9
    submitted = await fake.submit_modal(general, user_id, "esc:form", {"esc:summary": summary, "esc:details": details})
    return await submitted.wait_followup(timeout=10)


async def test_link_escalate_ticket_and_staff_notice(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await link(fake, sandbox, alice, "enterprise@demo.test")
        assert await bot.deps.store.escalations.linked_account(alice) == sandbox.account_id("enterprise@demo.test")
        general = fake.channel_id("general")
        await fake.user_sends(general, alice, PROBLEM)
        _, result = await escalate(fake, alice)
        assert "T-1001" in result["content"] and result["flags"] & 64
        assert "1 hour" in result["content"]  # Enterprise SLA for severity 1, shown privately only
        staff = await fake.wait_for_message(fake.channel_id("bot-log"), lambda m: "New ticket T-1001" in m["content"])
        assert "Tier: enterprise" in staff["content"] and "severity 1" in staff["content"]
        public = await fake.wait_for_message(general, lambda m: "T-1001" in m.get("content", ""))
        assert "enterprise" not in public["content"].lower() and "@demo.test" not in public["content"]
        [ticket] = sandbox.tickets()
        assert ticket.request["severity"] == 1 and ticket.request["category"] == "live_updates"
        assert "ak_live_1234567890abcdef" not in str(ticket.request)  # secrets redacted before leaving the bot
        assert any(PROBLEM[:40] in line["content"] for line in ticket.request["transcript"])


async def test_ineligible_user_gets_a_private_explanation(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    bob = fake.add_user("bob")
    async with support_bot(fake, tmp_path, sandbox.base_url):
        await link(fake, sandbox, bob, "free@demo.test")
        opened = await fake.slash_command(fake.channel_id("general"), bob, "escalate", {})
        result = await opened.wait_followup()  # refused at once: the plan is known before any form
        assert result["flags"] & 64 and not result.get("components")
        assert "paid" in result["content"].lower()  # which condition failed
        assert "https://console.capgo.app" in result["content"]  # and what to do next
        assert sandbox.tickets() == []


async def test_unlinked_user_is_told_to_link_first(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    async with support_bot(fake, tmp_path, sandbox.base_url):
        general = fake.channel_id("general")
        reply = await (await fake.slash_command(general, fake.user_id("alice"), "escalate", {})).wait_response()
        assert reply["data"]["flags"] & 64 and "/link" in reply["data"]["content"]


async def test_an_incident_holds_tickets_back(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await link(fake, sandbox, alice, "team@demo.test")
        await bot.deps.incidents.set(Incident("Update API degraded", "https://status.capgo.app/"))
        general = fake.channel_id("general")
        held = await (await fake.slash_command(general, alice, "escalate", {})).wait_response()
        assert held["data"]["flags"] & 64 and "https://status.capgo.app/" in held["data"]["content"]
        labels = [c["label"] for row in held["data"]["components"] for c in row["components"]]
        assert labels == ["My issue is unrelated"]
        assert sandbox.tickets() == []


async def test_api_down_queues_then_sends_exactly_one_ticket(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    alice = fake.user_id("alice")
    async with FaultyProxy(sandbox.base_url, seed=1) as proxy, support_bot(fake, tmp_path, proxy.base_url) as bot:
        await link(fake, sandbox, alice, "team@demo.test")
        await fake.user_sends(fake.channel_id("general"), alice, PROBLEM)
        # The account lookup succeeds, then the ticket is created but the answers are lost, then a 503.
        proxy.plan(["ok", "drop_after_forward", "drop_after_forward", "503"])
        _, result = await escalate(fake, alice, category="troubleshooting", severity="2")
        assert result["flags"] & 64
        general = fake.channel_id("general")
        await fake.wait_for_message(general, lambda m: "T-1001" in m.get("content", ""), timeout=15)
        assert [t.ticket_id for t in sandbox.tickets()] == ["T-1001"]  # retried, never duplicated
        posts = [r for r in proxy.requests if r[0] == "POST" and r[1].endswith("/tickets")]
        assert len(posts) >= 3, proxy.requests  # the lost answers were retried with the same key
        queued = bot.deps.escalation_texts.messages["ticket.queued"]["en"]
        assert result["content"] == render(queued, bot.deps.engine.render_context.placeholders)
        rows = await bot.deps.store.escalations.list_escalations(fake.guild_id)
        assert [(r.status, r.ticket_id) for r in rows] == [("sent", "T-1001")]


async def test_double_submission_creates_one_ticket(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url):
        await link(fake, sandbox, alice, "team@demo.test")
        await fake.user_sends(fake.channel_id("general"), alice, PROBLEM)
        form, first = await escalate(fake, alice)
        # The same submission again: from the same form (Continue pressed again), then from a new /escalate.
        again = await submit_form(fake, alice, int(form["id"]), summary=f"  {SUMMARY} ", details=DETAILS)
        _, second = await escalate(fake, alice)
        assert all("T-1001" in m["content"] for m in (first, again, second))
        assert len(sandbox.tickets()) == 1


async def test_two_different_requests_in_one_channel_are_two_tickets(
    fake: FakeDiscord, sandbox, tmp_path: Path
) -> None:
    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await link(fake, sandbox, alice, "team@demo.test")
        await fake.user_sends(fake.channel_id("general"), alice, PROBLEM)
        form, first = await escalate(fake, alice)
        assert "T-1001" in first["content"]
        # A second, different problem: from a new /escalate, and from the same form with other answers.
        other = {"summary": "Analytics dashboard is empty", "details": "No events shown since Monday."}
        _, second = await escalate(fake, alice, category="analytics", severity="3", **other)
        third = await submit_form(fake, alice, int(form["id"]), summary="Channel list does not load",
                                  details="The channels page spins forever.")  # fmt: skip
        assert "T-1002" in second["content"] and "T-1003" in third["content"]
        tickets = sandbox.tickets()
        assert [t.ticket_id for t in tickets] == ["T-1001", "T-1002", "T-1003"]
        assert [t.request["subject"] for t in tickets] == [
            SUMMARY,
            "Analytics dashboard is empty",
            "Channel list does not load",
        ]
        rows = await bot.deps.store.escalations.list_escalations(fake.guild_id)
        assert len({r.idempotency_key for r in rows}) == 3


async def test_a_rejected_escalation_does_not_block_the_channel(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    from bot.services.support_api import ValidationFailed

    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await link(fake, sandbox, alice, "team@demo.test")
        await fake.user_sends(fake.channel_id("general"), alice, PROBLEM)
        client = bot.deps.outbox.client
        real_create = client.create_ticket
        calls: list[str] = []

        async def reject_first(request, idempotency_key: str):
            calls.append(idempotency_key)
            if len(calls) == 1:
                raise ValidationFailed("subject: rejected")
            return await real_create(request, idempotency_key)

        client.create_ticket = reject_first
        _, failed = await escalate(fake, alice)
        assert failed["flags"] & 64 and "T-10" not in failed["content"]
        assert (await bot.deps.store.escalations.count_escalations()) == {"failed": 1}
        staff = await fake.wait_for_message(fake.channel_id("bot-log"), lambda m: "rejected" in m["content"])
        assert "subject: rejected" in staff["content"]
        # A later, different escalation in the same channel goes through.
        _, later = await escalate(fake, alice, summary="Bundle upload fails", details="Upload returns 500.")
        assert "T-1001" in later["content"]
        # The rejected submission sent again is tried once more with its own key (and is one ticket).
        _, retried = await escalate(fake, alice)
        assert "T-1002" in retried["content"]
        assert calls[0] == calls[2] != calls[1]
        assert [t.request["subject"] for t in sandbox.tickets()] == ["Bundle upload fails", SUMMARY]
        assert (await bot.deps.store.escalations.count_escalations()) == {"sent": 2}


async def test_the_same_request_after_its_ticket_was_solved_is_a_new_ticket(
    fake: FakeDiscord, sandbox, tmp_path: Path
) -> None:
    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await link(fake, sandbox, alice, "team@demo.test")
        _, first = await escalate(fake, alice)
        assert "T-1001" in first["content"]
        sandbox.set_ticket_status("T-1001", "solved")
        await bot.get_cog("TicketWatch").poll_ticket_statuses([fake.guild_id])
        _, second = await escalate(fake, alice)
        assert "T-1002" in second["content"]
        _, third = await escalate(fake, alice)  # while T-1002 is open, the same request is T-1002
        assert "T-1002" in third["content"] and len(sandbox.tickets()) == 2


async def test_ask_staff_under_an_answer_and_escalate_for_the_author(
    fake: FakeDiscord, sandbox, tmp_path: Path
) -> None:
    alice, vera = fake.user_id("alice"), fake.user_id("vera")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await link(fake, sandbox, alice, "team@demo.test")
        general = fake.channel_id("general")
        asked = await fake.user_sends(general, alice, "how do I initialise the widget?")
        answer = await fake.wait_for_message(general)
        labels = [c["label"] for row in answer["components"] for c in row["components"]]
        assert labels[-1] == "Ask staff"
        stranger = await fake.click_button(general, vera, int(answer["id"]), f"esc:ask:{asked['id']}")
        assert "Only the person who asked" in (await stranger.wait_response())["data"]["content"]
        mine = await fake.click_button(general, alice, int(answer["id"]), f"esc:ask:{asked['id']}")
        form = await mine.wait_followup()
        assert [c["custom_id"] for row in form["components"] for c in row["components"]][-1] == "esc:continue"
        listing = await (await fake.slash_command(general, fake.user_id("sam"), "escalations", {})).wait_response()
        assert "Pending" in listing["data"]["content"] and "circuit: closed" in listing["data"]["content"]
        assert bot.deps.support is not None


async def test_escalate_for_the_author_shows_the_volunteer_nothing_of_the_account(
    fake: FakeDiscord, sandbox, tmp_path: Path
) -> None:
    alice, bob, owner, vera = fake.user_id("alice"), fake.add_user("bob"), fake.user_id("owner"), fake.user_id("vera")
    # What only each account owner may see: organisation and app names, plans, e-mails, refusals.
    secrets = ("Team Demo", "Demo Team", "Free Demo", "Demo Free", "free", "plan", "paid", "enterprise", "@demo.test",
               "/link", "T-10")  # fmt: skip
    async with support_bot(fake, tmp_path, sandbox.base_url):
        await link(fake, sandbox, alice, "team@demo.test")
        await link(fake, sandbox, bob, "free@demo.test")
        general = fake.channel_id("general")

        async def ask_for(author: int) -> tuple[dict, dict]:
            problem = await fake.user_sends(general, author, PROBLEM)
            menu = await fake.context_menu(general, vera, "Escalate for the author", problem["id"])
            told = await menu.wait_followup()
            asked = await fake.wait_for_message(
                general, lambda m: (m.get("message_reference") or {}).get("message_id") == problem["id"]
                and f"<@{author}>" in m.get("content", "")
            )  # fmt: skip
            return told, asked

        answers = {}
        for author in (alice, bob, owner):  # linked and eligible, linked on a free plan, not linked
            told, asked = await ask_for(author)
            assert told["flags"] & 64 and not told.get("components")  # no form for the volunteer
            assert not any(word.lower() in told["content"].lower() for word in secrets), told["content"]
            answers[author] = told["content"]
            # The author is asked under their message; the notice says nothing about the account, pings only them.
            assert not asked["flags"] & 64
            assert not any(word.lower() in asked["content"].lower() for word in secrets), asked["content"]
            write = next(w for w in fake.message_writes if w.message_id == int(asked["id"]))
            assert write.allowed_mentions["parse"] == [] and [int(u) for u in write.allowed_mentions["users"]] == [
                author
            ]
            answers[f"button-{author}"] = asked
        assert answers[alice] == answers[bob] == answers[owner]  # not even whether the author is linked

        def button(author: int) -> tuple[int, str]:
            asked = answers[f"button-{author}"]
            return int(asked["id"]), asked["components"][0]["components"][0]["custom_id"]

        # Only the author can use the button; the form (their apps and organisations) is private to them.
        stranger = await fake.click_button(general, vera, *button(alice))
        assert "Only the person who asked" in (await stranger.wait_response())["data"]["content"]
        mine = await fake.click_button(general, alice, *button(alice))
        form = await mine.wait_followup()
        assert form["flags"] & 64 and "Demo Team" in str(form["components"])
        result = await submit_form(fake, alice, int(form["id"]), summary=SUMMARY, details=PROBLEM)
        assert result["flags"] & 64 and "T-1001" in result["content"]
        [ticket] = sandbox.tickets()
        assert ticket.request["account_id"] == sandbox.account_id("team@demo.test")
        # The free-plan author gets the refusal privately (at once, without a form); the unlinked one is told
        # privately to link.
        bobs = await fake.click_button(general, bob, *button(bob))
        refused = await bobs.wait_followup()
        assert refused["flags"] & 64 and "paid" in refused["content"].lower() and not refused.get("components")
        owners = await (await fake.click_button(general, owner, *button(owner))).wait_response()
        assert owners["data"]["flags"] & 64 and "/link" in owners["data"]["content"]
        assert len(sandbox.tickets()) == 1
        # Nothing about any account was said in public.
        public = [m for m in fake.channel_messages(general) if not m["flags"] & 64 and m["author"]["id"] != str(vera)]
        for message in public:
            assert not any(w in message["content"] for w in ("Team Demo", "Demo Team", "Free Demo", "Demo Free")), (
                message["content"]
            )


async def test_status_page_incident_notice_once_and_resolution(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    from aiohttp import web

    from bot.services.status_page import StatusPageClient

    state = {"indicator": "up"}

    async def status(_request: web.Request) -> web.Response:
        return web.json_response({"indicator": state["indicator"], "uptime": "99.9%"})

    app = web.Application()
    app.router.add_get("/status.json", status)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/status.json"
    try:
        async with support_bot(fake, tmp_path, sandbox.base_url) as bot, aiohttp.ClientSession() as session:
            watch = bot.get_cog("StatusWatch")
            status = StatusPageClient(session, url, "capgo", page_url="https://status.capgo.app/", budget=1)
            watch.deps = replace(bot.deps, status=status)  # the same incident board, another status page
            log_channel, general = fake.channel_id("bot-log"), fake.channel_id("general")
            await watch.check_once()
            assert bot.deps.incident is None
            state["indicator"] = "major"
            await watch.check_once()
            await watch.check_once()  # the same incident again: no second notice
            assert bot.deps.incident is not None
            notices = [m for m in fake.channel_messages(log_channel) if "reports an incident" in m["content"]]
            assert len(notices) == 1
            asked = await fake.user_sends(
                general, fake.user_id("alice"), "is the api down for everyone? we all get 503"
            )
            notice = await fake.wait_for_message(general)
            assert "https://status.capgo.app/" in notice["content"]
            for _ in range(500):  # the bot finishes recording its reply (bounded wait, 5 s)
                if await bot.deps.store.replies.reply_for_source(int(asked["id"]), "route") is not None:
                    break
                await asyncio.sleep(0.01)
            else:
                raise TimeoutError("the incident reply was never recorded")
            state["indicator"] = "up"
            await watch.check_once()
            assert bot.deps.incident is None
            await fake.wait_for_message(general, lambda m: "resolved" in m.get("content", ""))
            assert not (fake.message_writes[-1].allowed_mentions or {}).get("parse")
            await runner.cleanup()
            await watch.check_once()  # the status page itself is down: no incident invented, nothing said
            assert bot.deps.incident is None
    finally:
        await runner.cleanup()


async def test_housekeeping_tells_the_thread_when_solved_and_alerts_on_stuck(
    fake: FakeDiscord, sandbox, tmp_path: Path
) -> None:
    from datetime import timedelta

    alice = fake.user_id("alice")
    async with FaultyProxy(sandbox.base_url) as proxy, support_bot(fake, tmp_path, proxy.base_url) as bot:
        await link(fake, sandbox, alice, "team@demo.test")
        general, log_channel = fake.channel_id("general"), fake.channel_id("bot-log")
        await fake.user_sends(general, alice, PROBLEM)
        _, created = await escalate(fake, alice)
        assert "T-1001" in created["content"]
        cog = bot.get_cog("TicketWatch")
        sandbox.set_ticket_status("T-1001", "solved")
        await cog.housekeeping()
        await fake.wait_for_message(general, lambda m: "marked ticket T-1001 as solved" in m.get("content", ""))
        await cog.housekeeping()  # told once only
        solved = [m for m in fake.channel_messages(general) if "as solved" in m["content"]]
        assert len(solved) == 1
        # Now the API goes down: a new escalation waits in the outbox; past the alert age staff hear about it.
        proxy.down()
        bob = fake.user_id("owner")
        await bot.deps.store.escalations.link_account(bob, sandbox.account_id("team@demo.test"), bot.deps.clock())
        await bot.deps.escalation.account(sandbox.account_id("team@demo.test"))
        _, queued = await escalate(fake, bob)
        assert "saved" in queued["content"]
        bot.deps.clock.offset = timedelta(hours=2)  # type: ignore[attr-defined]
        await cog.housekeeping()
        alert = await fake.wait_for_message(log_channel, lambda m: "still not accepted" in m.get("content", ""))
        assert "attempt" in alert["content"]


async def test_bug_report_during_an_incident_gets_the_notice_and_a_way_out(
    fake: FakeDiscord, sandbox, tmp_path: Path
) -> None:
    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await bot.deps.incidents.set(Incident("Update API degraded", "https://status.capgo.app/"))
        general = fake.channel_id("general")
        report = await fake.user_sends(general, alice, "the update downloads but never gets installed")
        notice = await fake.wait_for_message(general)
        assert "Update API degraded" in notice["content"] and "- [ ]" not in notice["content"]
        custom_id = f"triage:unrelated:{report['id']}"
        other = await fake.click_button(general, fake.user_id("vera"), int(notice["id"]), custom_id)
        assert "Only the author" in (await other.wait_response())["data"]["content"]
        mine = await fake.click_button(general, alice, int(notice["id"]), custom_id)
        assert (await mine.wait_response())["data"]["flags"] & 64
        reminder = await fake.wait_for_message(general, lambda m: "- [ ]" in m.get("content", ""))
        assert reminder["message_reference"]["message_id"] == report["id"]


# --- issue 9: account-level refusals before any form; the confirmation's punctuation ------------------------------


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("free@demo.test", "refuse.not_paid"),
        ("trial@demo.test", "refuse.not_paid"),
        ("cancelled@demo.test", "refuse.not_paid"),
        ("pastdue@demo.test", "refuse.not_paid"),  # payment stopped: no paid resources in use (README)
        ("reader@demo.test", "refuse.role"),
        ("billing@demo.test", "refuse.role"),
        ("noorg@demo.test", "refuse.no_org"),
    ],
)
async def test_account_level_refusals_come_before_any_form(
    fake: FakeDiscord, sandbox, tmp_path: Path, email: str, key: str
) -> None:
    alice = fake.user_id("alice")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        await link(fake, sandbox, alice, email)
        general = fake.channel_id("general")
        asked = await fake.user_sends(general, alice, "how do I initialise the widget?")
        answer = await fake.wait_for_message(general, lambda m: "esc:ask:" in str(m.get("components")))
        expected = render(bot.deps.escalation_texts.messages[key]["en"], bot.deps.engine.render_context.placeholders)
        for opened in (
            await fake.slash_command(general, alice, "escalate", {}),
            await fake.click_button(general, alice, int(answer["id"]), f"esc:ask:{asked['id']}"),
        ):
            refused = await opened.wait_followup()
            assert refused["flags"] & 64 and not refused.get("components")  # no form to fill in first
            assert refused["content"].startswith(expected)
            if key in ("refuse.not_paid", "refuse.role"):  # billing and account help stays open to every customer
                assert bot.deps.engine.render_context.placeholders["support_email"] in refused["content"]
        if key == "refuse.no_org":
            assert "pick one of your organisations" not in refused["content"].lower()
        assert sandbox.tickets() == []


async def test_eligible_accounts_still_get_the_form(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    async with support_bot(fake, tmp_path, sandbox.base_url):
        for email in ("credits@demo.test", "developer@demo.test", "orgadmin@demo.test", "multi@demo.test"):
            member = fake.add_user(email.split("@")[0])  # one member each (linking is rate-limited per member)
            await link(fake, sandbox, member, email)
            opened = await fake.slash_command(fake.channel_id("general"), member, "escalate", {})
            form = await opened.wait_followup()
            ids = [c["custom_id"] for row in form["components"] for c in row["components"]]
            assert ids[-1] == "esc:continue", (email, form["content"])


async def test_the_ticket_confirmation_has_one_final_stop(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    alice, bob = fake.user_id("alice"), fake.add_user("bob")
    async with support_bot(fake, tmp_path, sandbox.base_url):
        await link(fake, sandbox, alice, "team@demo.test")  # no SLA
        await link(fake, sandbox, bob, "enterprise@demo.test")  # an SLA
        await fake.user_sends(fake.channel_id("general"), alice, PROBLEM)
        _, no_sla = await escalate(fake, alice)
        _, sla = await escalate(fake, bob, severity="2")
        assert "as soon as possible" in no_sla["content"] and "2 business hours" in sla["content"]
        for result in (no_sla, sla):
            assert result["content"].endswith(".") and ".." not in result["content"], result["content"]
