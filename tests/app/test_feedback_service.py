"""FeedbackService on a real SQLite file and the test engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.composition import EngineHolder
from bot.app.feedback import FeedbackService, Press, Result
from bot.app.triage_flow import Author
from bot.core.triage import TriageEngine
from bot.services.store import BotReply, SqliteStore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GUILD, ASKER, HELPER, STRANGER = 1, 5, 6, 7
QUESTION = "How do I configure the widget update channel?"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / "bot.db")
    await store.config.update_config(GUILD, volunteer_role_ids=(30,))
    yield store
    await store.close()


@pytest.fixture
async def service(store: SqliteStore, engine: TriageEngine) -> FeedbackService:
    best = engine.index.search(QUESTION, "en").matches[0]
    await store.replies.record_reply(
        BotReply(reply_message_id=900, guild_id=GUILD, channel_id=10, thread_id=None, source_message_id=100,
                 author_id=ASKER, kind="answer", url=best.url, entry_id=best.entry_id, confidence=0.9, missing=(),
                 lang="en", created_at=NOW, deleted_at=None)
    )  # fmt: skip
    return FeedbackService(replies=store.replies, config=store.config, engines=EngineHolder(engine), clock=lambda: NOW)


async def ask() -> str:
    return QUESTION


async def test_only_the_asker_or_a_helper_may_mark_solved_and_only_once(service: FeedbackService) -> None:
    assert (await service.press(Press.SOLVED, 100, GUILD, Author(STRANGER), ask)).result is Result.NOT_ALLOWED
    assert (await service.press(Press.SOLVED, 100, GUILD, Author(HELPER, role_ids=(30,)), ask)).result is Result.SOLVED
    assert (await service.press(Press.SOLVED, 100, GUILD, Author(ASKER), ask)).result is Result.SOLVED
    assert (await service.press(Press.SOLVED, 100, GUILD, Author(ASKER), ask)).result is Result.ALREADY_SOLVED


async def test_an_unknown_reply_is_untracked(service: FeedbackService) -> None:
    assert (await service.press(Press.NOT_HELPFUL, 999, GUILD, Author(ASKER), ask)).result is Result.UNTRACKED


async def test_not_helpful_records_a_gap_and_offers_other_pages(service: FeedbackService, store: SqliteStore) -> None:
    outcome = await service.press(Press.NOT_HELPFUL, 100, GUILD, Author(STRANGER), ask)
    assert outcome.result is Result.NOT_HELPFUL and outcome.reply is not None
    shown = (outcome.reply.url or "").split("#")[0]
    assert all(m.url.split("#")[0] != shown for m in outcome.alternatives)
    gaps = await store.stats.top_gaps(GUILD, datetime(2026, 1, 1, tzinfo=UTC))
    assert [count for _, count in gaps] == [1]


async def test_dismiss_forgets_the_reply(service: FeedbackService, store: SqliteStore) -> None:
    assert (await service.press(Press.DISMISS, 100, GUILD, Author(STRANGER), ask)).result is Result.NOT_ALLOWED
    assert (await service.press(Press.DISMISS, 100, GUILD, Author(ASKER), ask)).result is Result.DISMISSED
    reply = await store.replies.get_reply(900)
    assert reply is not None and reply.deleted_at == NOW
