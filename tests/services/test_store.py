"""SqliteStore against real SQLite: a file in tmp_path (and :memory:), migrations, every method, restarts."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.services.store import (
    MIGRATIONS_DIR,
    BotReply,
    DecisionRecord,
    GuildConfig,
    MigrationError,
    SqliteStore,
    Stats,
    StoreError,
    UnknownReplyError,
    WatchedChannel,
    load_migrations,
    normalise_question,
    split_sql,
)
from bot.services.store.postgres import PostgresStore

GUILD = 1001
OTHER_GUILD = 2002
LATEST = len(list(MIGRATIONS_DIR.glob("*.sql")))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "bot.sqlite3"  # the parent folder does not exist yet: open() creates it


@pytest.fixture
def store(any_store: SqliteStore | PostgresStore) -> SqliteStore | PostgresStore:
    """The store of the backend-neutral tests below: a SQLite file, then PostgreSQL (tests/services/conftest.py)."""
    return any_store


def make_reply(now: datetime, **overrides: object) -> BotReply:
    values: dict[str, object] = {
        "reply_message_id": 500,
        "guild_id": GUILD,
        "channel_id": 10,
        "thread_id": 20,
        "source_message_id": 400,
        "author_id": 7,
        "kind": "answer",
        "url": "https://example.com/docs/rollback/",
        "entry_id": "rollback",
        "confidence": 0.82,
        "missing": (),
        "lang": "en",
        "created_at": now,
    }
    values.update(overrides)
    return BotReply(**values)  # type: ignore[arg-type]


def make_decision(now: datetime, **overrides: object) -> DecisionRecord:
    values: dict[str, object] = {
        "message_id": 400,
        "guild_id": GUILD,
        "channel_id": 10,
        "author_id": 7,
        "action": "answer",
        "rule": "answer.confident",
        "reason": "best match 0.82 >= 0.70",
        "lang": "en",
        "intent": "question",
        "top_url": "https://example.com/docs/rollback/",
        "top_title": "Rollback",
        "confidence": 0.82,
        "created_at": now,
    }
    values.update(overrides)
    return DecisionRecord(**values)  # type: ignore[arg-type]


def raw(path: Path, sql: str, *, write: bool = False) -> list[tuple[object, ...]]:
    """Run `sql` on the database file with the plain sqlite3 module, bypassing the store (read-only by default)."""
    conn = sqlite3.connect(f"file:{path}?mode={'rw' if write else 'ro'}", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    return {row[0] for row in raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# -- opening and migrations ------------------------------------------------------------------------------------------


async def test_open_creates_the_folder_and_sets_the_connection_up(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    try:
        assert await asyncio.to_thread(db_path.is_file)
        assert store.schema_version == LATEST
        db = store._db  # the pragmas are per connection: look at the store's own
        for pragma, expected in (("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 5000)):
            async with db.execute(f"PRAGMA {pragma}") as cursor:
                assert tuple(await cursor.fetchone()) == (expected,), pragma
    finally:
        await store.close()
    assert raw(db_path, "PRAGMA user_version") == [(LATEST,)]
    assert {"guild_config", "watched_channel", "bot_reply", "decision", "feedback", "gap", "opt_out"} <= tables(db_path)


async def test_memory_database_works(now: datetime) -> None:
    async with await SqliteStore.open(":memory:") as store:
        assert store.schema_version == LATEST
        await store.config.update_config(GUILD, default_language="fr")
        await store.cooldowns.note_channel_reply(10, now)
        assert (await store.config.get_config(GUILD)).default_language == "fr"
        assert await store.cooldowns.last_channel_reply_at(10) == now


async def test_opening_twice_keeps_version_and_data(db_path: Path, now: datetime) -> None:
    first = await SqliteStore.open(db_path)
    await first.config.update_config(GUILD, staff_role_ids=[42])
    await first.close()
    schema = raw(db_path, "SELECT name, sql FROM sqlite_master ORDER BY name")

    second = await SqliteStore.open(db_path)
    try:
        assert second.schema_version == LATEST
        assert (await second.config.get_config(GUILD)).staff_role_ids == (42,)
    finally:
        await second.close()
    assert raw(db_path, "PRAGMA user_version") == [(LATEST,)]
    assert raw(db_path, "SELECT name, sql FROM sqlite_master ORDER BY name") == schema


async def test_failing_migration_rolls_back_to_the_previous_version(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copy(MIGRATIONS_DIR / "0001_initial.sql", write_migrations(folder, {}) / "0001_initial.sql")
    write_migrations(
        folder,
        {
            "0002_notes.sql": (
                "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO note (body) VALUES ('a;b');\n"
            ),
            "0003_broken.sql": (
                "CREATE TABLE half_done (x INTEGER);\n"
                "INSERT INTO note (body) VALUES ('from 3');\n"
                "INSERT INTO no_such_table VALUES (1);\n"
            ),
        },
    )
    with pytest.raises(MigrationError, match=r"0003_broken\.sql failed.*left at version 2.*no_such_table"):
        await SqliteStore.open(db_path, migrations_dir=folder)

    assert raw(db_path, "PRAGMA user_version") == [(2,)]
    assert "half_done" not in tables(db_path)
    assert raw(db_path, "SELECT body FROM note") == [("a;b",)]  # 0002 kept, 0003's insert undone

    (folder / "0003_broken.sql").write_text("CREATE TABLE half_done (x INTEGER);\n", encoding="utf-8")
    store = await SqliteStore.open(db_path, migrations_dir=folder)
    await store.close()
    assert store.schema_version == 3
    assert raw(db_path, "PRAGMA user_version") == [(3,)]
    assert "half_done" in tables(db_path)


async def test_failing_first_migration_leaves_an_empty_database(tmp_path: Path, db_path: Path) -> None:
    folder = write_migrations(tmp_path / "m", {"0001_bad.sql": "CREATE TABLE t (x);\nCREATE TABLE t (y);\n"})
    with pytest.raises(MigrationError, match="already exists"):
        await SqliteStore.open(db_path, migrations_dir=folder)
    assert raw(db_path, "PRAGMA user_version") == [(0,)]
    assert tables(db_path) == set()


async def test_migration_breaking_a_foreign_key_is_rolled_back(tmp_path: Path, db_path: Path, now: datetime) -> None:
    folder = tmp_path / "migrations"
    shutil.copy(MIGRATIONS_DIR / "0001_initial.sql", write_migrations(folder, {}) / "0001_initial.sql")
    store = await SqliteStore.open(db_path, migrations_dir=folder)
    await store.replies.record_reply(make_reply(now))
    await store.replies.record_feedback(500, 8, "solved", now)
    await store.close()

    # Migrations run with foreign keys off (so table rebuilds work); the check before COMMIT catches this.
    write_migrations(folder, {"0002_drop.sql": "DELETE FROM bot_reply;\n"})
    with pytest.raises(MigrationError, match="violating foreign keys"):
        await SqliteStore.open(db_path, migrations_dir=folder)
    assert raw(db_path, "PRAGMA user_version") == [(1,)]
    assert raw(db_path, "SELECT count(*) FROM bot_reply") == [(1,)]


async def test_database_newer_than_the_code_is_refused(db_path: Path) -> None:
    await (await SqliteStore.open(db_path)).close()
    raw(db_path, f"PRAGMA user_version = {LATEST + 1}", write=True)
    with pytest.raises(MigrationError, match=f"schema version {LATEST + 1}, newer than this code knows"):
        await SqliteStore.open(db_path)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"}, r"1\.\.N without gaps, got \[1, 3\]"),
        ({"0001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 1;"}, "version 1 already used"),
        ({"initial.sql": "SELECT 1;"}, "named NNNN_description.sql"),
        ({"0001_a.sql": "BEGIN;\nCREATE TABLE t (x);\nCOMMIT;\n"}, "BEGIN is not allowed"),
        ({"0001_a.sql": "CREATE TABLE t (x);\n-- note\nCREATE TABLE u (y)"}, "unterminated SQL statement"),
    ],
)
def test_malformed_migration_folders_are_rejected(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(MigrationError, match=message):
        load_migrations(write_migrations(tmp_path / "m", files))


def test_split_sql_keeps_triggers_strings_and_comments_together() -> None:
    script = (
        "-- header comment; with a semicolon\n"
        "CREATE TABLE t (x TEXT);\n"
        "INSERT INTO t VALUES ('a;b'); ;\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = x || ';';\nEND;\n"
        "/* trailing comment */\n"
    )
    statements = split_sql(script)
    assert len(statements) == 3
    assert statements[1] == "INSERT INTO t VALUES ('a;b');"
    assert statements[2].startswith("CREATE TRIGGER tr") and statements[2].endswith("END;")
    # A trigger body starting with BEGIN is not mistaken for a transaction statement.
    assert [m.version for m in load_migrations(MIGRATIONS_DIR)] == list(range(1, LATEST + 1))


async def test_closed_store_refuses_work(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    await store.close()
    await store.close()  # closing twice is fine
    with pytest.raises(StoreError, match="is closed"):
        await store.config.get_config(GUILD)


# -- guild configuration ---------------------------------------------------------------------------------------------


async def test_config_defaults_when_absent(store: SqliteStore) -> None:
    assert await store.config.get_config(GUILD) == GuildConfig(
        guild_id=GUILD,
        volunteer_role_ids=(),
        staff_role_ids=(),
        staff_log_channel_id=None,
        default_language="en",
        answer_threshold=None,
        channel_cooldown_seconds=30,
        reminder_period_hours=12,
        forum_tag_answered=None,
        forum_tag_needs_details=None,
        forum_tag_escalated=None,
        seeded=False,
    )


async def test_config_update_round_trips_and_keeps_other_fields(store: SqliteStore) -> None:
    updated = await store.config.update_config(
        GUILD,
        volunteer_role_ids=[11, 12, 11],
        staff_role_ids=(13,),
        staff_log_channel_id=99,
        default_language="de",
        answer_threshold=0.65,
        channel_cooldown_seconds=0,
        reminder_period_hours=24,
        forum_tag_answered=" Answered ",
        forum_tag_needs_details="Needs details",
        forum_tag_escalated="Escalated",
    )
    expected = GuildConfig(
        guild_id=GUILD,
        volunteer_role_ids=(11, 12),
        staff_role_ids=(13,),
        staff_log_channel_id=99,
        default_language="de",
        answer_threshold=0.65,
        channel_cooldown_seconds=0,
        reminder_period_hours=24,
        forum_tag_answered="Answered",
        forum_tag_needs_details="Needs details",
        forum_tag_escalated="Escalated",
        seeded=False,
    )
    assert updated == expected
    assert await store.config.get_config(GUILD) == expected

    again = await store.config.update_config(GUILD, answer_threshold=None, forum_tag_escalated=None)
    assert again == replace(expected, answer_threshold=None, forum_tag_escalated=None)
    assert await store.config.get_config(GUILD) == again
    assert await store.config.get_config(OTHER_GUILD) == GuildConfig(guild_id=OTHER_GUILD)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "blue"}, "unknown config field 'colour'"),
        ({"guild_id": 5}, "unknown config field 'guild_id'"),
        ({"staff_role_ids": "123"}, "staff_role_ids must be a list of role ids"),
        ({"volunteer_role_ids": [1, -2]}, "volunteer_role_ids must be a positive integer id"),
        ({"volunteer_role_ids": [True]}, "volunteer_role_ids must be a positive integer id"),
        ({"staff_log_channel_id": "99"}, "staff_log_channel_id must be a positive integer id"),
        ({"default_language": "ja"}, "default_language must be one of en, fr"),
        ({"answer_threshold": 1.5}, "answer_threshold must be between 0 and 1"),
        ({"answer_threshold": float("nan")}, "answer_threshold must be a finite number"),
        ({"answer_threshold": True}, "answer_threshold must be a finite number"),
        ({"channel_cooldown_seconds": -1}, "channel_cooldown_seconds must be an integer from 0 to 86400"),
        ({"channel_cooldown_seconds": 2.5}, "channel_cooldown_seconds must be an integer"),
        ({"reminder_period_hours": 0}, "reminder_period_hours must be an integer from 1 to 720"),
        ({"forum_tag_answered": "   "}, "forum_tag_answered must be a tag name of 1 to 20 characters"),
        ({"forum_tag_escalated": "x" * 21}, "forum_tag_escalated must be a tag name of 1 to 20 characters"),
        ({"seeded": "yes"}, "seeded must be True or False"),
    ],
)
async def test_config_validation_names_the_field_and_writes_nothing(
    store: SqliteStore, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await store.config.update_config(GUILD, **{"default_language": "fr", **changes})
    assert await store.config.get_config(GUILD) == GuildConfig(guild_id=GUILD)


# -- watched channels ------------------------------------------------------------------------------------------------


async def test_watch_unwatch_and_shadow(store: SqliteStore) -> None:
    assert await store.config.watch_channel(GUILD, 10) == WatchedChannel(channel_id=10, shadow=False)
    await store.config.watch_channel(GUILD, 11, shadow=True)
    await store.config.watch_channel(OTHER_GUILD, 30)
    assert await store.config.watched_channels(GUILD) == {10: WatchedChannel(10, False), 11: WatchedChannel(11, True)}
    assert await store.config.is_watched(11) == WatchedChannel(11, True)
    assert await store.config.is_watched(12) is None

    assert await store.config.set_shadow(GUILD, 10, True) is True
    assert await store.config.is_watched(10) == WatchedChannel(10, True)
    assert await store.config.set_shadow(GUILD, 12, True) is False  # not watched: nothing created
    assert await store.config.set_shadow(GUILD, 30, True) is False  # another guild's channel
    assert await store.config.is_watched(12) is None
    assert await store.config.is_watched(30) == WatchedChannel(30, False)

    assert await store.config.unwatch_channel(GUILD, 10) is True
    assert await store.config.unwatch_channel(GUILD, 10) is False
    assert await store.config.unwatch_channel(GUILD, 30) is False
    assert await store.config.watched_channels(GUILD) == {11: WatchedChannel(11, True)}
    assert await store.config.watched_channels(OTHER_GUILD) == {30: WatchedChannel(30, False)}

    await store.config.watch_channel(GUILD, 11)  # watching again resets the flag to what was asked
    assert await store.config.is_watched(11) == WatchedChannel(11, False)


async def test_seeding_happens_once_per_guild(store: SqliteStore) -> None:
    await store.config.watch_channel(GUILD, 11, shadow=True)
    assert await store.config.seed_watch_channels(GUILD, [10, 11, 10]) is True
    assert await store.config.watched_channels(GUILD) == {10: WatchedChannel(10, False), 11: WatchedChannel(11, True)}
    assert await store.config.get_config(GUILD) == GuildConfig(guild_id=GUILD, seeded=True)

    await store.config.unwatch_channel(GUILD, 10)
    assert await store.config.seed_watch_channels(GUILD, [10, 12]) is False
    assert await store.config.watched_channels(GUILD) == {11: WatchedChannel(11, True)}

    assert await store.config.seed_watch_channels(OTHER_GUILD, []) is True
    assert (await store.config.get_config(OTHER_GUILD)).seeded is True
    assert await store.config.seed_watch_channels(OTHER_GUILD, [30]) is False
    assert await store.config.watched_channels(OTHER_GUILD) == {}


async def test_seeding_keeps_existing_config(store: SqliteStore) -> None:
    await store.config.update_config(GUILD, default_language="it", staff_role_ids=[5])
    assert await store.config.seed_watch_channels(GUILD, [10]) is True
    assert await store.config.get_config(GUILD) == GuildConfig(
        guild_id=GUILD, default_language="it", staff_role_ids=(5,), seeded=True
    )


async def test_concurrent_seeding_seeds_once(store: SqliteStore) -> None:
    results = await asyncio.gather(*(store.config.seed_watch_channels(GUILD, [10 + i]) for i in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert len(await store.config.watched_channels(GUILD)) == 1


# -- bot replies -----------------------------------------------------------------------------------------------------


async def test_reply_round_trip(store: SqliteStore, now: datetime) -> None:
    reply = make_reply(now, missing=["error", "versions"], kind="remind", url=None, entry_id=None)
    await store.replies.record_reply(reply)
    got = await store.replies.get_reply(500)
    assert got == reply
    assert got is not None and got.missing == ("error", "versions") and got.deleted_at is None
    assert await store.replies.get_reply(501) is None
    with pytest.raises(ValueError, match="bot reply 500 could not be recorded"):
        await store.replies.record_reply(reply)


async def test_reply_times_come_back_in_utc(store: SqliteStore, now: datetime) -> None:
    paris = now.astimezone(timezone(timedelta(hours=1)))
    await store.replies.record_reply(make_reply(paris))
    got = await store.replies.get_reply(500)
    assert got is not None
    assert got.created_at == now
    assert got.created_at.utcoffset() == timedelta(0)


async def test_reply_lookups_by_source_and_thread(store: SqliteStore, now: datetime) -> None:
    await store.replies.record_reply(make_reply(now, reply_message_id=501, kind="remind", missing=("error",)))
    await store.replies.record_reply(make_reply(now + timedelta(minutes=1), reply_message_id=502, kind="answer"))
    await store.replies.record_reply(make_reply(now + timedelta(minutes=2), reply_message_id=503, kind="remind"))
    await store.replies.record_reply(make_reply(now, reply_message_id=504, thread_id=None, source_message_id=401))

    assert (await store.replies.reply_for_source(400, "remind")).reply_message_id == 503  # type: ignore[union-attr]
    assert (await store.replies.reply_for_source(400, "answer")).reply_message_id == 502  # type: ignore[union-attr]
    assert await store.replies.reply_for_source(400, "escalate") is None
    assert (await store.replies.reply_in_thread(20)).reply_message_id == 503  # type: ignore[union-attr]
    assert (await store.replies.reply_in_thread(20, "answer")).reply_message_id == 502  # type: ignore[union-attr]
    assert await store.replies.reply_in_thread(21) is None

    assert await store.replies.mark_reply_deleted(503, now + timedelta(hours=1)) is True
    assert await store.replies.mark_reply_deleted(503, now + timedelta(hours=2)) is False
    assert await store.replies.mark_reply_deleted(999, now) is False
    assert (await store.replies.get_reply(503)).deleted_at == now + timedelta(hours=1)  # type: ignore[union-attr]
    assert (await store.replies.reply_for_source(400, "remind")).reply_message_id == 501  # type: ignore[union-attr]
    assert (await store.replies.reply_in_thread(20)).reply_message_id == 502  # type: ignore[union-attr]
    deleted = await store.replies.reply_for_source(400, "remind", include_deleted=True)
    assert deleted is not None and deleted.reply_message_id == 503
    assert (await store.replies.reply_in_thread(20, "remind", include_deleted=True)).reply_message_id == 503  # type: ignore[union-attr]


async def test_update_reply(store: SqliteStore, now: datetime) -> None:
    original = make_reply(now, kind="remind", missing=("error", "versions"), url=None, entry_id=None, confidence=0.0)
    await store.replies.record_reply(original)
    updated = await store.replies.update_reply(500, missing=["versions"])
    assert updated == replace(original, missing=("versions",))
    assert await store.replies.get_reply(500) == updated

    answered = await store.replies.update_reply(
        500, kind="answer", url="https://example.com/x/", entry_id="x", confidence=0.9
    )
    assert answered == replace(original, kind="answer", missing=("versions",), url="https://example.com/x/",
                               entry_id="x", confidence=0.9)  # fmt: skip
    assert await store.replies.get_reply(500) == answered
    assert await store.replies.update_reply(999, missing=()) is None

    with pytest.raises(ValueError, match=r"cannot update reply field.*created_at"):
        await store.replies.update_reply(500, created_at=now)
    with pytest.raises(ValueError, match="reply kind must be one of"):
        await store.replies.update_reply(500, kind="poem")
    assert await store.replies.get_reply(500) == answered


def test_reply_values_are_validated(now: datetime) -> None:
    with pytest.raises(ValueError, match="reply kind must be one of answer, escalate, remind, route, shadow"):
        make_reply(now, kind="silent")
    with pytest.raises(ValueError, match="created_at must be a timezone-aware datetime"):
        make_reply(now.replace(tzinfo=None))
    with pytest.raises(ValueError, match="confidence must be a finite number"):
        make_reply(now, confidence=float("inf"))
    with pytest.raises(ValueError, match="missing must be a sequence of strings"):
        make_reply(now, missing="error")


# -- decisions -------------------------------------------------------------------------------------------------------


async def test_decision_round_trip_and_replacement(store: SqliteStore, now: datetime) -> None:
    decision = make_decision(now)
    await store.replies.record_decision(decision)
    assert await store.replies.get_decision(400) == decision
    assert await store.replies.get_decision(401) is None

    edited = make_decision(now + timedelta(minutes=5), action="silent", rule="silent.low_score", top_url=None,
                           top_title=None, confidence=0.2)  # fmt: skip
    await store.replies.record_decision(edited)
    assert await store.replies.get_decision(400) == edited


# -- feedback --------------------------------------------------------------------------------------------------------


async def test_feedback_is_idempotent_per_reply_user_and_kind(store: SqliteStore, now: datetime) -> None:
    await store.replies.record_reply(make_reply(now))
    assert await store.replies.record_feedback(500, 8, "solved", now) is True
    assert await store.replies.record_feedback(500, 8, "solved", now + timedelta(minutes=1)) is False
    assert await store.replies.record_feedback(500, 8, "not_helpful", now) is True
    assert await store.replies.record_feedback(500, 9, "solved", now) is True
    assert await store.replies.record_feedback(500, 8, "dismissed", now) is True
    with pytest.raises(UnknownReplyError, match="message 999 is not a recorded bot reply"):
        await store.replies.record_feedback(999, 8, "solved", now)
    with pytest.raises(ValueError, match="feedback kind must be one of dismissed, not_helpful, solved"):
        await store.replies.record_feedback(500, 8, "great", now)


async def test_concurrent_identical_feedback_counts_once(store: SqliteStore, now: datetime) -> None:
    await store.replies.record_reply(make_reply(now))
    results = await asyncio.gather(*(store.replies.record_feedback(500, 8, "solved", now) for _ in range(10)))
    assert results.count(True) == 1
    assert (await store.stats.stats(GUILD, now)).solved == 1


# -- gaps ------------------------------------------------------------------------------------------------------------


def test_normalise_question() -> None:
    assert normalise_question("  How do I\n\tROLL back?  ") == "how do i roll back?"
    long = normalise_question("Word " * 100)
    assert len(long) == 299 and long.endswith("word")  # cut at 300, then the trailing space dropped
    assert normalise_question(" \n ") == ""


async def test_gaps_are_grouped_counted_and_filtered_by_time(store: SqliteStore, now: datetime) -> None:
    old = now - timedelta(days=10)
    await store.replies.record_gap(GUILD, "How do I roll back?", old, "unanswered")
    await store.replies.record_gap(GUILD, "how do i  roll back?", now, "unanswered")
    await store.replies.record_gap(GUILD, "HOW DO I ROLL BACK?", now + timedelta(minutes=1), "not_helpful")
    await store.replies.record_gap(GUILD, "Is there a CLI?", now, "unanswered")
    await store.replies.record_gap(GUILD, "Why is my\nbundle ignored?", now + timedelta(minutes=2), "unanswered")
    await store.replies.record_gap(GUILD, "why is my bundle ignored?", now + timedelta(minutes=3), "unanswered")
    await store.replies.record_gap(OTHER_GUILD, "Is there a CLI?", now, "unanswered")

    since = now - timedelta(days=1)
    assert await store.stats.top_gaps(GUILD, since) == [
        ("why is my bundle ignored?", 2),  # ties on count: the most recent first
        ("how do i roll back?", 2),
        ("is there a cli?", 1),
    ]
    assert await store.stats.top_gaps(GUILD, old) == [
        ("how do i roll back?", 3),
        ("why is my bundle ignored?", 2),
        ("is there a cli?", 1),
    ]
    assert await store.stats.top_gaps(GUILD, since, limit=1) == [("why is my bundle ignored?", 2)]
    assert await store.stats.top_gaps(OTHER_GUILD, since) == [("is there a cli?", 1)]
    assert await store.stats.top_gaps(GUILD, now + timedelta(days=1)) == []


async def test_gap_text_is_cut_and_inputs_are_checked(store: SqliteStore, now: datetime) -> None:
    await store.replies.record_gap(GUILD, "A" * 500, now, "unanswered")
    assert await store.stats.top_gaps(GUILD, now) == [("a" * 300, 1)]
    with pytest.raises(ValueError, match="gap source must be one of not_helpful, unanswered"):
        await store.replies.record_gap(GUILD, "question", now, "bored")
    with pytest.raises(ValueError, match="gap question is empty"):
        await store.replies.record_gap(GUILD, " \n", now, "unanswered")
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        await store.stats.top_gaps(GUILD, now, limit=0)
    with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
        await store.replies.record_gap(GUILD, "question", now.replace(tzinfo=None), "unanswered")


# -- opt-outs, reminders, cooldowns ----------------------------------------------------------------------------------


async def test_opt_out_round_trip(store: SqliteStore, now: datetime) -> None:
    assert await store.cooldowns.is_opted_out(7) is False
    assert await store.cooldowns.set_opt_out(7, True, now) is True
    assert await store.cooldowns.set_opt_out(7, True, now) is False
    assert await store.cooldowns.is_opted_out(7) is True
    assert await store.cooldowns.is_opted_out(8) is False
    assert await store.cooldowns.set_opt_out(7, False, now) is True
    assert await store.cooldowns.set_opt_out(7, False, now) is False
    assert await store.cooldowns.is_opted_out(7) is False


async def test_reminder_bookkeeping(store: SqliteStore, now: datetime) -> None:
    assert await store.cooldowns.last_reminder_at(GUILD, 7) is None
    await store.cooldowns.note_reminder(GUILD, 7, now)
    assert await store.cooldowns.last_reminder_at(GUILD, 7) == now
    await store.cooldowns.note_reminder(GUILD, 7, now - timedelta(hours=1))  # out of order: ignored
    assert await store.cooldowns.last_reminder_at(GUILD, 7) == now
    await store.cooldowns.note_reminder(GUILD, 7, now + timedelta(hours=13))
    assert await store.cooldowns.last_reminder_at(GUILD, 7) == now + timedelta(hours=13)
    assert await store.cooldowns.last_reminder_at(OTHER_GUILD, 7) is None
    assert await store.cooldowns.last_reminder_at(GUILD, 8) is None
    with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
        await store.cooldowns.note_reminder(GUILD, 7, datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value under test


async def test_channel_cooldown_bookkeeping(store: SqliteStore, now: datetime) -> None:
    assert await store.cooldowns.last_channel_reply_at(10) is None
    await store.cooldowns.note_channel_reply(10, now)
    await store.cooldowns.note_channel_reply(10, now - timedelta(seconds=5))
    assert await store.cooldowns.last_channel_reply_at(10) == now
    await store.cooldowns.note_channel_reply(10, now + timedelta(seconds=31))
    assert await store.cooldowns.last_channel_reply_at(10) == now + timedelta(seconds=31)
    assert await store.cooldowns.last_channel_reply_at(11) is None


# -- stats -----------------------------------------------------------------------------------------------------------


async def test_stats_counts(store: SqliteStore, now: datetime) -> None:
    since = now - timedelta(days=7)
    rows = [
        ("answer", "question"),
        ("answer", "question"),
        ("answer", "bug_report"),
        ("remind", "bug_report"),
        ("route", "question"),
        ("escalate", "question"),
        ("silent", "question"),
        ("silent", "chitchat"),
        ("silent", "other"),
    ]
    for i, (action, intent) in enumerate(rows):
        await store.replies.record_decision(make_decision(now, message_id=1000 + i, action=action, intent=intent))
    await store.replies.record_decision(make_decision(since - timedelta(seconds=1), message_id=900))  # too old
    await store.replies.record_decision(make_decision(now, message_id=901, guild_id=OTHER_GUILD))  # other guild

    await store.replies.record_reply(make_reply(now, reply_message_id=501))
    await store.replies.record_reply(make_reply(now, reply_message_id=502))
    await store.replies.record_reply(make_reply(now, reply_message_id=503))
    await store.replies.record_reply(make_reply(now, reply_message_id=601, guild_id=OTHER_GUILD))
    await store.replies.record_feedback(501, 8, "solved", now)
    await store.replies.record_feedback(501, 9, "solved", now)  # same reply, second user: still one solved reply
    await store.replies.record_feedback(502, 8, "solved", now)
    await store.replies.record_feedback(502, 9, "not_helpful", now)
    await store.replies.record_feedback(503, 8, "not_helpful", since - timedelta(seconds=1))  # too old
    await store.replies.record_feedback(503, 8, "dismissed", now)  # not counted
    await store.replies.record_feedback(601, 8, "solved", now)  # other guild

    assert await store.stats.stats(GUILD, since) == Stats(
        questions_seen=7, answered=3, solved=2, not_helpful=1, reminders=1, routed=1, escalated=1, silent=3
    )
    assert await store.stats.stats(OTHER_GUILD, since) == Stats(questions_seen=1, answered=1, solved=1)
    assert await store.stats.stats(GUILD, now + timedelta(seconds=1)) == Stats()
    assert await store.stats.stats(GUILD, since - timedelta(days=1)) == Stats(
        questions_seen=8, answered=4, solved=2, not_helpful=2, reminders=1, routed=1, escalated=1, silent=3
    )


# -- restart persistence ---------------------------------------------------------------------------------------------


async def test_everything_survives_a_restart(db_path: Path, now: datetime) -> None:
    store = await SqliteStore.open(db_path)
    await store.config.update_config(GUILD, staff_log_channel_id=77, answer_threshold=0.8)
    await store.config.seed_watch_channels(GUILD, [10])
    await store.config.watch_channel(GUILD, 11, shadow=True)
    reply = make_reply(now, missing=("steps",))
    await store.replies.record_reply(reply)
    await store.replies.mark_reply_deleted(500, now + timedelta(minutes=1))
    decision = make_decision(now)
    await store.replies.record_decision(decision)
    await store.replies.record_feedback(500, 8, "solved", now)
    await store.replies.record_gap(GUILD, "Where are my logs?", now, "unanswered")
    await store.cooldowns.set_opt_out(7, True, now)
    await store.cooldowns.note_reminder(GUILD, 7, now)
    await store.cooldowns.note_channel_reply(10, now)
    await store.close()

    store = await SqliteStore.open(db_path)
    try:
        assert await store.config.get_config(GUILD) == GuildConfig(
            guild_id=GUILD, staff_log_channel_id=77, answer_threshold=0.8, seeded=True
        )
        assert await store.config.watched_channels(GUILD) == {
            10: WatchedChannel(10, False),
            11: WatchedChannel(11, True),
        }
        assert await store.config.seed_watch_channels(GUILD, [12]) is False
        assert await store.replies.get_reply(500) == replace(reply, deleted_at=now + timedelta(minutes=1))
        assert await store.replies.get_decision(400) == decision
        assert await store.replies.record_feedback(500, 8, "solved", now) is False
        assert await store.stats.top_gaps(GUILD, now) == [("where are my logs?", 1)]
        assert await store.cooldowns.is_opted_out(7) is True
        assert await store.cooldowns.last_reminder_at(GUILD, 7) == now
        assert await store.cooldowns.last_channel_reply_at(10) == now
        assert (await store.stats.stats(GUILD, now)).solved == 1
    finally:
        await store.close()


async def test_concurrent_config_updates_are_not_lost(store: SqliteStore) -> None:
    await asyncio.gather(
        store.config.update_config(GUILD, default_language="pt"),
        store.config.update_config(GUILD, channel_cooldown_seconds=60),
        store.config.update_config(GUILD, staff_role_ids=[3]),
        store.config.watch_channel(GUILD, 10),
    )
    assert await store.config.get_config(GUILD) == GuildConfig(
        guild_id=GUILD, default_language="pt", channel_cooldown_seconds=60, staff_role_ids=(3,)
    )


async def test_a_write_never_joins_another_coroutines_failing_transaction(store: SqliteStore, now: datetime) -> None:
    await store.replies.record_reply(make_reply(now))
    # The bad update fails inside its transaction and rolls it back; writes started meanwhile must survive.
    results = await asyncio.gather(
        store.replies.update_reply(500, kind="poem"),
        store.cooldowns.note_channel_reply(10, now),
        store.cooldowns.set_opt_out(7, True, now),
        store.replies.record_feedback(500, 8, "solved", now),
        return_exceptions=True,
    )
    assert isinstance(results[0], ValueError)
    assert results[1:] == [None, True, True]
    assert await store.cooldowns.last_channel_reply_at(10) == now
    assert await store.cooldowns.is_opted_out(7) is True
    assert await store.replies.record_feedback(500, 8, "solved", now) is False
    assert (await store.replies.get_reply(500)).kind == "answer"  # type: ignore[union-attr]


async def test_cached_reads_follow_writes(tmp_path) -> None:
    from datetime import UTC, datetime

    store = await SqliteStore.open(tmp_path / "cache.db")
    try:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        assert await store.config.is_watched(11) is None  # cached "not watched"
        await store.config.watch_channel(1, 11, shadow=True)
        assert (await store.config.is_watched(11)).shadow is True
        await store.config.set_shadow(1, 11, False)
        assert (await store.config.is_watched(11)).shadow is False
        await store.config.unwatch_channel(1, 11)
        assert await store.config.is_watched(11) is None
        assert (await store.config.get_config(1)).default_language == "en"
        await store.config.update_config(1, default_language="fr")
        assert (await store.config.get_config(1)).default_language == "fr"
        assert await store.cooldowns.is_opted_out(5) is False
        await store.cooldowns.set_opt_out(5, True, now)
        assert await store.cooldowns.is_opted_out(5) is True
        await store.cooldowns.set_opt_out(5, False, now)
        assert await store.cooldowns.is_opted_out(5) is False
    finally:
        await store.close()
