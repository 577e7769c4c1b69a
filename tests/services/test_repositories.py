"""Each repository on its own over a real database (a SQLite file, then PostgreSQL), each implementation against
its Protocol, the store wiring."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.services.store import (
    BotReply,
    ConfigRepository,
    CooldownRepository,
    EscalationRepository,
    GuildConfig,
    IncidentRepository,
    ReplyRepository,
    SqliteConfigRepository,
    SqliteCooldownRepository,
    SqliteEscalationRepository,
    SqliteIncidentRepository,
    SqliteReplyRepository,
    SqliteStatsRepository,
    SqliteStore,
    Stats,
    StatsRepository,
    StoreError,
    UnknownReplyError,
    WatchedChannel,
)
from bot.services.store.postgres import (
    PgConfigRepository,
    PgCooldownRepository,
    PgEscalationRepository,
    PgIncidentRepository,
    PgReplyRepository,
    PgStatsRepository,
    PostgresStore,
    redact_url,
)
from tests.services.conftest import AnyDatabase, Backend
from tests.services.test_escalations_store import NOW, new
from tests.services.test_store import GUILD, make_decision, make_reply

ROOT = Path(__file__).resolve().parents[2]

# (Protocol, SQLite implementation, PostgreSQL implementation, attribute of the stores)
REPOSITORIES: list[tuple[type[Any], type[Any], type[Any], str]] = [
    (ConfigRepository, SqliteConfigRepository, PgConfigRepository, "config"),
    (ReplyRepository, SqliteReplyRepository, PgReplyRepository, "replies"),
    (StatsRepository, SqliteStatsRepository, PgStatsRepository, "stats"),
    (CooldownRepository, SqliteCooldownRepository, PgCooldownRepository, "cooldowns"),
    (EscalationRepository, SqliteEscalationRepository, PgEscalationRepository, "escalations"),
    (IncidentRepository, SqliteIncidentRepository, PgIncidentRepository, "incidents"),
]
IMPLEMENTATIONS = [(protocol, impl, attribute) for protocol, *impls, attribute in REPOSITORIES for impl in impls]
ATTRIBUTES = [r[3] for r in REPOSITORIES]


def methods(cls: type[Any]) -> list[str]:
    """Return the public methods a class defines itself (a Protocol's methods, or an implementation's)."""
    return sorted(name for name, value in vars(cls).items() if not name.startswith("_") and callable(value))


@pytest.fixture
async def database(backend: Backend) -> AsyncIterator[AnyDatabase]:
    async with await backend.open_database() as opened:
        yield opened


# -- each implementation against its Protocol -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "implementation", "attribute"), IMPLEMENTATIONS, ids=[i[1].__name__ for i in IMPLEMENTATIONS]
)
def test_repository_has_exactly_its_protocols_methods_with_the_same_signatures(
    protocol: type[Any], implementation: type[Any], attribute: str
) -> None:
    members = methods(protocol)
    assert members, protocol  # an empty Protocol would make every check below pass
    assert methods(implementation) == members
    for name in members:
        impl = getattr(implementation, name)
        assert inspect.iscoroutinefunction(impl), name
        assert inspect.signature(impl) == inspect.signature(getattr(protocol, name)), name
        assert impl.__doc__, name


@pytest.mark.parametrize("attribute", ATTRIBUTES)
async def test_repository_is_an_instance_of_its_protocol_only(
    backend: Backend, database: AnyDatabase, attribute: str
) -> None:
    protocol = next(r[0] for r in REPOSITORIES if r[3] == attribute)
    repository = backend.repository(attribute, database)
    assert isinstance(repository, protocol)
    for other, *_ in REPOSITORIES:
        if other is not protocol:
            assert not isinstance(repository, other), other  # each Protocol names its own methods, no more


# -- the store: the repositories as attributes over one database, and nothing else ------------------------------------


async def test_store_exposes_its_repositories_over_one_database(backend: Backend) -> None:
    async with await backend.open_store() as store:
        for protocol, *_, attribute in REPOSITORIES:
            repository = getattr(store, attribute)
            expected = type(backend.repository(attribute, store.database))
            assert type(repository) is expected and isinstance(repository, protocol), attribute
            assert repository._db is store.database, attribute
        label = backend.target if backend.name == "sqlite" else redact_url(backend.target)
        assert store.label == label and store.schema_version == store.database.schema_version
        # One database: what one repository object writes, a fresh one over the same database reads.
        await store.config.update_config(GUILD, default_language="de")
        assert (await backend.repository("config", store.database).get_config(GUILD)).default_language == "de"
    with pytest.raises(StoreError, match="is closed"):
        await store.replies.get_reply(1)


@pytest.mark.parametrize("store_class", [SqliteStore, PostgresStore])
def test_the_store_answers_no_repository_method_itself(store_class: type[Any]) -> None:
    """Callers go through `store.<repository>`: the store only opens, closes and holds the repositories."""
    own = set(methods(store_class))
    for protocol, *_, attribute in REPOSITORIES:
        assert own.isdisjoint(methods(protocol)), attribute
    assert own <= {"open", "close", "label", "schema_version"}


# -- each repository on its own, over a real database----------------------------------------------------------------


async def test_config_repository_on_its_own(backend: Backend, database: AnyDatabase) -> None:
    config = backend.repository("config", database)
    assert await config.get_config(GUILD) == GuildConfig(guild_id=GUILD)
    await config.update_config(GUILD, default_language="fr", staff_role_ids=[3, 3, 4])
    assert await config.seed_watch_channels(GUILD, [10, 11]) is True
    assert await config.seed_watch_channels(GUILD, [12]) is False
    assert await config.set_shadow(GUILD, 11, True) is True
    assert await config.watch_channel(GUILD, 13) == WatchedChannel(13)
    assert await config.is_watched(13) == WatchedChannel(13)  # cached now: the next write must clear it
    assert await config.unwatch_channel(GUILD, 13) is True
    assert await config.is_watched(13) is None
    with pytest.raises(ValueError, match="unknown config field"):
        await config.update_config(GUILD, colour="blue")
    expected = GuildConfig(guild_id=GUILD, default_language="fr", staff_role_ids=(3, 4), seeded=True)
    assert await config.get_config(GUILD) == expected
    await database.close()

    async with await backend.open_database() as reopened:
        config = backend.repository("config", reopened)
        assert await config.get_config(GUILD) == expected
        assert await config.watched_channels(GUILD) == {10: WatchedChannel(10), 11: WatchedChannel(11, shadow=True)}
        assert await config.is_watched(11) == WatchedChannel(11, shadow=True)


async def test_reply_repository_on_its_own(backend: Backend, database: AnyDatabase) -> None:
    replies = backend.repository("replies", database)
    reply = make_reply(NOW)
    await replies.record_reply(reply)
    with pytest.raises(ValueError, match="could not be recorded"):
        await replies.record_reply(reply)
    updated = await replies.update_reply(500, url="https://example.com/v2")
    assert updated == replace(reply, url="https://example.com/v2")
    assert await replies.reply_for_source(400, "answer") == updated
    assert await replies.reply_in_thread(20, "answer") == updated
    await replies.record_decision(make_decision(NOW))
    assert await replies.record_feedback(500, 8, "solved", NOW) is True
    assert await replies.record_feedback(500, 8, "solved", NOW) is False
    with pytest.raises(UnknownReplyError):
        await replies.record_feedback(999, 8, "solved", NOW)
    await replies.record_gap(GUILD, "  Where are my\nLOGS? ", NOW, "unanswered")
    assert await replies.mark_reply_deleted(500, NOW + timedelta(minutes=1)) is True
    await database.close()

    async with await backend.open_database() as reopened:
        replies = backend.repository("replies", reopened)
        assert await replies.get_reply(500) == replace(updated, deleted_at=NOW + timedelta(minutes=1))
        assert await replies.reply_for_source(400, "answer") is None
        assert await replies.get_decision(400) == make_decision(NOW)
        # The statistics read what the replies repository wrote: same database, no shared state between the two.
        stats = backend.repository("stats", reopened)
        assert await stats.top_gaps(GUILD, NOW) == [("where are my logs?", 1)]
        assert [gap[1:3] for gap in await stats.gaps_since(NOW)] == [("where are my logs?", "unanswered")]
        assert await stats.stats(GUILD, NOW) == Stats(questions_seen=1, answered=1, solved=1)
        assert [d.message_id for d in await stats.decisions_since(NOW)] == [400]
        assert [f.kind for f in await stats.feedback_since(NOW, GUILD)] == ["solved"]


async def test_cooldown_repository_on_its_own(backend: Backend, database: AnyDatabase) -> None:
    cooldowns = backend.repository("cooldowns", database)
    assert await cooldowns.is_opted_out(7) is False
    assert await cooldowns.set_opt_out(7, True, NOW) is True
    assert await cooldowns.set_opt_out(7, True, NOW) is False
    assert await cooldowns.last_reminder_at(GUILD, 7) is None
    await cooldowns.note_reminder(GUILD, 7, NOW)
    await cooldowns.note_reminder(GUILD, 7, NOW - timedelta(hours=1))  # an earlier moment never moves it back
    assert await cooldowns.last_reminder_at(GUILD, 7) == NOW
    await cooldowns.note_channel_reply(10, NOW)
    assert await cooldowns.last_channel_reply_at(10) == NOW
    await database.close()

    async with await backend.open_database() as reopened:
        cooldowns = backend.repository("cooldowns", reopened)
        assert await cooldowns.is_opted_out(7) is True
        assert await cooldowns.last_reminder_at(GUILD, 7) == NOW
        assert await cooldowns.last_channel_reply_at(10) == NOW
        assert await cooldowns.last_channel_reply_at(11) is None
        assert await cooldowns.set_opt_out(7, False, NOW) is True
        assert await cooldowns.is_opted_out(7) is False


async def test_escalation_repository_on_its_own(backend: Backend, database: AnyDatabase) -> None:
    escalations = backend.repository("escalations", database)
    await escalations.link_account(5, "acc_1", NOW)
    await escalations.note_link_attempt(5, "request", NOW)
    first, created = await escalations.enqueue_escalation(new("k-1"))
    again, created_again = await escalations.enqueue_escalation(new("k-1"))
    assert (created, created_again, again.id) == (True, False, first.id)
    assert [e.id for e in await escalations.due_escalations(NOW)] == [first.id]
    await escalations.mark_escalation_sent(
        first.id, ticket_id="T-1", ticket_url="https://t/1", ticket_status="open", now=NOW
    )
    assert await escalations.mark_escalation_notice(first.id, "user", NOW) is True
    assert await escalations.mark_escalation_notice(first.id, "user", NOW) is False
    await database.close()

    async with await backend.open_database() as reopened:
        escalations = backend.repository("escalations", reopened)
        assert await escalations.linked_account(5) == "acc_1"
        assert await escalations.count_link_attempts(5, "request", NOW) == 1
        sent = await escalations.get_escalation(first.id)
        assert sent is not None and (sent.status, sent.ticket_id, sent.user_notified_at) == ("sent", "T-1", NOW)
        assert await escalations.next_due_at() is None
        assert await escalations.count_escalations() == {"sent": 1}
        assert [e.id for e in await escalations.escalations_needing_notice("staff")] == [first.id]
        assert await escalations.unlink_account(5) is True


async def test_a_failing_transaction_takes_no_other_write_with_it(backend: Backend, database: AnyDatabase) -> None:
    replies, cooldowns, config = (
        backend.repository("replies", database),
        backend.repository("cooldowns", database),
        backend.repository("config", database),
    )
    await replies.record_reply(make_reply(NOW))
    # The bad update fails inside its transaction and rolls it back; the other repositories' writes, started
    # meanwhile, must neither join that transaction nor be lost with it (SQLite: the database's one lock; PostgreSQL:
    # each on a connection of its own).
    results = await asyncio.gather(
        replies.update_reply(500, kind="poem"),
        cooldowns.note_channel_reply(10, NOW),
        config.watch_channel(GUILD, 10),
        return_exceptions=True,
    )
    assert isinstance(results[0], ValueError) and results[1:] == [None, WatchedChannel(10)]
    assert await backend.repository("cooldowns", database).last_channel_reply_at(10) == NOW  # fresh: from the database
    assert await backend.repository("config", database).is_watched(10) == WatchedChannel(10)
    reply = await replies.get_reply(500)
    assert isinstance(reply, BotReply) and reply.kind == "answer"


async def test_a_repository_on_a_closed_database_refuses_work(backend: Backend, database: AnyDatabase) -> None:
    cooldowns = backend.repository("cooldowns", database)
    await database.close()
    await database.close()  # closing twice is fine
    with pytest.raises(StoreError, match="is closed"):
        await cooldowns.is_opted_out(7)


# -- imports: no cycle between the escalation values and the store ---------------------------------------------------


@pytest.mark.parametrize(
    "module",
    ["bot.services.escalations", "bot.services.store.escalations", "bot.services.store", "bot.services.store.postgres"],
)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    # bot.services.escalations holds values the store imports: it must not import the store back.
    check = f"import sys, {module}"
    if module == "bot.services.escalations":
        check += "; assert 'bot.services.store' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
