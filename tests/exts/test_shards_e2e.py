"""Sharding end to end: the real SupportBot identifies with its configured shards against the fake Discord, and
receives only the guilds those shards own (Discord routes a guild to shard ``(guild_id >> 22) % shard_count``)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
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


async def _start(fake: FakeDiscord, database_url: str, shard: int, watch: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        **fake.env(),
        "DISCORD_TOKEN": fake.token,
        "DATABASE_URL": database_url,
        "SHARD_COUNT": "2",
        "SHARD_IDS": str(shard),
        "WATCH_CHANNELS": str(watch),
        "FAQ_PATH": str(DATA / "faq"),
        "DOCS_PATH": str(DATA / "docs"),
        "STATUS_URL": "off",
        "SEMANTIC": "off",
        "LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def test_two_processes_two_shards_answer_each_message_once(pg_url: str) -> None:  # noqa: F811
    async with FakeDiscord(guild_id=GUILD_ON_SHARD_1) as fake:
        general = fake.channel_id("general")
        fake.add_user("bob")
        procs = [await _start(fake, pg_url, shard, general) for shard in (0, 1)]
        waits = [asyncio.ensure_future(proc.wait()) for proc in procs]
        for wait in waits:
            fake.watch(wait)  # a process that dies fails the wait helpers at once
        outputs: list[str] = []
        try:
            await fake.wait_until(
                lambda: True if sorted(s.shard for s in fake.sessions.values() if s.conn) == [(0, 2), (1, 2)] else None,
                timeout=60,
                what="both shards identified",
            )
            await _wait_watched(pg_url, general)
            async with await PostgresStore.open(pg_url) as store:  # answer every question, no channel cooldown
                await store.config.update_config(GUILD_ON_SHARD_1, channel_cooldown_seconds=0)
            asked = [
                await fake.user_sends(general, fake.user_id(user), text)
                for user, text in (("alice", "how do I initialise the widget?"), ("bob", "where do I call Widget.init"))
            ]
            for message in asked:
                await fake.wait_for_message(
                    general, lambda m, asked_id=message["id"]: _replies_to(m) == asked_id, timeout=15
                )
            await asyncio.sleep(1.5)  # time for a duplicate answer to arrive, were there one
            replies = [
                fake.messages.get(w.message_id) or fake.deleted_messages.get(w.message_id)
                for w in fake.message_writes
                if w.kind == "create" and w.channel_id == general
            ]
            answered = [_replies_to(r) for r in replies if r is not None]
            assert sorted(answered) == sorted(m["id"] for m in asked)  # each once, by the process owning the shard
        finally:
            for wait in waits:
                fake.unwatch(wait)
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
                outputs.append((await proc.communicate())[0].decode())
        assert all(proc.returncode == 0 for proc in procs), "\n\n".join(outputs)
        assert "Shard ID 0 has connected" in outputs[0] and "Shard ID 1 has connected" in outputs[1]
        fake.assert_clean()


async def _wait_watched(database_url: str, channel: int) -> None:
    """Wait (up to 30 s) until the process owning the guild has seeded WATCH_CHANNELS into the shared database."""
    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(300):
            if await conn.fetchval("SELECT 1 FROM watched_channel WHERE channel_id = $1", channel):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"channel {channel} never watched")
    finally:
        await conn.close()


def _replies_to(message: dict) -> str | None:
    return (message.get("message_reference") or {}).get("message_id")
