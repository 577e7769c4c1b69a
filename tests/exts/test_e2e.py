"""End to end: the real SupportBot (unmodified discord.py) against the local fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.composition import build_deps
from bot.bot import SupportBot
from bot.cli import build_engine
from bot.services.store import SqliteStore
from bot.settings import load_settings
from tests.fake_discord import FakeDiscord, point_discord_py_at, run_bot

DATA = Path(__file__).resolve().parents[1] / "data"
QUESTION = "how do I initialise the widget?"
# A first-person failure report without any reproduction detail (the learned intent model is sure it is a bug report);
# BUG_DETAILS then supplies all five (the steps as an action sequence, as the steps model learned them).
BUG = "the widget crashes every time I open the app, no idea why"
BUG_DETAILS = (
    "Android 14, widget-plugin 1.2.3. What I did:\n"
    "1. upload a new bundle to the production channel\n2. kill the app\n3. reopen it, it crashes at launch\n"
    "```\nE/Widget: java.lang.NullPointerException at Widget.init\n```\n```ts\nWidget.init({ retries: 3 })\n```"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server, _pointed(server):
        yield server
    server.assert_clean()


@contextlib.asynccontextmanager
async def _pointed(server: FakeDiscord) -> AsyncIterator[None]:
    with point_discord_py_at(server):
        yield


def _settings(tmp_path: Path):
    return load_settings(
        {
            "FAQ_PATH": str(DATA / "faq"),
            "DOCS_PATH": str(DATA / "docs"),
            "DATABASE_PATH": str(tmp_path / "bot.db"),
            "STATUS_URL": "off",
        },
        env_file=None,
    )


@contextlib.asynccontextmanager
async def running_bot(fake: FakeDiscord, tmp_path: Path, *, shadow: bool = False) -> AsyncIterator[SupportBot]:
    settings = _settings(tmp_path)
    store = await SqliteStore.open(settings.database_path)
    guild = fake.guild_id
    await store.config.watch_channel(guild, fake.channel_id("general"), shadow=shadow)
    await store.config.watch_channel(guild, fake.channel_id("help"))
    log_channel = fake.add_text_channel("bot-log") if "bot-log" not in _names(fake) else fake.channel_id("bot-log")
    await store.config.update_config(
        guild,
        volunteer_role_ids=(fake.role_id("Volunteer"),),
        staff_role_ids=(fake.role_id("Staff"),),
        staff_log_channel_id=log_channel,
        forum_tag_answered="solved",
        channel_cooldown_seconds=0,
    )
    bot = SupportBot(build_deps(settings, build_engine(settings), store), guild_ready_timeout=0.05)
    try:
        async with run_bot(bot, fake.token, fake=fake):
            yield bot
    finally:
        await store.close()


def _names(fake: FakeDiscord) -> set[str]:
    return {c.get("name") for c in fake.channels.values()}


async def test_question_in_a_watched_channel_gets_an_answer_with_buttons(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path):
        general = fake.channel_id("general")
        asked = await fake.user_sends(general, fake.user_id("alice"), QUESTION)
        reply = await fake.wait_for_message(general)
        assert "Widget.init()" in reply["content"]
        assert "https://capgo.app/docs/guide/getting-started/" in reply["content"]
        assert reply["message_reference"]["message_id"] == asked["id"]
        labels = [c["label"] for row in reply["components"] for c in row["components"]]
        assert labels == ["Solved", "Not helpful", "Dismiss"]
        assert fake.message_writes[-1].allowed_mentions == {"parse": []} or not fake.message_writes[
            -1
        ].allowed_mentions.get("parse")


async def test_forum_post_is_answered_in_the_post_and_tagged(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path):
        forum = fake.channel_id("help")
        post = await fake.create_forum_post(forum, fake.user_id("alice"), "Widget setup", "where do I call Widget.init")
        reply = await fake.wait_for_message(int(post["id"]))
        assert "Widget.init()" in reply["content"]
        tagged = await fake.wait_for_request("PATCH", rf"/channels/{post['id']}$")
        assert fake.tag_id(forum, "solved") in [int(t) for t in tagged.json["applied_tags"]]


async def test_not_helpful_shows_next_matches_privately_and_records_a_gap(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        general = fake.channel_id("general")
        asked = await fake.user_sends(general, fake.user_id("alice"), QUESTION)
        reply = await settled(fake, bot, general)
        click = await fake.click_button(
            general, fake.user_id("alice"), int(reply["id"]), f"triage:unhelpful:{asked['id']}"
        )
        response = await click.wait_response()
        assert response["type"] == 5  # deferred, ephemeral
        followup = await click.wait_followup()
        assert followup["flags"] & 64  # ephemeral
        gaps = await bot.deps.store.stats.top_gaps(fake.guild_id, bot.deps.clock().replace(year=2000))
        assert gaps and "initialise the widget" in gaps[0][0]


async def test_bug_report_reminder_updates_then_disappears(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        general = fake.channel_id("general")
        report = await fake.user_sends(general, fake.user_id("alice"), BUG)
        reminder = await settled(fake, bot, general)
        assert reminder["content"].count("- [ ]") == 5
        await fake.user_edits(general, int(report["id"]), BUG + "\nAndroid 14, widget-plugin 1.2.3")
        edited = await fake.wait_for_request("PATCH", rf"/channels/{general}/messages/{reminder['id']}$")
        assert edited.json["content"].count("- [ ]") == 3  # versions and platform are no longer asked for
        await fake.user_edits(general, int(report["id"]), BUG_DETAILS)
        await fake.wait_for_request("DELETE", rf"/channels/{general}/messages/{reminder['id']}$")


async def test_volunteer_and_bot_messages_and_unwatched_channels_get_nothing(fake: FakeDiscord, tmp_path: Path) -> None:
    other = fake.add_text_channel("random")
    robot = fake.add_user("robot", bot=True)
    async with running_bot(fake, tmp_path):
        general = fake.channel_id("general")
        await fake.user_sends(general, fake.user_id("vera"), QUESTION)  # a volunteer
        await fake.user_sends(other, fake.user_id("alice"), QUESTION)  # unwatched
        await fake.user_sends(general, robot, QUESTION)  # another bot
        marker = await fake.user_sends(general, fake.user_id("alice"), QUESTION)  # the control: answered
        reply = await fake.wait_for_message(general)
        assert reply["message_reference"]["message_id"] == marker["id"]
        bot_posts = [w for w in fake.message_writes if w.kind == "create"]
        assert len(bot_posts) == 1


async def test_faq_command_with_autocomplete_posts_publicly(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        bot.tree.copy_global_to(guild=bot.get_guild(fake.guild_id))
        await bot.tree.sync(guild=bot.get_guild(fake.guild_id))
        general = fake.channel_id("general")
        vera = fake.user_id("vera")
        suggestions = await (
            await fake.autocomplete(general, vera, "faq", {"query": "widget init"}, "query")
        ).wait_response()
        choices = suggestions["data"]["choices"]
        assert choices and choices[0]["value"] == "faq:widget-init"
        members = await (
            await fake.autocomplete(general, fake.user_id("alice"), "faq", {"query": "widget init"}, "query")
        ).wait_response()
        assert members["data"]["choices"] == []  # like the command itself: volunteers and staff only
        posted = await (
            await fake.slash_command(general, vera, "faq", {"query": "faq:widget-init", "user": fake.user_id("alice")})
        ).wait_response()
        assert posted["type"] == 4 and not posted["data"].get("flags", 0) & 64  # public
        assert "Widget.init()" in posted["data"]["content"]
        assert [int(u) for u in posted["data"]["allowed_mentions"]["users"]] == [fake.user_id("alice")]


async def test_config_is_refused_to_non_staff(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        bot.tree.copy_global_to(guild=bot.get_guild(fake.guild_id))
        await bot.tree.sync(guild=bot.get_guild(fake.guild_id))
        general = fake.channel_id("general")
        refused = await (
            await fake.slash_command(general, fake.user_id("alice"), "config", {}, subcommand="show")
        ).wait_response()
        assert refused["data"]["content"] == "This command is for staff only." and refused["data"]["flags"] & 64
        allowed = await (
            await fake.slash_command(general, fake.user_id("sam"), "config", {}, subcommand="show")
        ).wait_response()
        assert "Watched channels" in allowed["data"]["content"]


async def test_shadow_mode_reports_to_the_staff_log_only(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path, shadow=True):
        general = fake.channel_id("general")
        await fake.user_sends(general, fake.user_id("alice"), QUESTION)
        note = await fake.wait_for_message(fake.channel_id("bot-log"))
        assert note["content"].startswith("Would have replied (answer)")
        assert not [w for w in fake.message_writes if w.channel_id == general]


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    general = fake.channel_id("general")
    async with running_bot(fake, tmp_path) as bot:
        asked = await fake.user_sends(general, fake.user_id("alice"), QUESTION)
        reply = await settled(fake, bot, general)
    async with running_bot(fake, tmp_path) as bot:  # same database file, new process state
        click = await fake.click_button(
            general, fake.user_id("alice"), int(reply["id"]), f"triage:solved:{asked['id']}"
        )
        response = await click.wait_response()
        assert response["type"] == 4 and "solved" in response["data"]["content"].lower()


async def test_mass_mentions_are_never_echoed_as_pings(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path, shadow=True):
        general = fake.channel_id("general")
        await fake.user_sends(general, fake.user_id("alice"), "@everyone @here how do I initialise the widget?")
        note = await fake.wait_for_message(fake.channel_id("bot-log"))
        assert "@everyone" not in note["content"] and "@here" not in note["content"]
        assert all(not (w.allowed_mentions or {}).get("parse") for w in fake.message_writes)


async def decided(bot: SupportBot, message_id: str | int, within: float = 5.0):
    """Wait until the bot has recorded its decision on a message, and return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (record := await bot.deps.store.replies.get_decision(int(message_id))) is None:
        if loop.time() > deadline:
            raise TimeoutError(f"no decision recorded for message {message_id}")
        await asyncio.sleep(0.01)
    return record


