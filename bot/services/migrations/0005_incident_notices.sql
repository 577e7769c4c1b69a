-- Incident notices become owed per guild and claimed once in the store, like the ticket notices: several processes
-- may share one database, each with its own shards' guilds, and each posts the notices of the guilds it has. The
-- leader records the status page's incidents here (one row per incident, from the poll that first lists it to the
-- one that no longer does); every process claims the staff lines of its guilds (`incident_announcement`, one row
-- per incident, guild and kind) before it posts them, so a restart or a take-over finds them told.
-- An incident is a row of this table (its id): the Capgo format gives no incident id, and the same name and link
-- (what identifies an open incident, as in `diff_incidents`) may come back later as another incident.
CREATE TABLE incident (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    resolved_at TEXT
);
-- One open incident per name and link: two leaders for a moment (a lost connection) still record it once.
CREATE UNIQUE INDEX incident_open ON incident (name, url) WHERE resolved_at IS NULL;

CREATE TABLE incident_announcement (
    incident_id INTEGER NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('started', 'resolved')),
    claimed_at  TEXT    NOT NULL,
    PRIMARY KEY (incident_id, guild_id, kind)
);

-- The incident in progress at the upgrade had its "started" line posted (or lost) then, in the guilds with a staff
-- log channel: none is owed now (their "resolved" line is, when it ends), so the upgrade does not announce it again.
INSERT INTO incident (name, url, status, started_at) SELECT name, url, '', started_at FROM incident_state;
INSERT INTO incident_announcement (incident_id, guild_id, kind, claimed_at)
    SELECT incident.id, guild_config.guild_id, 'started', incident.started_at
    FROM incident, guild_config
    WHERE guild_config.staff_log_channel_id IS NOT NULL;

-- The threads told about the incident keep their guild: the process that has the guild tells them when it is
-- resolved. Rows from before this version take it from the bot's reply in the channel; a channel without one
-- (none is known) cannot be told by the process that has its guild, and is forgotten.
CREATE TABLE incident_notice_new (
    channel_id INTEGER PRIMARY KEY,
    noted_at   TEXT    NOT NULL,
    guild_id   INTEGER NOT NULL
);
INSERT INTO incident_notice_new (channel_id, noted_at, guild_id)
    SELECT notice.channel_id, notice.noted_at, reply.guild_id
    FROM incident_notice AS notice
    JOIN (SELECT channel_id, MIN(guild_id) AS guild_id FROM bot_reply GROUP BY channel_id) AS reply
        ON reply.channel_id = notice.channel_id;
DROP TABLE incident_notice;
ALTER TABLE incident_notice_new RENAME TO incident_notice;
CREATE INDEX incident_notice_guild ON incident_notice (guild_id);
