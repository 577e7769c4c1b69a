"""Hostile messages through the real bot and the fake Discord: no crash, no ping, nothing echoed, nothing too long.

A seeded sample of the corpus (tests/hostile.py) is posted in a watched text channel and as forum posts with hostile
titles. Afterwards every message the bot created or edited is checked (allowed_mentions parse nothing, content within
Discord's 2,000 characters, no secret or e-mail address of the inputs), and so is every log record above DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.exts.test_e2e import fake, running_bot  # noqa: F401 - `fake` is a fixture
from tests.fake_discord import FakeDiscord
from tests.hostile import DISCORD_LIMIT, corpus, leaks

SAMPLE = 39  # 3 of each of the 13 kinds
FORUM_POSTS = 6


def _pings(payload: dict) -> list[str]:
    """What a message payload could ping: anything Discord would parse given its allowed_mentions."""
    mentions = payload.get("allowed_mentions")
    if mentions is None:
        # No allowed_mentions: Discord parses every mention in the content (an empty message pings nobody).
        return ["no allowed_mentions"] if payload.get("content") else []
    problems = [f"parse {kind}" for kind in mentions.get("parse") or []]
    problems += [f"{kind} listed" for kind in ("users", "roles") if mentions.get(kind)]
    return problems


async def test_hostile_sample_through_the_bot(
    fake: FakeDiscord,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    items = corpus(SAMPLE + FORUM_POSTS, seed=23)
    posts, forum_items = items[:SAMPLE], items[SAMPLE:]
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake, tmp_path) as bot:
        general, forum, alice = fake.channel_id("general"), fake.channel_id("help"), fake.user_id("alice")
        sent = [await fake.user_sends(general, alice, item.text) for item in posts]
        for item in forum_items:
            title = (item.title or item.text)[:100] or "untitled"
            post = await fake.create_forum_post(forum, alice, title, item.text or ".")
            sent.append(post["message"])
        store = bot.deps.store

        async def all_decided() -> bool:
            return all([await store.replies.get_decision(int(m["id"])) is not None for m in sent])

        for _ in range(2000):  # every message triaged and its decision recorded (or the bot crashed: fails at once)
            fake.raise_if_bot_failed()
            if await all_decided():
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the bot did not triage every hostile message")
        decisions = [await store.replies.get_decision(int(m["id"])) for m in sent]
        support = frozenset({bot.deps.settings.brand.support_email.lower()})  # the bot's own address may appear

    writes = fake.message_writes
    assert writes, "the bot never replied to anything (the sample holds real questions)"
    problems = []
    for w in writes:
        content = w.payload.get("content") or ""
        problems += [f"message {w.message_id}: {p}" for p in _pings(w.payload)]
        if len(content) > DISCORD_LIMIT:
            problems.append(f"message {w.message_id}: {len(content)} characters")
        text = content + " ".join(str(e) for e in w.payload.get("embeds") or [])
        problems += [f"message {w.message_id} echoes {s!r}" for s in leaks(text, items, allowed_emails=support)]
    for record in caplog.records:
        if record.levelno > logging.DEBUG:
            message = record.getMessage() + (record.exc_text or "")
            problems += [f"log {record.name}: echoes {s!r}" for s in leaks(message, items, allowed_emails=support)]
        if record.levelno >= logging.ERROR:
            problems.append(f"error logged: {record.name}: {record.getMessage()[:200]}")
    for d in decisions:
        problems += [f"decision reason echoes {s!r}" for s in leaks(d.reason, items, allowed_emails=support)]
    assert not problems, "\n".join(problems[:20])
    assert fake.bad_requests == []  # nothing Discord would have refused (too long, empty...)