async def settled(fake: FakeDiscord, bot: SupportBot, channel_id: int, predicate=None) -> dict:
    """Wait for the bot's next message in a channel and until the bot has recorded it (buttons and edits use it)."""
    message = await fake.wait_for_message(channel_id, predicate)
    for _ in range(500):
        if await bot.deps.store.replies.get_reply(int(message["id"])) is not None:
            return message
        await asyncio.sleep(0.01)
    raise TimeoutError(f"bot message {message['id']} was never recorded")


async def _synced(bot: SupportBot, fake: FakeDiscord) -> None:
    guild = bot.get_guild(fake.guild_id)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)


async def test_answer_with_faq_context_menu_lets_the_volunteer_pick(fake: FakeDiscord, tmp_path: Path) -> None:
    other = fake.add_text_channel("off-watch")  # the menu works anywhere, watched or not
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)
        vera = fake.user_id("vera")
        asked = await fake.user_sends(other, fake.user_id("alice"), "where do I call Widget.init")
        menu = await fake.context_menu(other, vera, "Answer with FAQ", asked["id"])
        picker = await menu.wait_response()
        assert picker["type"] == 4 and picker["data"]["flags"] & 64  # private to the volunteer
        select = picker["data"]["components"][0]["components"][0]
        chosen = await fake.select(other, vera, menu.original_message_id, select["custom_id"], ["0"])
        assert (await chosen.wait_response())["type"] == 7  # the picker is updated to "Posted."
        posted = await fake.wait_for_message(other, lambda m: m.get("message_reference") is not None)
        assert posted["message_reference"]["message_id"] == asked["id"]
        assert "Widget.init()" in posted["content"]
        # A member cannot use volunteer tools.
        refused = await (
            await fake.context_menu(other, fake.user_id("alice"), "Answer with FAQ", asked["id"])
        ).wait_response()
        assert refused["data"]["content"] == "This command is for volunteers and staff."


