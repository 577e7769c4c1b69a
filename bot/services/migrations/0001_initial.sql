-- Initial schema of the triage bot's store (applied by bot/services/store.py, in one transaction).
--
-- Conventions:
-- * Discord ids (snowflakes) are INTEGER: they fit in SQLite's signed 64-bit integers.
-- * Timestamps are UTC ISO-8601 TEXT with microseconds, e.g. '2026-11-22T12:00:00.000000+00:00'. The width is
--   fixed, so text comparison (>=, max(), ORDER BY) is time order.
-- * Lists (role ids, missing details) are JSON arrays in TEXT columns.
-- * Booleans are INTEGER 0/1.
-- * Column defaults of guild_config are the defaults of the GuildConfig dataclass; keep them in step.

-- One row per guild, created on the first change (get_config returns the defaults while absent).
CREATE TABLE guild_config (
    guild_id                 INTEGER PRIMARY KEY,
    volunteer_role_ids       TEXT    NOT NULL DEFAULT '[]',
    staff_role_ids           TEXT    NOT NULL DEFAULT '[]',
    staff_log_channel_id     INTEGER,
    default_language         TEXT    NOT NULL DEFAULT 'en',
    answer_threshold         REAL    CHECK (answer_threshold IS NULL OR answer_threshold BETWEEN 0 AND 1),
    channel_cooldown_seconds INTEGER NOT NULL DEFAULT 30 CHECK (channel_cooldown_seconds >= 0),
    reminder_period_hours    INTEGER NOT NULL DEFAULT 12 CHECK (reminder_period_hours >= 1),
    forum_tag_answered       TEXT,
    forum_tag_needs_details  TEXT,
    forum_tag_escalated      TEXT,
    seeded                   INTEGER NOT NULL DEFAULT 0 CHECK (seeded IN (0, 1))
);

-- Channels (text channels or forums) the bot triages; shadow = decide and log, but do not post.
CREATE TABLE watched_channel (
    channel_id INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    shadow     INTEGER NOT NULL DEFAULT 0 CHECK (shadow IN (0, 1))
);
CREATE INDEX watched_channel_guild ON watched_channel (guild_id);

-- Every message the bot posted, so that it can edit/delete it later and attach feedback to it.
CREATE TABLE bot_reply (
    reply_message_id  INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    thread_id         INTEGER,
    source_message_id INTEGER NOT NULL,
    author_id         INTEGER NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('answer', 'remind', 'route', 'escalate', 'shadow')),
    url               TEXT,
    entry_id          TEXT,
    confidence        REAL    NOT NULL,
    missing           TEXT    NOT NULL DEFAULT '[]',
    lang              TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    deleted_at        TEXT
);
CREATE INDEX bot_reply_source ON bot_reply (source_message_id, kind);
CREATE INDEX bot_reply_thread ON bot_reply (thread_id, kind);
CREATE INDEX bot_reply_guild_created ON bot_reply (guild_id, created_at);

-- The latest triage decision per message ("/triage why" and stats).
CREATE TABLE decision (
    message_id INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    author_id  INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    rule       TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    lang       TEXT    NOT NULL,
    intent     TEXT    NOT NULL,
    top_url    TEXT,
    top_title  TEXT,
    confidence REAL    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX decision_guild_created ON decision (guild_id, created_at);

-- Button feedback on a bot reply: at most one row per (reply, user, kind).
CREATE TABLE feedback (
    reply_message_id INTEGER NOT NULL REFERENCES bot_reply (reply_message_id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('solved', 'not_helpful', 'dismissed')),
    created_at       TEXT    NOT NULL,
    PRIMARY KEY (reply_message_id, user_id, kind)
);
CREATE INDEX feedback_created ON feedback (created_at);

-- Questions the bot could not answer well, normalised (lower-case, whitespace collapsed, <= 300 characters).
CREATE TABLE gap (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    question   TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    source     TEXT    NOT NULL CHECK (source IN ('unanswered', 'not_helpful')),
    created_at TEXT    NOT NULL
);
CREATE INDEX gap_guild_created ON gap (guild_id, created_at);

-- Users who asked the bot to leave their messages alone (global, not per guild).
CREATE TABLE opt_out (
    user_id      INTEGER PRIMARY KEY,
    opted_out_at TEXT    NOT NULL
);

-- Last reminder sent to a user in a guild (the reminder period is per guild).
CREATE TABLE reminder (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    last_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Last bot reply per channel (channel cooldown).
CREATE TABLE channel_reply (
    channel_id INTEGER PRIMARY KEY,
    last_at    TEXT    NOT NULL
);
