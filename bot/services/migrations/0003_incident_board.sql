-- The platform incident in progress (from the status page) and the channels told about it, so that after a restart
-- the bot still knows the incident and still tells those channels when it is resolved.
CREATE TABLE incident_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    name       TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    started_at TEXT    NOT NULL
);

CREATE TABLE incident_notice (
    channel_id INTEGER PRIMARY KEY,
    noted_at   TEXT    NOT NULL
);
