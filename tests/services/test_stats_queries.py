"""The /stats queries of the replies repository on a real SQLite file with known rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.store import SqliteStore
from bot.services.store.stats import ActionSplit, BandCount, DailyCount, FeedbackRecord
from tests.services.test_store import GUILD, OTHER_GUILD, make_decision, make_reply

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=5)  # 2026-06-05 12:00


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=UTC)


async def fill(store: SqliteStore) -> None:
    """Decisions, replies, feedback and gaps with counts the tests below spell out."""
    decisions = [
        # message id, day, action, lang, channel, confidence
        (1, 8, "answer", "en", 10, 0.82),
        (2, 8, "silent", "en", 10, 0.55),
        (3, 9, "remind", "fr", 11, 0.30),
        (4, 9, "answer", "fr", 11, 0.95),
        (9, 9, "silent", "en", 10, 0.70),  # exactly on a band edge: the band above
        (5, 10, "route", "en", 10, 0.0),
        (6, 10, "answer", "en", 12, 1.0),  # 1.0 joins the top band
        (7, 1, "answer", "en", 10, 0.85),  # before the period
    ]
    for message_id, day, action, lang, channel, confidence in decisions:
        await store.replies.record_decision(
            make_decision(
                at(day),
                message_id=message_id,
                action=action,
                lang=lang,
                channel_id=channel,
                confidence=confidence,
                rule=f"{action}.test",
            )
        )
    await store.replies.record_decision(make_decision(at(9), message_id=8, guild_id=OTHER_GUILD, confidence=0.9))

    replies = [
        # reply id, source message id, day, kind, confidence, guild
        (101, 1, 8, "answer", 0.82, GUILD),
        (104, 4, 9, "answer", 0.95, GUILD),
        (106, 6, 10, "answer", 1.0, GUILD),
        (110, 10, 9, "answer", 0.45, GUILD),  # a guild threshold under 0.5: the "below 0.5" band
        (111, 11, 9, "shadow", 0.75, GUILD),  # shadow mode: never shown, not an answer
        (107, 7, 1, "answer", 0.85, GUILD),  # before the period
        (108, 8, 9, "answer", 0.9, OTHER_GUILD),
    ]
    for reply_id, source, day, kind, confidence, guild in replies:
        await store.replies.record_reply(
            make_reply(
                at(day, 10),
                reply_message_id=reply_id,
                source_message_id=source,
                kind=kind,
                confidence=confidence,
                guild_id=guild,
                channel_id=20 + source % 3,
            )
        )
    feedback = [
        (101, 8, "not_helpful", 8),
        (101, 9, "not_helpful", 8),  # a second user: the reply still counts once
        (101, 9, "solved", 9),
        (104, 8, "solved", 9),
        (110, 8, "not_helpful", 9),
        (107, 8, "not_helpful", 2),  # on a reply before the period
        (108, 8, "not_helpful", 9),  # another guild
    ]
    for reply_id, user, kind, day in feedback:
        await store.replies.record_feedback(reply_id, user, kind, at(day, 11))
    await store.replies.record_gap(GUILD, "How do I export the dashboard?", at(9), "unanswered")
    await store.replies.record_gap(GUILD, "=cmd|' /C calc'!A0", at(10), "not_helpful")
    await store.replies.record_gap(GUILD, "an old question", at(1), "unanswered")
    await store.replies.record_gap(OTHER_GUILD, "elsewhere", at(9), "unanswered")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "bot.sqlite3")
    await fill(opened)
    yield opened
    await opened.close()


async def test_daily_counts_are_per_utc_day_and_action(store: SqliteStore) -> None:
    assert await store.stats.daily_counts(GUILD, at(8, 0)) == [
        DailyCount(date(2026, 6, 8), "answer", 1),
        DailyCount(date(2026, 6, 8), "silent", 1),
        DailyCount(date(2026, 6, 9), "answer", 1),
        DailyCount(date(2026, 6, 9), "remind", 1),
        DailyCount(date(2026, 6, 9), "silent", 1),
        DailyCount(date(2026, 6, 10), "answer", 1),
        DailyCount(date(2026, 6, 10), "route", 1),
    ]
    assert await store.stats.daily_counts(GUILD, NOW + timedelta(days=1)) == []


async def test_split_per_language_and_per_channel(store: SqliteStore) -> None:
    assert await store.stats.action_split(GUILD, SINCE, "lang") == [
        ActionSplit("en", total=5, answered=2, silent=2, routed=1),
        ActionSplit("fr", total=2, answered=1, reminded=1),
    ]
    assert await store.stats.action_split(GUILD, SINCE, "channel") == [
        ActionSplit("10", total=4, answered=1, silent=2, routed=1),
        ActionSplit("11", total=2, answered=1, reminded=1),
        ActionSplit("12", total=1, answered=1),
    ]
    assert await store.stats.action_split(OTHER_GUILD, SINCE, "lang") == [ActionSplit("en", total=1, answered=1)]
    with pytest.raises(ValueError, match="split must be one of channel, lang"):
        await store.stats.action_split(GUILD, SINCE, "author_id; DROP TABLE decision")  # type: ignore[arg-type]


async def test_confidence_bands_count_answers_and_not_helpful_on_them(store: SqliteStore) -> None:
    assert await store.stats.confidence_bands(GUILD, SINCE) == [
        BandCount(0.0, 0.5, seen=0, answered=1, not_helpful=1),
        BandCount(0.5, 0.6, seen=1),
        BandCount(0.6, 0.7),
        BandCount(0.7, 0.8, seen=1),  # the shadow reply at 0.75 is not an answer
        BandCount(0.8, 0.9, seen=1, answered=1, not_helpful=1, solved=1),  # two "Not helpful" on one reply: one
        BandCount(0.9, 1.0, seen=2, answered=2, solved=1),
    ]


async def test_confidence_bands_of_an_empty_period_are_the_five_bands_at_zero(store: SqliteStore) -> None:
    bands = await store.stats.confidence_bands(GUILD, NOW + timedelta(days=1))
    assert [(b.low, b.high) for b in bands] == [(0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0)]
    assert all(b == BandCount(b.low, b.high) for b in bands)


async def test_export_rows_since_a_date_of_one_guild_or_all(store: SqliteStore) -> None:
    decisions = await store.stats.decisions_since(SINCE, GUILD)
    assert [d.message_id for d in decisions] == [1, 2, 3, 4, 9, 5, 6]  # oldest first
    assert [d.message_id for d in await store.stats.decisions_since(SINCE)] == [
        1,
        2,
        3,
        4,
        8,
        9,
        5,
        6,
    ]  # same time: by message id

    gaps = await store.stats.gap_records_since(SINCE, GUILD)
    assert [(g.question, g.source, g.created_at) for g in gaps] == [
        ("how do i export the dashboard?", "unanswered", at(9)),
        ("=cmd|' /c calc'!a0", "not_helpful", at(10)),
    ]
    assert {g.guild_id for g in await store.stats.gap_records_since(SINCE)} == {GUILD, OTHER_GUILD}

    feedback = await store.stats.feedback_since(SINCE, GUILD)
    assert [(f.reply_message_id, f.kind) for f in feedback] == [
        (101, "not_helpful"),
        (101, "not_helpful"),
        (101, "solved"),
        (104, "solved"),
        (110, "not_helpful"),
    ]
    first = feedback[0]
    assert (first.guild_id, first.reply_kind, first.reply_confidence, first.lang) == (GUILD, "answer", 0.82, "en")
    assert first.created_at == at(8, 11) and first.url == "https://example.com/docs/rollback/"
    assert len(await store.stats.feedback_since(SINCE)) == 6
    assert "user_id" not in {f.name for f in fields(FeedbackRecord)}  # who pressed is never read
