"""Self-tests of the fake Discord harness, driven by a tiny plain ``commands.Bot`` (not the project's bot)."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from aiohttp import ClientSession, WSMsgType
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import MESSAGE_CONTENT, BotCrashed, FakeDiscord, point_discord_py_at, run_bot

NO_PINGS = discord.AllowedMentions.none()
TOPICS = ["channels", "updates", "billing", "login"]


class TicketButton(discord.ui.DynamicItem[discord.ui.Button], template=r"ticket:(?P<id>\d+)"):
    def __init__(self, ticket_id: int) -> None:
        super().__init__(discord.ui.Button(label="Close", custom_id=f"ticket:{ticket_id}"))
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):  # type: ignore[override]
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=f"ticket {self.ticket_id} closed", view=None)


class AckView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Ack", custom_id="panel:ack")
    async def ack(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await interaction.response.send_message(f"acked by {interaction.user.name}", ephemeral=True)


class ReportModal(discord.ui.Modal, title="Report"):
    details = discord.ui.TextInput(label="Details", custom_id="details")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"report: {self.details.value}")


class TinyBot(commands.Bot):
    """Replies "pong" to "ping", thanks forum posts, records edits; a few app commands synced to the guild."""

    def __init__(self, guild_id: int, *, message_content: bool = True, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(
            command_prefix="!", intents=intents, guild_ready_timeout=0.05, allowed_mentions=NO_PINGS, **options
        )
        self.guild = discord.Object(guild_id)
        self.seen: list[discord.Message] = []
        self.edits: list[tuple[str, str]] = []
        self.raw_edits: list[int] = []
        self.deleted: list[int] = []

        @self.tree.command(name="faq", description="Search the FAQ", guild=self.guild)
        async def faq(interaction: discord.Interaction, query: str, limit: int = 3) -> None:
            await interaction.response.send_message(f"faq: {query} ({limit})")

        @faq.autocomplete("query")
        async def faq_complete(_interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=t, value=t) for t in TOPICS if current in t]

        @self.tree.command(name="report", description="Report a problem", guild=self.guild)
        async def report(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(ReportModal())

        @self.tree.command(name="slow", description="Deferred answer", guild=self.guild)
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done thinking")
            await interaction.edit_original_response(content="done thinking (edited)")

        @self.tree.command(name="boom", description="Raises", guild=self.guild)
        async def boom(_interaction: discord.Interaction) -> None:
            raise RuntimeError("boom")

        async def triage(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"triaged: {message.content}", ephemeral=True)

        self.tree.add_command(app_commands.ContextMenu(name="Triage message", callback=triage), guild=self.guild)

        ticket = app_commands.Group(name="ticket", description="Tickets")
        admin = app_commands.Group(name="admin", description="Ticket admin", parent=ticket)

        @ticket.command(name="assign", description="Assign a ticket")
        async def assign(
            interaction: discord.Interaction, member: discord.Member, channel: discord.TextChannel
        ) -> None:
            await interaction.response.send_message(f"{member.name} takes {channel.name}")

        @admin.command(name="purge", description="Purge closed tickets")
        async def purge(interaction: discord.Interaction, days: int) -> None:
            await interaction.response.send_message(f"purged {days} days", ephemeral=True)

        self.tree.add_command(ticket, guild=self.guild)

    async def setup_hook(self) -> None:
        self.add_view(AckView())
        self.add_dynamic_items(TicketButton)
        await self.tree.sync(guild=self.guild)

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.author.bot:
            return
        if message.content.startswith("ping"):
            await message.reply(f"pong{message.content[4:]}", mention_author=False)
        elif isinstance(message.channel, discord.Thread) and isinstance(message.channel.parent, discord.ForumChannel):
            await message.channel.send(f"thanks for {message.channel.name}")

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        self.edits.append((before.content, after.content))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        self.raw_edits.append(payload.message_id)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.deleted.append(payload.message_id)


@pytest.fixture
async def fake():
    async with FakeDiscord() as fake:
        with point_discord_py_at(fake):
            yield fake


@pytest.fixture
def names(fake: FakeDiscord) -> dict[str, int]:
    return {n: fake.user_id(n) for n in ("alice", "vera", "sam")} | {
        "general": fake.channel_id("general"),
        "help": fake.channel_id("help"),
    }


async def test_login_ready_and_guild_state(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        assert bot.user is not None and bot.user.id == fake.bot_id
        assert bot.application_id == fake.app_id
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and guild.member_count == len(fake.members)
        assert {r.name for r in guild.roles} >= {"@everyone", "Volunteer", "Staff"}
        forum = guild.get_channel(names["help"])
        assert isinstance(forum, discord.ForumChannel)
        assert [t.name for t in forum.available_tags] == ["bug", "question", "solved"]
        assert isinstance(guild.get_channel(names["general"]), discord.TextChannel)
        member = await guild.fetch_member(names["vera"])
        assert [r.name for r in member.roles if not r.is_default()] == ["Volunteer"]
    assert fake.intents is not None and fake.intents & MESSAGE_CONTENT
    assert {c["name"] for c in fake.commands[fake.guild_id]} == {
        "faq",
        "report",
        "slow",
        "boom",
        "ticket",
        "Triage message",
    }
    fake.assert_clean()


async def test_message_reply_round_trip_records_allowed_mentions(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        sent = await fake.user_sends(names["general"], names["alice"], "ping hello")
        reply = await fake.wait_for_message(names["general"])
        assert reply["content"] == "pong hello"
        assert reply["message_reference"]["message_id"] == sent["id"]
        write = fake.message_writes[-1]
        assert write.allowed_mentions == {"parse": [], "replied_user": False}
        # Discord echoes the bot's own message on the gateway.
        await fake.wait_until(lambda: any(m.id == int(reply["id"]) for m in bot.seen) or None)
        history = [m.content async for m in bot.get_channel(names["general"]).history(limit=10)]
        assert history == ["pong hello", "ping hello"]
        await fake.user_sends(names["general"], names["vera"], "ping back", reference=int(reply["id"]))
        await fake.wait_for_request("POST", rf"^/channels/{names['general']}/messages$")
        back = next(m for m in bot.seen if m.content == "ping back")
        assert back.reference is not None and back.reference.message_id == int(reply["id"])
        upload = await bot.get_channel(names["general"]).send(file=discord.File(io.BytesIO(b"log"), "log.txt"))
        assert upload.attachments[0].filename == "log.txt" and upload.attachments[0].size == 3
    fake.assert_clean()


async def test_slash_command_synced_with_autocomplete(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        ac = await fake.autocomplete(names["general"], names["alice"], "faq", {"query": "up"}, focused="query")
        answer = await ac.wait_response()
        assert answer == {"type": 8, "data": {"choices": [{"name": "updates", "value": "updates"}]}}
        inter = await fake.slash_command(names["general"], names["alice"], "faq", {"query": "updates", "limit": 5})
        response = await inter.wait_response()
        assert response["type"] == 4 and response["data"]["content"] == "faq: updates (5)"
        assert inter.original_message is not None and inter.original_message["content"] == "faq: updates (5)"
        assert (await fake.wait_for_message(names["general"]))["id"] == inter.original_message["id"]
        with pytest.raises(LookupError):
            await fake.slash_command(names["general"], names["alice"], "never-synced", {})
        options = {"member": names["vera"], "channel": names["general"]}
        inter = await fake.slash_command(names["general"], names["sam"], "ticket", options, subcommand="assign")
        assert (await inter.wait_response())["data"]["content"] == "vera takes general"
        inter = await fake.slash_command(
            names["general"], names["sam"], "ticket", {"days": 7}, subcommand="admin purge"
        )
        assert (await inter.wait_response())["data"]["content"] == "purged 7 days"
    fake.assert_clean()


async def test_deferred_response_followup_and_edit(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        inter = await fake.slash_command(names["general"], names["alice"], "slow")
        assert (await inter.wait_response())["type"] == 5
        followup = await inter.wait_followup()
        assert followup["id"] == str(inter.original_message_id)  # the first followup fills the "thinking" message
        assert (await inter.wait_edit())["content"] == "done thinking (edited)"
        assert inter.original_message["content"] == "done thinking (edited)"
        assert not inter.original_message["flags"] & 128
    fake.assert_clean()


async def test_persistent_view_and_dynamic_item_buttons(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        channel = bot.get_channel(names["general"])
        panel = await channel.send("panel", view=AckView())
        click = await fake.click_button(names["general"], names["vera"], panel.id, "panel:ack")
        response = await click.wait_response()
        assert response["type"] == 4 and response["data"]["content"] == "acked by vera"
        assert response["data"]["flags"] & 64  # ephemeral
        view = discord.ui.View(timeout=None).add_item(TicketButton(42))
        ticket = await channel.send("ticket 42", view=view)
        click = await fake.click_button(names["general"], names["sam"], ticket.id, "ticket:42")
        assert (await click.wait_response())["type"] == 7
        assert fake.messages[ticket.id]["content"] == "ticket 42 closed"
        assert fake.messages[ticket.id]["components"] == []
        with pytest.raises(LookupError):
            await fake.click_button(names["general"], names["sam"], ticket.id, "ticket:42")  # the button is gone
    fake.assert_clean()


async def test_modal_submit(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        inter = await fake.slash_command(names["general"], names["alice"], "report")
        modal = await inter.wait_response()
        assert modal["type"] == 9 and modal["data"]["title"] == "Report"
        submit = await fake.submit_modal(names["general"], names["alice"], modal["data"]["custom_id"], {"details": "x"})
        response = await submit.wait_response()
        assert response["data"]["content"] == "report: x"
        with pytest.raises(LookupError):
            await fake.submit_modal(names["general"], names["alice"], "no-such-modal", {})
    fake.assert_clean()


async def test_message_context_menu(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        msg = await fake.user_sends(names["general"], names["alice"], "my app crashes")
        inter = await fake.context_menu(names["general"], names["vera"], "Triage message", int(msg["id"]))
        response = await inter.wait_response()
        assert response["data"]["content"] == "triaged: my app crashes"
    fake.assert_clean()


async def test_forum_post_reply_in_thread_and_tags(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        post = await fake.create_forum_post(names["help"], names["alice"], "Crash on start", "it crashes", ["bug"])
        assert post["id"] == post["message"]["id"]
        reply = await fake.wait_for_message(int(post["id"]))
        assert reply["content"] == "thanks for Crash on start"
        thread = bot.get_channel(int(post["id"]))
        assert isinstance(thread, discord.Thread) and [t.name for t in thread.applied_tags] == ["bug"]
        solved = thread.parent.get_tag(fake.tag_id(names["help"], "solved"))
        await thread.edit(applied_tags=[solved])
        assert fake.channels[thread.id]["applied_tags"] == [str(solved.id)]
        created = await thread.parent.create_thread(name="Announcement", content="read me")
        assert fake.channels[created.thread.id]["parent_id"] == str(names["help"])
        assert created.message.id == created.thread.id
        text_thread = await fake.create_thread(names["general"], names["sam"], "side chat")
        await fake.user_sends(int(text_thread["id"]), names["sam"], "ping in thread")
        assert (await fake.wait_for_message(int(text_thread["id"])))["content"] == "pong in thread"
    fake.assert_clean()


async def test_edit_and_delete_events(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        msg = await fake.user_sends(names["general"], names["alice"], "helo")
        await fake.wait_until(lambda: bot.seen or None)
        await fake.user_edits(names["general"], int(msg["id"]), "hello")
        await fake.wait_until(lambda: bot.edits or None)
        assert bot.edits == [("helo", "hello")] and bot.raw_edits == [int(msg["id"])]
        await fake.user_deletes(names["general"], int(msg["id"]))
        await fake.wait_until(lambda: bot.deleted or None)
        assert bot.deleted == [int(msg["id"])]
    fake.assert_clean()


async def test_content_blanked_without_message_content_intent(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id, message_content=False)
    async with run_bot(bot, fake.token, fake=fake):
        msg = await fake.user_sends(names["general"], names["alice"], "ping secret")
        await fake.wait_until(lambda: bot.seen or None)
        assert bot.seen[0].content == "" and fake.blanked_message_ids == [int(msg["id"])]
        await fake.user_sends(names["general"], names["alice"], f"ping <@{fake.bot_id}>")  # mentions keep content
        assert (await fake.wait_for_message(names["general"]))["content"] == f"pong <@{fake.bot_id}>"
    assert fake.intents is not None and not fake.intents & MESSAGE_CONTENT
    fake.assert_clean()


async def test_two_hundred_round_trips(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        for i in range(200):
            sent = await fake.user_sends(names["general"], names["alice"], f"ping {i}")
            reply = await fake.wait_for_message(
                names["general"], lambda m, s=sent: m["message_reference"]["message_id"] == s["id"]
            )
            assert reply["content"] == f"pong {i}"
    assert sum(w.kind == "create" for w in fake.message_writes) == 200
    fake.assert_clean()


async def test_resume_after_disconnect(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        await fake.disconnect_bot(4000)
        await fake.wait_until(lambda: (fake.resumes == 1 and any(s.conn for s in fake.sessions.values())) or None)
        await fake.user_sends(names["general"], names["alice"], "ping again")
        assert (await fake.wait_for_message(names["general"]))["content"] == "pong again"
    assert len(fake.identifies) == 1
    fake.assert_clean()


async def test_unknown_route_and_bad_payload_are_reported(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    async with run_bot(bot, fake.token, fake=fake):
        with pytest.raises(discord.NotFound):
            await bot.http.request(discord.http.Route("GET", "/no/such/route"))
        with pytest.raises(discord.HTTPException) as too_long:
            await bot.get_channel(names["general"]).send("x" * 2001)
        assert too_long.value.status == 400
        with pytest.raises(discord.NotFound):
            await bot.get_channel(names["general"]).fetch_message(123)
    assert [r.path for r in fake.unmatched] == ["/no/such/route"]
    assert len(fake.bad_requests) == 1
    with pytest.raises(AssertionError, match="unmatched route"):
        fake.assert_clean()


async def test_wrong_token_fails_login(fake: FakeDiscord) -> None:
    bot = TinyBot(fake.guild_id)
    with pytest.raises(discord.LoginFailure):
        async with run_bot(bot, "not-the-token", fake=fake):
            pass
    assert fake.auth_failures and fake.auth_failures[0].path == "/users/@me"
    with pytest.raises(AssertionError, match="Authorization"):
        fake.assert_clean()


async def test_gateway_closes_4004_on_wrong_token(fake: FakeDiscord) -> None:
    async with ClientSession() as session, session.ws_connect(fake.gateway_url + "?v=10&encoding=json") as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 513, "properties": {}}})
        msg = await ws.receive()
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED) and ws.close_code == 4004
    assert fake.gateway_closes == [4004] and fake.auth_failures


async def test_bot_task_crash_is_detected(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    with pytest.raises(BotCrashed) as crashed:
        async with run_bot(bot, fake.token, fake=fake):
            # A malformed MESSAGE_CREATE (no "type"): discord.py's parser raises and bot.start() dies.
            await fake.dispatch("MESSAGE_CREATE", {"id": "1", "channel_id": str(names["general"]), "content": "x"})
            await fake.wait_for_message(names["general"], timeout=5)
    assert isinstance(crashed.value.__cause__, KeyError)


async def test_error_in_handler_fails_the_test(fake: FakeDiscord, names: dict[str, int]) -> None:
    bot = TinyBot(fake.guild_id)
    with pytest.raises(BotCrashed, match="boom"):
        async with run_bot(bot, fake.token, fake=fake):
            await fake.slash_command(names["general"], names["alice"], "boom")
            await fake.wait_for_message(names["general"], timeout=5)


# -- several guilds, one per shard -----------------------------------------------------------------------------------

# Discord routes a guild to shard (guild_id >> 22) % shard_count: guild A to shard 0 of 2, guild B to shard 1.
GUILD_A, GUILD_B = (2 << 22) | 7, (3 << 22) | 7


@pytest.fixture
async def two_guilds() -> AsyncIterator[FakeDiscord]:
    """Guild A (the fake's first guild: the populated one) and guild B, each with a text channel "general"."""
    assert (GUILD_A >> 22) % 2 == 0 and (GUILD_B >> 22) % 2 == 1
    async with FakeDiscord(guild_id=GUILD_A) as fake:
        assert fake.add_guild("Guild B", guild_id=GUILD_B) == GUILD_B
        fake.add_text_channel("general", guild_id=GUILD_B)
        with point_discord_py_at(fake):
            yield fake


async def test_two_shards_each_get_only_their_guild_and_its_events(two_guilds: FakeDiscord) -> None:
    fake = two_guilds
    general_a, general_b = fake.channel_id("general", GUILD_A), fake.channel_id("general", GUILD_B)
    assert general_a != general_b and fake.guild_of(general_b) == GUILD_B
    alice = fake.user_id("alice")
    bot_a = TinyBot(GUILD_A, shard_id=0, shard_count=2)
    bot_b = TinyBot(GUILD_B, shard_id=1, shard_count=2)
    async with run_bot(bot_a, fake.token, fake=fake), run_bot(bot_b, fake.token, fake=fake):
        assert [g.id for g in bot_a.guilds] == [GUILD_A] and [g.id for g in bot_b.guilds] == [GUILD_B]
        assert fake.shards_sent("GUILD_CREATE", str(GUILD_A)) == [(0, 2)]
        assert fake.shards_sent("GUILD_CREATE", str(GUILD_B)) == [(1, 2)]
        guild_b = bot_b.get_guild(GUILD_B)
        assert guild_b is not None and [c.id for c in guild_b.channels] == [general_b]
        assert bot_a.get_channel(general_b) is None and bot_b.get_channel(general_a) is None
        assert guild_b.default_role.id == GUILD_B and guild_b.get_role(GUILD_A) is None
        assert [c.id for c in await guild_b.fetch_channels()] == [general_b]  # REST routes of guild B
        assert (await guild_b.fetch_member(alice)).guild.id == GUILD_B  # the members are those of every guild
        assert [r.id for r in await guild_b.fetch_roles() if r.name == "@everyone"] == [GUILD_B]

        sent_b = await fake.user_sends(general_b, alice, "ping b")
        reply_b = await fake.wait_for_message(general_b)
        assert reply_b["content"] == "pong b" and reply_b["guild_id"] == str(GUILD_B)
        assert reply_b["message_reference"] == {
            "type": 0, "message_id": sent_b["id"], "channel_id": str(general_b), "guild_id": str(GUILD_B)
        }  # fmt: skip
        sent_a = await fake.user_sends(general_a, alice, "ping a")
        reply_a = await fake.wait_for_message(general_a)
        assert reply_a["content"] == "pong a" and reply_a["guild_id"] == str(GUILD_A)
        # Each message (and the echo of each reply) went to the session owning its guild only.
        await fake.wait_until(lambda: (len(bot_a.seen) >= 2 and len(bot_b.seen) >= 2) or None, what="the echoes")
        assert fake.shards_sent("MESSAGE_CREATE", sent_b["id"]) == fake.shards_sent("MESSAGE_CREATE", reply_b["id"])
        assert fake.shards_sent("MESSAGE_CREATE", sent_b["id"]) == [(1, 2)]
        assert fake.shards_sent("MESSAGE_CREATE", sent_a["id"]) == [(0, 2)]
        assert [m.id for m in bot_a.seen] == [int(sent_a["id"]), int(reply_a["id"])]
        assert [m.id for m in bot_b.seen] == [int(sent_b["id"]), int(reply_b["id"])]

        # Commands are synced per guild; an interaction belongs to the guild of its channel.
        assert {c["name"] for c in fake.commands[GUILD_B]} == {c["name"] for c in fake.commands[GUILD_A]} >= {"faq"}
        inter = await fake.slash_command(general_b, alice, "faq", {"query": "billing"})
        assert (await inter.wait_response())["data"]["content"] == "faq: billing (3)"
        assert inter.payload["guild_id"] == str(GUILD_B) and inter.payload["data"]["guild_id"] == str(GUILD_B)
        assert inter.original_message is not None and inter.original_message["channel_id"] == str(general_b)
        assert fake.shards_sent("INTERACTION_CREATE", str(inter.id)) == [(1, 2)]
    fake.assert_clean()


async def test_gateway_shard_session_ready_guilds_and_member_chunks(two_guilds: FakeDiscord) -> None:
    fake = two_guilds
    async with ClientSession() as session, session.ws_connect(fake.gateway_url + "?v=10&encoding=json") as ws:
        assert (await ws.receive_json())["op"] == 10
        identify = {"token": fake.token, "intents": 513, "properties": {}, "shard": [1, 2]}
        await ws.send_json({"op": 2, "d": identify})
        ready, created = await ws.receive_json(), await ws.receive_json()
        assert ready["t"] == "READY" and ready["d"]["shard"] == [1, 2]
        assert ready["d"]["guilds"] == [{"id": str(GUILD_B), "unavailable": True}]
        assert created["t"] == "GUILD_CREATE" and created["d"]["id"] == str(GUILD_B)
        assert created["d"]["name"] == "Guild B"
        assert [c["id"] for c in created["d"]["channels"]] == [str(fake.channel_id("general", GUILD_B))]
        assert [r["id"] for r in created["d"]["roles"] if r["name"] == "@everyone"] == [str(GUILD_B)]
        with pytest.raises(RuntimeError, match=f"no bot is connected for guild {GUILD_A}"):
            await fake.user_sends(fake.channel_id("general", GUILD_A), fake.user_id("alice"), "nobody hears this")
        # Members of the guilds this shard owns only; the heartbeat ACK after it shows nothing else was sent.
        await ws.send_json({"op": 8, "d": {"guild_id": [GUILD_A, GUILD_B], "query": "", "limit": 0, "nonce": "n"}})
        await ws.send_json({"op": 1, "d": None})
        chunk, ack = await ws.receive_json(), await ws.receive_json()
        assert (chunk["t"], chunk["d"]["guild_id"], chunk["d"]["nonce"]) == ("GUILD_MEMBERS_CHUNK", str(GUILD_B), "n")
        assert len(chunk["d"]["members"]) == len(fake.members) and ack == {"op": 11}
    fake.assert_clean()


SUBPROCESS_BOT = textwrap.dedent(
    """
    import os, yarl, discord
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)

    @client.event
    async def on_message(message):
        if not message.author.bot:
            await message.channel.send("pong from subprocess")

    client.run(os.environ["BOT_TOKEN"], log_handler=None)
    """
)


async def test_bot_in_another_process(fake: FakeDiscord, names: dict[str, int]) -> None:
    env = {**os.environ, **fake.env(), "BOT_TOKEN": fake.token}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SUBPROCESS_BOT, env=env)
    exited = asyncio.ensure_future(proc.wait())
    fake.watch(exited)
    try:
        await fake.wait_until_connected(timeout=20)
        await fake.user_sends(names["general"], names["alice"], "ping")
        assert (await fake.wait_for_message(names["general"]))["content"] == "pong from subprocess"
    finally:
        fake.unwatch(exited)
        proc.terminate()
        await exited
    fake.assert_clean()
