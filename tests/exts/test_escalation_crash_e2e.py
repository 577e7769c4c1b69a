"""Issue 10 end to end: an escalation submitted while the bot process that queued it is killed -9 is delivered once,
by another bot process over the same PostgreSQL database.

Real processes (`python -m bot`), one fake Discord, the support-API sandbox over HTTP behind a proxy, one PostgreSQL:

1. Process A starts. A paying member (team@demo.test: active Team plan, admin of the app) links the account and
   submits /escalate in Discord. A queues the escalation in the shared outbox, leases it (OUTBOX_CLAIM_LEASE_SECONDS,
   3 s here) and sends it; the proxy forwards the request, so the sandbox creates the ticket, then holds the answer.
   That is the hard case: the ticket exists, and A can never learn it.
2. The test kills A with SIGKILL at that moment: A records nothing (the row stays pending, 0 attempts, leased).
3. Process B starts on the same database, the proxy now relaying answers. Its outbox worker may claim the row only
   once A's lease has run out; it sends the same request with the same Idempotency-Key, and the sandbox answers with
   the ticket A's request created. B records it and posts the notices: the member in the channel, staff in the log.

Why B starts after A is dead, unsharded: with SHARD_COUNT unset every process owns every guild, so A and B running
together would both answer each message. B is the replacement a supervisor starts (systemd, compose
`restart: unless-stopped`), or a standby taking over, and it owns the guild, so the notices come from the process
that sends. A B on another shard (SHARD_COUNT=2) would send the ticket just the same (every process runs an outbox
worker), but it cannot post in a guild it does not have: it leaves the notices owed to the process owning the guild's
shard (the second test below). B usually starts within A's lease, so this also shows a live worker waiting for the
lease to end; where B starts later, its worker sends before its gateway is up and the notices follow once it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

import aiohttp
import asyncpg
import yarl
from aiohttp import web

from bot.services.store.postgres import PostgresStore
from sandbox import run_sandbox
from tests.fake_discord import FakeDiscord
from tests.services.conftest import pg_server, pg_url  # noqa: F401 - the PostgreSQL fixtures (skip without one)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
API_KEY = "test-key"
EMAIL = "team@demo.test"  # eligible: active Team plan, org super admin and app admin (sandbox/__init__.py)
LEASE = timedelta(seconds=3)  # OUTBOX_CLAIM_LEASE_SECONDS for both processes (production: 60)
START_TIMEOUT = 60.0  # a bot process starting on a loaded 2-core machine
STEP_TIMEOUT = 20.0  # one Discord round trip through a bot process

T = TypeVar("T")


@dataclass(frozen=True)
class TicketPost:
    """A POST /tickets the proxy saw: when the sandbox had answered it, its key, and whether the answer was held."""

    at: datetime
    idempotency_key: str | None
    status: int
    held: bool


class TicketHoldingProxy:
    """Relays every request to the sandbox; while `holding`, a ticket creation reaches the sandbox (the ticket is
    created) and its answer is never relayed: the connection stays open and silent until the proxy closes."""

    def __init__(self, upstream_base_url: str) -> None:
        self.upstream = yarl.URL(upstream_base_url)
        self.holding = True
        self.ticket_posts: list[TicketPost] = []
        self.held = asyncio.Event()  # set once a ticket request reached the sandbox and its answer is held
        self.base_url = ""
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> TicketHoldingProxy:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}{self.upstream.path.rstrip('/')}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        ticket_post = request.method == "POST" and request.path.endswith("/tickets")
        hold = ticket_post and self.holding
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        url = self.upstream.origin().join(request.rel_url)
        async with self._session.request(request.method, url, headers=headers, data=await request.read()) as answer:
            body, status = await answer.read(), answer.status
            content_type = answer.headers.get("Content-Type", "application/json")
        if ticket_post:
            key = request.headers.get("Idempotency-Key")
            self.ticket_posts.append(TicketPost(datetime.now(UTC), key, status, hold))
        if hold:
            self.held.set()
            await self._closing.wait()  # the answer is lost: the bot waits for it until it is killed
            return web.Response(status=504)
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})


@dataclass
class BotProcess:
    """A `python -m bot` subprocess whose output goes to a file (read on failure; never a full pipe)."""

    name: str
    proc: asyncio.subprocess.Process
    log_path: Path
    log_file: IO[bytes]
    exited: asyncio.Future[int]

    def output(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


async def start_bot(name: str, tmp_path: Path, env: dict[str, str]) -> BotProcess:
    log_path = tmp_path / f"{name}.log"
    log_file = log_path.open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=log_file, stderr=asyncio.subprocess.STDOUT
    )
    return BotProcess(name, proc, log_path, log_file, asyncio.ensure_future(proc.wait()))


def bot_env(fake: FakeDiscord, database_url: str, api_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **fake.env(),
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": database_url,
        "DATABASE_PATH": str(tmp_path / "unused.sqlite3"),
        "SHARD_COUNT": "1",  # unsharded: the process owns the guild (see the module docstring)
        "SHARD_IDS": "",
        "SUPPORT_API_URL": api_url,  # plain http is accepted on loopback
        "SUPPORT_API_KEY": API_KEY,
        "OUTBOX_CLAIM_LEASE_SECONDS": str(int(LEASE.total_seconds())),
        "FAQ_PATH": str(DATA / "faq"),
        "DOCS_PATH": str(DATA / "docs"),
        "WATCH_CHANNELS": "",
        "STATUS_URL": "off",
        "SEMANTIC": "off",
        "HEALTH_PORT": "",
        "LOG_LEVEL": "INFO",
    }


async def poll(read: Callable[[], Awaitable[T | None]], fake: FakeDiscord, *, seconds: float, what: str) -> T:
    """Wait until `read()` (a database read) returns something other than None; fail at once if a watched bot died."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        fake.raise_if_bot_failed()
        value = await read()
        if value is not None:
            return value
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {seconds}s waiting for {what}")
        await asyncio.sleep(0.05)