async def test_ask_for_details_menu_and_triage_why(fake: FakeDiscord, tmp_path: Path) -> None:
    other = fake.add_text_channel("off-watch")
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)
        general, vera = fake.channel_id("general"), fake.user_id("vera")
        asked = await fake.user_sends(general, fake.user_id("alice"), QUESTION)
        await fake.wait_for_message(general)
        why = await (await fake.context_menu(general, vera, "Triage: why", asked["id"])).wait_response()
        assert "**Action:** answer" in why["data"]["content"] and why["data"]["flags"] & 64
        vague = await fake.user_sends(other, fake.user_id("alice"), "ok so it does not work")
        menu = await fake.context_menu(other, vera, "Ask for reproduction details", vague["id"])
        await menu.wait_response()
        reminder = await fake.wait_for_message(other, lambda m: "- [ ]" in m.get("content", ""))
        assert (await menu.wait_followup())["content"] == "Reminder posted."
        assert reminder["message_reference"]["message_id"] == vague["id"]
        by_id = await (
            await fake.slash_command(general, vera, "triage-why", {"message_id": str(asked["id"])})
        ).wait_response()
        assert "confident match" in by_id["data"]["content"]


async def test_stats_and_opt_out(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)
        general, alice = fake.channel_id("general"), fake.user_id("alice")
        await fake.user_sends(general, alice, QUESTION)
        await fake.wait_for_message(general)
        gap = await fake.user_sends(general, alice, "how do I export the analytics dashboard to csv?")
        await decided(bot, gap["id"])
        off = await (await fake.slash_command(general, alice, "bot-replies", {"enabled": False})).wait_response()
        assert off["data"]["flags"] & 64
        writes = len(fake.message_writes)
        again = await fake.user_sends(general, alice, QUESTION)
        assert (await decided(bot, again["id"])).rule == "author.opted_out"
        stats = await (await fake.slash_command(general, fake.user_id("sam"), "stats", {"days": 7})).wait_response()
        text = stats["data"]["content"]
        assert "Questions seen: 3" in text and "answered: 1" in text
        assert "export the analytics dashboard to csv" in text  # top unanswered question
        public = [w for w in fake.message_writes[writes:] if w.kind == "create" and not w.payload.get("flags", 0) & 64]
        assert public == []  # opted out: no reply


