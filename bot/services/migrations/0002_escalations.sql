-- Official support escalation: linked customer accounts, /link rate limiting, and the durable ticket outbox.

-- A Discord user linked to a customer account after e-mail verification. Only the account id is kept, never the
-- e-mail address.
CREATE TABLE account_link (
    user_id    INTEGER PRIMARY KEY,
    account_id TEXT    NOT NULL,
    linked_at  TEXT    NOT NULL
);

-- /link requests and code attempts, for per-user rate limits (pruned as they age out).
CREATE TABLE link_attempt (
    user_id INTEGER NOT NULL,
    kind    TEXT    NOT NULL CHECK (kind IN ('request', 'confirm')),
    at      TEXT    NOT NULL
);
CREATE INDEX link_attempt_user ON link_attempt (user_id, kind, at);

-- The outbox: every escalation is written here (with its idempotency key) before any network call; a worker sends
-- pending rows until the support API accepts them. The key makes retries, double clicks and restarts return the
-- same ticket instead of a second one.
CREATE TABLE escalation (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key    TEXT    NOT NULL UNIQUE,
    guild_id           INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL,
    thread_id          INTEGER,
    source_message_id  INTEGER,
    requester_id       INTEGER NOT NULL,
    opened_by          INTEGER NOT NULL,
    account_id         TEXT    NOT NULL,
    org_id             TEXT    NOT NULL,
    app_id             TEXT,
    tier               TEXT,
    category           TEXT    NOT NULL,
    severity           INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    lang               TEXT    NOT NULL,
    payload            TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TEXT    NOT NULL,
    last_error         TEXT,
    ticket_id          TEXT,
    ticket_url         TEXT,
    ticket_status      TEXT,
    created_at         TEXT    NOT NULL,
    sent_at            TEXT,
    user_notified_at   TEXT,
    staff_notified_at  TEXT,
    stuck_alerted_at   TEXT,
    solved_notified_at TEXT
);
CREATE INDEX escalation_due ON escalation (status, next_attempt_at);
CREATE INDEX escalation_guild ON escalation (guild_id, created_at);
CREATE INDEX escalation_thread ON escalation (thread_id);
