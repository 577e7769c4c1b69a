"""Sharding end to end: the real SupportBot identifies with its configured shards against the fake Discord, and
receives only the guilds those shards own (Discord routes a guild to shard ``(guild_id >> 22) % shard_count``)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import asyncpg
import pytest

from bot.app.composition import build_deps
from bot.bot import ShardedSupportBot, SupportBot, make_bot
from bot.cli import build_engine
from bot.services.store import SqliteStore
from bot.services.store.postgres import PostgresStore
from bot.settings import Settings, load_settings
from tests.fake_discord import FakeDiscord, point_discord_py_at, run_bot

DATA = Path(__file__).resolve().parents[1] / "data"
# Shard 1 of 2 owns this guild: (id >> 22) % 2 == 1.
GUILD_ON_SHARD_1 = (1 << 22) | 12345


def _settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings(
        {
            "FAQ_PATH": str(DATA / "faq"),
            "DOCS_PATH": str(DATA / "docs"),
            "DATABASE_PATH": str(tmp_path / "bot.db"),
            # Sharded settings require a shared database; these tests open a SQLite store themselves (one process).
            "DATABASE_URL": "postgresql://unused@127.0.0.1/unused",
            "STATUS_URL": "off",
            "SEMANTIC": "off",
            **env,
        },
        env_file=None,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    assert (GUILD_ON_SHARD_1 >> 22) % 2 == 1
    async with FakeDiscord(guild_id=GUILD_ON_SHARD_1) as server:
        with point_discord_py_at(server):
            yield server
    server.assert_clean()


async def _bot(tmp_path: Path, **env: str) -> tuple[SupportBot, SqliteStore]:
    settings = _settings(tmp_path, **env)
    store = await SqliteStore.open(settings.database_path)
    return make_bot(build_deps(settings, build_engine(settings), store), guild_ready_timeout=0.05), store


@pytest.mark.parametrize(("shard", "owns_guild"), [("1", True), ("0", False)])
async def test_one_shard_process_identifies_with_its_shard(
    fake: FakeDiscord, tmp_path: Path, shard: str, owns_guild: bool
) -> None:
    bot, store = await _bot(tmp_path, SHARD_COUNT="2", SHARD_IDS=shard)
    try:
        assert type(bot) is SupportBot
        async with run_bot(bot, fake.token, fake=fake):
            assert [d.get("shard") for d in fake.identifies] == [[int(shard), 2]]
            assert [g.id for g in bot.guilds] == ([GUILD_ON_SHARD_1] if owns_guild else [])
    finally:
        await store.close()


async def test_several_shards_in_one_process_identify_each(fake: FakeDiscord, tmp_path: Path) -> None:
    bot, store = await _bot(tmp_path, SHARD_COUNT="2", SHARD_IDS="0,1")
    try:
        assert isinstance(bot, ShardedSupportBot)
        async with run_bot(bot, fake.token, fake=fake):
            assert sorted(tuple(d.get("shard")) for d in fake.identifies) == [(0, 2), (1, 2)]
            assert [g.id for g in bot.guilds] == [GUILD_ON_SHARD_1]
    finally:
        await store.close()


async def test_unsharded_bot_identifies_without_a_shard(fake: FakeDiscord, tmp_path: Path) -> None:
    settings = load_settings(
        {"FAQ_PATH": str(DATA / "faq"), "DATABASE_PATH": str(tmp_path / "bot.db"), "STATUS_URL": "off"},
        env_file=None,
    )
    store = await SqliteStore.open(settings.database_path)
    try:
        bot = make_bot(build_deps(settings, build_engine(settings), store), guild_ready_timeout=0.05)
        async with run_bot(bot, fake.token, fake=fake):
            assert [d.get("shard") for d in fake.identifies] == [None]
            assert [g.id for g in bot.guilds] == [GUILD_ON_SHARD_1]
    finally:
        await store.close()


# -- two bot processes (`python -m bot`) over one PostgreSQL database -----------------------------------------------

from tests.services.conftest import pg_server, pg_url  # noqa: E402, F401 - the PostgreSQL fixtures (skip without one)

ROOT = Path(__file__).resolve().parents[2]
# Shard 0 of 2 owns this guild: (id >> 22) % 2 == 0.
GUILD_ON_SHARD_0 = (2 << 22) | 12345
QUESTIONS = (("alice", "how do I initialise the widget?"), ("bob", "where do I call Widget.init"))


async def _start(
    fake: FakeDiscord, database_url: str, shard: int, watch: Iterable[int], log: Path
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        **fake.env(),
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": database_url,
        "SHARD_COUNT": "2",
        "SHARD_IDS": str(shard),
        "WATCH_CHANNELS": ",".join(map(str, watch)),
        "FAQ_PATH": str(DATA / "faq"),
        "DOCS_PATH": str(DATA / "docs"),
        "STATUS_URL": "off",
        "SEMANTIC": "off",
        "LOG_LEVEL": "DEBUG",  # the store's debug lines name each decision and reply this process recorded
    }
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would block a chatty process
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )


async def test_two_processes_two_shards_answer_each_message_once(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    # Two guilds, one per shard, a watched channel in each: process 0 runs shard 0 (guild A), process 1 shard 1 (B).
    guild_a, guild_b = GUILD_ON_SHARD_0, GUILD_ON_SHARD_1
    async with FakeDiscord(guild_id=guild_a) as fake:
        fake.add_guild("Guild B", guild_id=guild_b)
        channels = {guild_a: fake.channel_id("general"), guild_b: fake.add_text_channel("general", guild_id=guild_b)}
        fake.add_user("bob")
        logs = [tmp_path / f"shard-{shard}.log" for shard in (0, 1)]
        procs = [await _start(fake, pg_url, shard, channels.values(), logs[shard]) for shard in (0, 1)]
        waits = [asyncio.ensure_future(proc.wait()) for proc in procs]
        for wait in waits:
            fake.watch(wait)  # a process that dies fails the wait helpers at once
        asked: dict[str, int] = {}  # question message id -> its guild
        try:
            await fake.wait_until(
                lambda: True if sorted(s.shard for s in fake.sessions.values() if s.conn) == [(0, 2), (1, 2)] else None,
                timeout=60,
                what="both shards identified",
            )
            await _wait_watched(pg_url, channels.values())
            async with await PostgresStore.open(pg_url) as store:  # answer every question, no channel cooldown
                for guild in channels:
                    await store.config.update_config(guild, channel_cooldown_seconds=0)
            for guild, channel in channels.items():
                for user, text in QUESTIONS:
                    asked[(await fake.user_sends(channel, fake.user_id(user), text))["id"]] = guild
            for message_id, guild in asked.items():
                await fake.wait_for_message(
                    channels[guild], lambda m, asked_id=message_id: _replies_to(m) == asked_id, timeout=15, after=0
                )
        finally:
            for wait in waits:
                fake.unwatch(wait)
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
                await proc.wait()
        outputs = [log.read_text(encoding="utf-8", errors="replace") for log in logs]
        assert all(proc.returncode == 0 for proc in procs), "\n\n".join(outputs)
        assert "Shard ID 0 has connected" in outputs[0] and "Shard ID 1 has connected" in outputs[1]
        # Each process received its own guild only and seeded its watched channel from WATCH_CHANNELS.
        assert f"watching 1 channel(s) of guild {guild_a} " in outputs[0] and f"guild {guild_a} " not in outputs[1]
        assert f"watching 1 channel(s) of guild {guild_b} " in outputs[1] and f"guild {guild_b} " not in outputs[0]

        # Both processes have exited: no reply can still be on its way, so these counts are final.
        replies = {
            w.message_id: fake.messages.get(w.message_id) or fake.deleted_messages[w.message_id]
            for w in fake.message_writes
            if w.kind == "create" and w.channel_id in channels.values()
        }
        assert sorted(_replies_to(r) for r in replies.values()) == sorted(asked)  # one reply to each question
        # Which process answered? The REST write does not say, so the fake and the processes' own logs tell: the
        # question went to the gateway session of its guild's shard only, and that process (only) logged one decision
        # and one reply for it, the reply being the message the fake received.
        for reply_id, reply in replies.items():
            question, owner = _replies_to(reply), 0 if asked[_replies_to(reply)] == guild_a else 1
            assert fake.shards_sent("MESSAGE_CREATE", question) == [(owner, 2)]
            assert outputs[owner].count(f"for message {question}\n") == 1
            assert outputs[owner].count(f" reply {reply_id} to message {question}\n") == 1
            assert str(question) not in outputs[1 - owner]
        fake.assert_clean()


async def _wait_watched(database_url: str, channels: Iterable[int]) -> None:
    """Wait (up to 30 s) until the processes owning the guilds have seeded WATCH_CHANNELS into the shared database."""
    ids = sorted(set(channels))
    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(300):
            if await conn.fetchval("SELECT COUNT(*) FROM watched_channel WHERE channel_id = ANY($1)", ids) == len(ids):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"channels {ids} never all watched")
    finally:
        await conn.close()


def _replies_to(message: dict) -> str | None:
    return (message.get("message_reference") or {}).get("message_id")
