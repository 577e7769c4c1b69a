"""The real entry point (`python -m bot`) as a subprocess against the fake Discord."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from pathlib import Path

from tests.fake_discord import FakeDiscord


def _watched(path: Path) -> list[int]:
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return [row[0] for row in db.execute("SELECT channel_id FROM watched_channel")]
    except sqlite3.Error:
        return []  # not migrated yet


ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


async def test_python_m_bot_connects_seeds_the_watch_list_and_answers(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        general = fake.channel_id("general")
        env = {
            **os.environ,
            **fake.env(),
            "DISCORD_TOKEN": fake.token,
            "WATCH_CHANNELS": str(general),
            "DATABASE_PATH": str(tmp_path / "bot.db"),
            "FAQ_PATH": str(DATA / "faq"),
            "DOCS_PATH": str(DATA / "docs"),
            "LOG_LEVEL": "INFO",
            "STATUS_URL": "off",  # tests never reach out to the real status page
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        fake.watch(asyncio.ensure_future(proc.wait()))
        try:
            await fake.wait_until_connected(timeout=30)
            # The guild arriving seeds WATCH_CHANNELS into the database, observable through the SQLite file.
            await fake.wait_until(
                lambda: True if _watched(tmp_path / "bot.db") == [general] else None, timeout=30, what="seeding"
            )
            await fake.user_sends(general, fake.user_id("alice"), "how do I initialise the widget?")
            try:
                reply = await fake.wait_for_message(general, timeout=15)
            except TimeoutError:
                proc.terminate()
                raise AssertionError((await proc.communicate())[0].decode()) from None
            proc.terminate()
            output = (await proc.communicate())[0].decode()
            assert "Widget.init()" in reply["content"], output
        finally:
            if proc.returncode is None:
                proc.terminate()
                output = (await proc.communicate())[0].decode()
        assert "watching 1 channel(s)" in output
        assert proc.returncode == 0 and "stopped cleanly" in output  # SIGTERM closes the bot and the database
        assert fake.token not in output  # the token is never logged
        fake.assert_clean()
        assert (tmp_path / "bot.db").exists()


async def test_a_wrong_token_stops_with_a_clear_message(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        env = {**os.environ, **fake.env(), "DISCORD_TOKEN": "not-the-token", "DATABASE_PATH": str(tmp_path / "b.db"),
               "FAQ_PATH": str(DATA / "faq"), "DOCS_PATH": str(DATA / "docs"), "STATUS_URL": "off"}  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output = (await asyncio.wait_for(proc.communicate(), timeout=30))[0].decode()
        assert proc.returncode == 2
        assert (
            "error: DISCORD_TOKEN was refused by Discord (401 Unauthorized); reset it in the Developer Portal" in output
        )
        assert "Traceback" not in output and "not-the-token" not in output


async def test_an_unreachable_gateway_stops_with_a_clear_message(tmp_path: Path) -> None:
    # REST answers (the token is good), the gateway's port is closed: discord.py alone would crash with an
    # AttributeError and a traceback on its first connection.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with FakeDiscord() as fake:
        env = {**os.environ, **fake.env(), "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
               "DISCORD_TOKEN": fake.token, "DATABASE_PATH": str(tmp_path / "b.db"), "FAQ_PATH": str(DATA / "faq"),
               "DOCS_PATH": str(DATA / "docs"), "STATUS_URL": "off"}  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        output = stdout.decode() + stderr.decode()
        assert proc.returncode == 1, output
        errors = [line for line in stderr.decode().splitlines() if line.startswith("error:")]
        assert len(errors) == 1, output
        assert errors[0].startswith(f"error: cannot reach the Discord gateway at ws://127.0.0.1:{port}/gateway: ")
        assert errors[0].endswith("; check the network or DISCORD_GATEWAY_URL")
        assert "Traceback" not in output and fake.token not in output
        assert not fake.identifies  # it stopped before any session