async def test_dismiss_is_for_the_asker_and_helpers_only(fake: FakeDiscord, tmp_path: Path) -> None:
    stranger = fake.add_user("mallory")  # a member without volunteer or staff roles, not the asker
    async with running_bot(fake, tmp_path) as bot:
        general = fake.channel_id("general")
        asked = await fake.user_sends(general, fake.user_id("alice"), QUESTION)
        reply = await settled(fake, bot, general)
        custom_id = f"triage:dismiss:{asked['id']}"
        refused = await (await fake.click_button(general, stranger, int(reply["id"]), custom_id)).wait_response()
        assert refused["type"] == 4 and refused["data"]["flags"] & 64
        assert int(reply["id"]) in fake.messages
        await (await fake.click_button(general, fake.user_id("alice"), int(reply["id"]), custom_id)).wait_response()
        await fake.wait_for_request("DELETE", rf"/channels/{general}/messages/{reply['id']}$")


async def test_forum_reminder_is_completed_by_a_follow_up_in_the_post(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        forum = fake.channel_id("help")
        alice = fake.user_id("alice")
        post = await fake.create_forum_post(forum, alice, "Widget crashes", BUG)
        thread_id = int(post["id"])
        reminder = await settled(fake, bot, thread_id)
        assert reminder["content"].count("- [ ]") == 5
        await fake.user_sends(thread_id, alice, BUG_DETAILS)
        await fake.wait_for_request("DELETE", rf"/channels/{thread_id}/messages/{reminder['id']}$")
        # A second question in the same post gets no second bot answer.
        writes = len(fake.message_writes)
        await fake.user_sends(thread_id, alice, QUESTION)
        await fake.user_sends(thread_id, fake.user_id("vera"), "try Widget.init in main.ts")
        assert [w for w in fake.message_writes[writes:] if w.kind == "create"] == []


async def test_billing_request_gets_the_policy_reply(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path):
        general = fake.channel_id("general")
        await fake.user_sends(general, fake.user_id("alice"), "I was charged twice this month, can you refund me?")
        reply = await fake.wait_for_message(general)
        assert "support@capgo.app" in reply["content"]
        assert not reply.get("components")  # no feedback buttons on a policy reply


async def test_staff_can_watch_a_new_channel(fake: FakeDiscord, tmp_path: Path) -> None:
    extra = fake.add_text_channel("questions")
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)
        general, alice = fake.channel_id("general"), fake.user_id("alice")
        first = await fake.user_sends(extra, alice, QUESTION)
        done = await (
            await fake.slash_command(general, fake.user_id("sam"), "config", {"channel": extra}, subcommand="watch")
        ).wait_response()
        assert "Watching" in done["data"]["content"]
        await fake.user_sends(extra, alice, QUESTION)
        reply = await fake.wait_for_message(extra)
        assert "Widget.init()" in reply["content"]
        assert await bot.deps.store.replies.get_decision(int(first["id"])) is None  # before watching: untouched


async def test_a_failing_command_apologises_privately(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)

        async def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("database on fire")

        bot.deps.store.stats.stats = broken  # type: ignore[method-assign]
        reply = await (
            await fake.slash_command(fake.channel_id("general"), fake.user_id("sam"), "stats", {"days": 7})
        ).wait_response()
        assert reply["data"]["content"].startswith("Sorry, something went wrong") and reply["data"]["flags"] & 64


async def test_message_content_never_reaches_logs_above_debug(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret_words = "how do I initialise the widget with my zebra-unicorn setup?"
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake, tmp_path) as bot:
        general = fake.channel_id("general")
        await fake.user_sends(general, fake.user_id("alice"), secret_words)
        await settled(fake, bot, general)
        await fake.user_sends(general, fake.user_id("alice"), "the widget crashes with zebra-unicorn, no idea why")
        await settled(fake, bot, general)
    loud = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert loud and not [m for m in loud if "zebra-unicorn" in m]


async def test_a_message_said_to_another_member_is_left_alone_one_said_to_the_bot_is_answered(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path) as bot:
        general = fake.channel_id("general")
        alice, bob = fake.user_id("alice"), fake.add_user("bob")
        to_bob = await fake.user_sends(general, alice, f"<@{bob}> {BUG}")
        assert (await decided(bot, to_bob["id"])).rule == "conversation.addressed"
        to_bot = await fake.user_sends(general, bob, f"<@{fake.bot_id}> {QUESTION}")
        reply = await settled(fake, bot, general)
        assert reply["message_reference"]["message_id"] == to_bot["id"]
        assert (await decided(bot, to_bot["id"])).rule == "answer.confident"
        replied_to = [
            (fake.messages[w.message_id].get("message_reference") or {}).get("message_id")
            for w in fake.message_writes
            if w.kind == "create" and w.message_id in fake.messages
        ]
        assert replied_to == [to_bot["id"]]  # nothing said to bob's conversation
