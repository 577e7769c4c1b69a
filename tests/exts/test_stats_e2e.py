"""End to end: `/stats` replies privately with the report and a PNG chart, `/stats export:True` with CSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.app.test_chart import decode_png
from tests.exts.test_e2e import QUESTION, _synced, decided, running_bot
from tests.fake_discord import FakeDiscord, point_discord_py_at

EPHEMERAL = 64


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        with point_discord_py_at(server):
            yield server
    server.assert_clean()


async def _asked(fake: FakeDiscord, bot: object) -> None:
    """One question the bot answers and one it cannot, in #general."""
    general, alice = fake.channel_id("general"), fake.user_id("alice")
    await fake.user_sends(general, alice, QUESTION)
    await fake.wait_for_message(general)
    gap = await fake.user_sends(general, alice, "how do I export the analytics dashboard to csv?")
    await decided(bot, gap["id"])  # type: ignore[arg-type]


async def test_stats_replies_with_text_and_a_png_chart(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)
        await _asked(fake, bot)
        general, sam = fake.channel_id("general"), fake.user_id("sam")
        response = await (await fake.slash_command(general, sam, "stats", {"days": 30})).wait_response()
        assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
        text = response["data"]["content"]
        assert "**Last 30 days**" in text and "Questions seen: 2" in text
        assert "**By language** (answered/silent/reminded/routed): en 1/1/0/0" in text
        assert f"**By channel**: <#{general}> 1/1/0/0" in text
        assert "**Per day**" in text and "export the analytics dashboard to csv" in text
        (attachment,) = response["data"]["attachments"]
        assert attachment["filename"] == "stats.png"
        image = decode_png(fake.uploads["stats.png"])
        assert (image.width, image.height) == (800, 480)


async def test_stats_export_replies_privately_with_csv_files(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)
        await _asked(fake, bot)
        general, sam = fake.channel_id("general"), fake.user_id("sam")
        command = await fake.slash_command(general, sam, "stats", {"days": 7, "export": True})
        response = await command.wait_response()
        assert response["data"]["flags"] & EPHEMERAL
        assert "2 decisions, 1 gaps, 0 feedback" in response["data"]["content"]
        names = [a["filename"] for a in response["data"]["attachments"]]
        assert names == ["decisions.csv", "gaps.csv", "feedback.csv"]
        decisions = list(csv.DictReader(io.StringIO(fake.uploads["decisions.csv"].decode("utf-8"))))
        assert [d["action"] for d in decisions] == ["answer", "silent"] and "author_id" not in decisions[0]
        assert "export the analytics dashboard to csv" in fake.uploads["gaps.csv"].decode("utf-8")


async def test_stats_is_for_staff_only(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        await _synced(bot, fake)
        general = fake.channel_id("general")
        command = await fake.slash_command(general, fake.user_id("alice"), "stats", {"export": True})
        response = await command.wait_response()
        assert response["data"]["flags"] & EPHEMERAL and not response["data"].get("attachments")
        assert fake.uploads == {}
