-- The platform incident in progress (from the status page) and the channels told about it, so that after a restart
-- the bot still knows the incident and still tells those channels when it is resolved
-- (../migrations/0003_incident_board.sql in PostgreSQL types).
CREATE TABLE incident_state (
    id         INTEGER     PRIMARY KEY CHECK (id = 1),
    name       TEXT        NOT NULL,
    url        TEXT        NOT NULL,
    started_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE incident_notice (
    channel_id BIGINT      PRIMARY KEY,
    noted_at   TIMESTAMPTZ NOT NULL
);