async def escalation_rows(database_url: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT id, idempotency_key, status, attempts, ticket_id, created_at, claimed_until, user_notified_at, "
            "staff_notified_at FROM escalation ORDER BY id"
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def link_and_escalate(fake: FakeDiscord, sandbox: Any, user_id: int) -> Any:
    """Through process A: `@Bot sync` by staff, /link with the e-mailed code, then /escalate and its form.

    Returns the form submission's interaction (its answer never comes: A is killed while sending the ticket)."""
    general = fake.channel_id("general")
    await fake.user_sends(general, fake.user_id("sam"), f"<@{fake.bot_id}> sync")
    await fake.wait_for_message(general, lambda m: "Synced" in m.get("content", ""), timeout=STEP_TIMEOUT)

    opened = await (await fake.slash_command(general, user_id, "link", {})).wait_response(timeout=STEP_TIMEOUT)
    assert opened["type"] == 9  # the e-mail form
    asked = await fake.submit_modal(general, user_id, "link:email-form", {"link:email": EMAIL})
    sent = await asked.wait_followup(timeout=STEP_TIMEOUT)
    button = sent["components"][0]["components"][0]["custom_id"]
    code_form = await fake.click_button(general, user_id, int(asked.original_message_id), button)
    assert (await code_form.wait_response(timeout=STEP_TIMEOUT))["type"] == 9
    confirm = await fake.submit_modal(general, user_id, "link:code-form", {"link:code": sandbox.last_code(EMAIL)})
    linked = await confirm.wait_followup(timeout=STEP_TIMEOUT)
    assert linked["flags"] & 64

    await fake.user_sends(general, user_id, "our production app stopped receiving live updates, Android 14, 7.17.0")
    command = await fake.slash_command(general, user_id, "escalate", {})
    form = await command.wait_followup(timeout=STEP_TIMEOUT)
    assert form["components"], form  # eligible: the form, not a refusal
    form_id = int(command.original_message_id)
    for select, value in (("esc:category", "live_updates"), ("esc:severity", "2")):
        await (await fake.select(general, user_id, form_id, select, [value])).wait_response(timeout=STEP_TIMEOUT)
    modal = await fake.click_button(general, user_id, form_id, "esc:continue")
    assert (await modal.wait_response(timeout=STEP_TIMEOUT))["type"] == 9
    fields = {"esc:summary": "Updates stopped in production", "esc:details": "Since this morning, every device."}
    return await fake.submit_modal(general, user_id, "esc:form", fields)


@contextlib.asynccontextmanager
async def reported(procs: list[BotProcess]) -> AsyncIterator[None]:
    """On failure, add each process's output to the error (pytest shows it); always stop the processes."""
    try:
        yield
    except Exception as exc:
        for bot in procs:
            exc.add_note(f"\n===== process {bot.name} (exit {bot.proc.returncode}) =====\n{bot.output()[-20000:]}")
        raise
    finally:
        for bot in procs:
            if bot.proc.returncode is None:
                bot.proc.kill()
                await bot.proc.wait()
            bot.log_file.close()


async def test_an_escalation_whose_process_is_killed_mid_send_is_delivered_once_by_another(
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    procs: list[BotProcess] = []
    async with (
        run_sandbox(db=":memory:", api_key=API_KEY) as sandbox,
        TicketHoldingProxy(sandbox.base_url) as proxy,
        FakeDiscord() as fake,
        reported(procs),
    ):
        general, alice, staff_log = fake.channel_id("general"), fake.user_id("alice"), fake.add_text_channel("bot-log")
        async with await PostgresStore.open(pg_url) as store:  # what /config would have set, shared by A and B
            await store.config.update_config(
                fake.guild_id,
                staff_role_ids=(fake.role_id("Staff"),),
                volunteer_role_ids=(fake.role_id("Volunteer"),),
                staff_log_channel_id=staff_log,
                channel_cooldown_seconds=0,
            )
        env = bot_env(fake, pg_url, proxy.base_url, tmp_path)

        # -- process A: the member escalates; A sends the ticket and the answer never comes back ------------------
        a = await start_bot("A", tmp_path, env)
        procs.append(a)
        fake.watch(a.exited)  # A dying early fails every wait at once
        await fake.wait_until_connected(timeout=START_TIMEOUT)
        submitted = await link_and_escalate(fake, sandbox, alice)
        assert (await submitted.wait_response(timeout=STEP_TIMEOUT))["type"] == 5  # deferred: "thinking..."
        await asyncio.wait_for(proxy.held.wait(), STEP_TIMEOUT)  # the ticket exists; its answer is held
        fake.unwatch(a.exited)
        a.proc.kill()  # SIGKILL, mid-send: A records no outcome
        assert await a.exited == -signal.SIGKILL
        killed_at = datetime.now(UTC)
        with contextlib.suppress(ProcessLookupError):  # A is gone (and reaped): no such process any more
            os.kill(a.proc.pid, 0)
            raise AssertionError(f"process A ({a.proc.pid}) still exists after SIGKILL")

        [ticket] = sandbox.tickets()  # A's request reached the support API...
        [row] = await escalation_rows(pg_url)
        key = row["idempotency_key"]
        assert ticket.idempotency_key == key
        # ...and A never learnt it: pending, no attempt recorded, leased by A for OUTBOX_CLAIM_LEASE_SECONDS.
        assert (row["status"], row["attempts"], row["ticket_id"]) == ("pending", 0, None), row
        lease_end: datetime = row["claimed_until"]
        assert lease_end is not None and timedelta(0) < lease_end - row["created_at"] <= LEASE + timedelta(seconds=1)
        assert killed_at < lease_end, "A was killed after its lease ended: the test cannot tell a lease was honoured"
        assert submitted.followups == []  # the member was never told the outcome by A
        assert [(p.held, p.idempotency_key) for p in proxy.ticket_posts] == [(True, key)]

        # -- process B: same database, answers relayed again; delivers the escalation once ------------------------
        proxy.holding = False
        b = await start_bot("B", tmp_path, env)
        procs.append(b)
        fake.watch(b.exited)
        sent = await poll(
            lambda: _sent_and_told(pg_url), fake, seconds=START_TIMEOUT + LEASE.total_seconds(), what="B to send"
        )
        notice = await fake.wait_for_message(
            general, lambda m: f"<@{alice}>" in m["content"] and ticket.ticket_id in m["content"], after=0,
            timeout=STEP_TIMEOUT,
        )  # fmt: skip
        staff = await fake.wait_for_message(
            staff_log, lambda m: f"New ticket {ticket.ticket_id}" in m["content"], after=0, timeout=STEP_TIMEOUT
        )
        # Stop B (SIGTERM, a clean close): after that nothing more can be sent or posted, so the counts are final.
        fake.unwatch(b.exited)
        b.proc.terminate()
        assert await asyncio.wait_for(b.exited, STEP_TIMEOUT) == 0
        assert "stopped cleanly" in b.output()

        # Exactly one ticket, the one A's request created; the row sent once (B's attempt), with that ticket.
        assert [(t.ticket_id, t.idempotency_key) for t in sandbox.tickets()] == [(ticket.ticket_id, key)]
        assert (sent["status"], sent["attempts"], sent["ticket_id"]) == ("sent", 1, ticket.ticket_id), sent
        assert f"escalation {row['id']} is ticket {ticket.ticket_id}" in b.output()  # B recorded it...
        assert f"is ticket {ticket.ticket_id}" not in a.output()  # ...A never did
        # Two requests with that Idempotency-Key: A's (held), and B's once A's lease had run out.
        posts = proxy.ticket_posts
        assert [(p.held, p.idempotency_key) for p in posts] == [(True, key), (False, key)]
        assert posts[1].status in (200, 201) and posts[1].at >= lease_end, (posts, lease_end)
        # The member and staff were told once each, by B, in Discord.
        assert [m for m in _created(fake, general) if ticket.ticket_id in m.get("content", "")] == [notice]
        assert "sent to the support team as ticket" in notice["content"]
        assert [m for m in _created(fake, staff_log) if ticket.ticket_id in m.get("content", "")] == [staff]
        assert "Tier: team" in staff["content"] and "severity 2" in staff["content"]
        fake.assert_clean()


async def _sent_and_told(database_url: str) -> dict[str, Any] | None:
    """The escalation once it is sent and both its notices are claimed (then nothing more is owed)."""
    [row] = await escalation_rows(database_url)
    done = row["status"] == "sent" and row["user_notified_at"] and row["staff_notified_at"]
    return row if done else None


def _created(fake: FakeDiscord, channel_id: int) -> list[dict]:
    """Every message the bot created in a channel (deleted ones included)."""
    found = []
    for write in fake.message_writes:
        if write.kind == "create" and write.channel_id == channel_id:
            message = fake.messages.get(write.message_id) or fake.deleted_messages.get(write.message_id)
            if message is not None:
                found.append(message)
    return found


# -- the notices belong to the process that sees the guild -----------------------------------------------------------


async def test_a_process_without_the_guild_leaves_the_ticket_notices_to_the_one_with_it(tmp_path: Path) -> None:
    """The outbox worker sends tickets from any process, and starts before the gateway connects: a ticket sent where
    the guild is not (yet) in the cache keeps both its notices owed, and a process with the guild posts them."""
    from bot.app.composition import build_deps, build_engine
    from bot.bot import SupportBot, cog_of
    from bot.exts.tickets import TicketWatch
    from bot.services.escalations import Escalation
    from bot.services.store import SqliteStore
    from bot.settings import load_settings
    from tests.fake_discord import point_discord_py_at, run_bot
    from tests.services.test_escalations_store import NOW, new

    async with FakeDiscord() as fake:
        general, staff_log = fake.channel_id("general"), fake.add_text_channel("bot-log")
        # A guild of another shard, its channels and staff log: never in this process's cache.
        elsewhere, elsewhere_channel, elsewhere_log = fake.snowflake(), fake.snowflake(), fake.snowflake()
        store = await SqliteStore.open(tmp_path / "bot.db")
        try:
            await store.config.update_config(fake.guild_id, staff_log_channel_id=staff_log)
            await store.config.update_config(elsewhere, staff_log_channel_id=elsewhere_log)
            rows: dict[str, Escalation] = {}
            for key, guild, channel in (("ours", fake.guild_id, general), ("theirs", elsewhere, elsewhere_channel)):
                queued, _ = await store.escalations.enqueue_escalation(
                    new(key, guild_id=guild, channel_id=channel, thread_id=None, requester_id=fake.user_id("alice"))
                )  # sent by another process's worker (or by this one, before its guild arrived)
                await store.escalations.mark_escalation_sent(
                    queued.id, ticket_id=f"T-{key}", ticket_url="https://support.invalid/t", ticket_status="open",
                    now=NOW,
                )  # fmt: skip
                rows[key] = queued
            settings = load_settings({"FAQ_PATH": str(DATA / "faq"), "STATUS_URL": "off"}, env_file=None)
            bot = SupportBot(build_deps(settings, build_engine(settings), store), guild_ready_timeout=0.05)
            with point_discord_py_at(fake):
                async with run_bot(bot, fake.token, fake=fake):
                    # The housekeeping's first pass, once ready, posts what is owed in the guild it has.
                    notice = await fake.wait_for_message(general, lambda m: "T-ours" in m["content"], after=0)
                    staff = await fake.wait_for_message(
                        staff_log, lambda m: "New ticket T-ours" in m["content"], after=0
                    )
                    sent_there = await store.escalations.get_escalation(rows["theirs"].id)
                    assert sent_there is not None and sent_there.status == "sent"
                    await cog_of(bot, TicketWatch).announce_ticket(sent_there)  # as its outbox worker does
            ours_after = await store.escalations.get_escalation(rows["ours"].id)
            theirs_after = await store.escalations.get_escalation(rows["theirs"].id)
        finally:
            await store.close()
    assert f"<@{fake.user_id('alice')}>" in notice["content"] and "Thread: <#" in staff["content"]
    assert [m for m in _created(fake, general) + _created(fake, staff_log) if "T-" in m["content"]] == [notice, staff]
    assert ours_after is not None and ours_after.user_notified_at and ours_after.staff_notified_at
    # Not claimed where it could not be posted: the process owning that guild still owes (and posts) both.
    assert theirs_after is not None and (theirs_after.user_notified_at, theirs_after.staff_notified_at) == (None, None)
    fake.assert_clean()
