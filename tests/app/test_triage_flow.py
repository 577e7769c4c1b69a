"""TriageFlow on a real SQLite file and the test engine: what it decides, records and reads, without Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.composition import EngineHolder, IncidentBoard
from bot.app.triage_flow import Author, IncomingMessage, Step, TriageFlow, role_of
from bot.core.decision import Action, Incident, Role
from bot.core.triage import TriageEngine
from bot.services.store import GuildConfig, SqliteStore
from bot.settings import load_settings

GUILD, CHANNEL = 1, 10
QUESTION = "How do I configure the widget update channel?"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / "bot.db")
    yield store
    await store.close()


@pytest.fixture
def flow(store: SqliteStore, engine: TriageEngine) -> TriageFlow:
    thresholds = load_settings({}, env_file=None).triage
    clock = lambda: datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # noqa: E731
    return TriageFlow(
        config=store.config,
        replies=store.replies,
        cooldowns=store.cooldowns,
        engines=EngineHolder(engine),
        incidents=IncidentBoard(),
        thresholds=thresholds,
        clock=clock,
    )


def msg(
    message_id: int = 100, *, content: str = QUESTION, thread_id: int | None = None, **author: object
) -> IncomingMessage:
    return IncomingMessage(
        message_id=message_id,
        guild_id=GUILD,
        channel_id=thread_id or CHANNEL,
        watch_root_id=CHANNEL,
        thread_id=thread_id,
        author=Author(user_id=int(author.pop("user_id", 5)), **author),  # type: ignore[arg-type]
        content=content,
    )


async def test_an_unwatched_channel_is_ignored_and_nothing_is_recorded(flow: TriageFlow, store: SqliteStore) -> None:
    outcome = await flow.handle(msg())
    assert outcome.step is Step.IGNORE and outcome.result is None
    assert await store.replies.get_decision(100) is None


async def test_a_question_is_answered_recorded_and_starts_the_channel_cooldown(
    flow: TriageFlow, store: SqliteStore
) -> None:
    await store.config.watch_channel(GUILD, CHANNEL)
    outcome = await flow.handle(msg())
    assert outcome.step is Step.REPLY and outcome.result is not None
    assert outcome.result.decision.action is Action.ANSWER
    record = await store.replies.get_decision(100)
    assert record is not None and record.action == "answer"
    await flow.replied(msg(), outcome, reply_id=900, reply_channel_id=CHANNEL)
    reply = await store.replies.get_reply(900)
    assert reply is not None and reply.source_message_id == 100 and reply.kind == "answer"
    second = await flow.handle(msg(101))
    assert second.step is Step.SILENT and second.result is not None
    assert second.result.decision.rule == "channel.cooldown"


async def test_shadow_mode_says_where_the_reply_goes(flow: TriageFlow, store: SqliteStore) -> None:
    await store.config.watch_channel(GUILD, CHANNEL, shadow=True)
    assert (await flow.handle(msg())).step is Step.SHADOW


async def test_a_silent_unsure_question_is_recorded_as_a_gap(flow: TriageFlow, store: SqliteStore) -> None:
    await store.config.watch_channel(GUILD, CHANNEL)
    outcome = await flow.handle(msg(content="How do I tune the flux capacitor of the quantum carburettor?"))
    assert outcome.step is Step.SILENT and outcome.result is not None
    assert outcome.result.decision.rule in ("match.unsure", "match.none")
    gaps = await store.stats.top_gaps(GUILD, datetime(2026, 1, 1, tzinfo=UTC))
    assert [count for _, count in gaps] == [1]


async def test_staff_are_never_triaged(flow: TriageFlow, store: SqliteStore) -> None:
    await store.config.watch_channel(GUILD, CHANNEL)
    outcome = await flow.handle(msg(manages_guild=True))
    assert outcome.result is not None and outcome.result.decision.action is Action.SILENT


async def test_the_incident_board_reaches_the_decision_unless_the_author_says_unrelated(
    flow: TriageFlow, store: SqliteStore
) -> None:
    await store.config.watch_channel(GUILD, CHANNEL)
    await flow.incidents.set(Incident("Update API degraded", "https://status.example.com/"))
    report = "my app stopped receiving updates since an hour, the whole team sees it"
    outcome = await flow.handle(msg(content=report))
    assert outcome.result is not None and outcome.result.decision.route == "incident"
    await flow.replied(msg(content=report), outcome, reply_id=901, reply_channel_id=CHANNEL)
    assert await flow.incidents.take_notified([GUILD + 1]) == []  # another guild's: not this channel
    assert await flow.incidents.take_notified([GUILD]) == [CHANNEL]
    assert await flow.incidents.take_notified([GUILD]) == []


async def test_the_asker_answering_a_reminder_in_the_thread_re_checks_it(flow: TriageFlow, store: SqliteStore) -> None:
    await store.config.watch_channel(GUILD, CHANNEL)
    report = "The update fails: the app crashes on every start and nothing works"
    first = await flow.handle(msg(200, content=report, thread_id=200))
    assert first.result is not None and first.result.decision.action is Action.REMIND
    await flow.replied(msg(200, content=report, thread_id=200), first, reply_id=902, reply_channel_id=200)
    follow_up = await flow.handle(msg(201, content="iOS 17, plugin 6.2.1", thread_id=200))
    assert follow_up.step is Step.COMPLETE_REMINDER and follow_up.reminder is not None
    other = await flow.handle(msg(202, content="same here", thread_id=200, user_id=6))
    assert other.step is not Step.COMPLETE_REMINDER
    change = flow.reminder_text(follow_up.reminder, f"{report}\niOS 17, plugin 6.2.1")
    assert change is not None
    still_missing, text = change
    assert "platform" not in still_missing and "versions" not in still_missing and text
    await flow.reminder_updated(follow_up.reminder, still_missing)
    reply = await store.replies.get_reply(902)
    assert reply is not None and reply.missing == still_missing


def test_roles_come_from_the_guild_config() -> None:
    config = GuildConfig(guild_id=GUILD, volunteer_role_ids=(3,), staff_role_ids=(4,))
    assert role_of(Author(1), config) is Role.MEMBER
    assert role_of(Author(1, role_ids=(3,)), config) is Role.VOLUNTEER
    assert role_of(Author(1, role_ids=(3, 4)), config) is Role.STAFF
    assert role_of(Author(1, manages_guild=True), config) is Role.STAFF
    assert role_of(Author(1, is_bot=True), config) is Role.BOT
    assert role_of(Author(1, role_ids=(3,)), GuildConfig(guild_id=GUILD)) is Role.MEMBER


def test_reload_swaps_the_engine_for_the_next_message(engine: TriageEngine) -> None:
    holder = EngineHolder(engine)
    other = object()
    assert holder.replace(other) is engine  # type: ignore[arg-type]
    assert holder.current is other


async def test_a_gap_is_stored_without_the_secrets_pasted_in_the_question(flow: TriageFlow, store: SqliteStore) -> None:
    await store.config.watch_channel(GUILD, CHANNEL)
    key = "hunter2" + "secret"
    question = f"how do I tune the quantum carburettor flux capacitor? password={key}"
    outcome = await flow.handle(msg(content=question))
    assert outcome.result is not None and outcome.result.decision.rule in ("match.unsure", "match.none")
    gaps = await store.stats.top_gaps(GUILD, datetime(2026, 1, 1, tzinfo=UTC))
    assert gaps and all(key not in text for text, _ in gaps)


async def test_messages_arriving_together_get_one_reminder_and_one_channel_reply(
    flow: TriageFlow, store: SqliteStore
) -> None:
    """The cooldowns are read before a triage that may run in a worker thread: without claiming them atomically,
    every message of a burst read "no reminder yet" and got one (6 for one member in `bench discord`)."""
    await store.config.watch_channel(GUILD, CHANNEL)
    report = "The update fails: the app crashes on every start and nothing works"
    outcomes = await asyncio.gather(*(flow.handle(msg(300 + i, content=report)) for i in range(4)))
    actions = [o.result.decision.action for o in outcomes if o.result is not None]
    assert actions.count(Action.REMIND) == 1
    assert sum(a is not Action.SILENT for a in actions) == 1  # the channel cooldown holds for the others too
    rules = {o.result.decision.rule for o in outcomes if o.result is not None and o.step is Step.SILENT}
    assert rules <= {"remind.cooldown", "channel.cooldown"}
