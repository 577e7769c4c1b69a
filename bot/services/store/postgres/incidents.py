"""The incident board's persistence on PostgreSQL: `PgIncidentRepository` (`IncidentRepository`). No cache.

Several processes share these rows: the leader records the status page's incidents, and every process claims the
notices of its own guilds (one INSERT each, `ON CONFLICT DO NOTHING` on the notice's key) and takes the threads of
its own guilds (one `DELETE ... RETURNING`), so each is said once, by a process that has the guild.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot.services.store._convert import snowflake
from bot.services.store.incidents import (
    IncidentNoticeKind,
    OwedIncidentNotice,
    checked_kind,
    listed_incidents,
    owed_notice,
)
from bot.services.store.postgres._convert import at
from bot.services.store.postgres.database import PgDatabase

# "started" for each guild of the list where it is not claimed, "resolved" where "started" is and "resolved" is not.
_RECORD_COLUMNS = "i.id, i.name, i.url, i.status, i.started_at, i.resolved_at"
_OWED = (
    f"SELECT {_RECORD_COLUMNS}, guilds.guild_id, 'started' AS kind "
    "FROM incident AS i CROSS JOIN unnest($1::bigint[]) AS guilds (guild_id) "
    "WHERE i.resolved_at IS NULL AND NOT EXISTS (SELECT 1 FROM incident_announcement AS a "
    "WHERE a.incident_id = i.id AND a.guild_id = guilds.guild_id AND a.kind = 'started') "
    "UNION ALL "
    f"SELECT {_RECORD_COLUMNS}, told.guild_id, 'resolved' AS kind "
    "FROM incident AS i JOIN incident_announcement AS told ON told.incident_id = i.id AND told.kind = 'started' "
    "WHERE i.resolved_at >= $2 AND told.guild_id = ANY($1::bigint[]) "
    "AND NOT EXISTS (SELECT 1 FROM incident_announcement AS a "
    "WHERE a.incident_id = i.id AND a.guild_id = told.guild_id AND a.kind = 'resolved') "
    "ORDER BY id, guild_id LIMIT $3"
)
# A claim is one INSERT of the notice's row, made only while the notice is owed; the key makes it once.
_CLAIM = "INSERT INTO incident_announcement (incident_id, guild_id, kind, claimed_at) SELECT i.id, $2::bigint, "
_CLAIMS: dict[IncidentNoticeKind, str] = {
    "started": f"{_CLAIM}'started', $3::timestamptz FROM incident AS i WHERE i.id = $1 AND i.resolved_at IS NULL "
    "ON CONFLICT DO NOTHING",
    "resolved": f"{_CLAIM}'resolved', $3::timestamptz FROM incident AS i WHERE i.id = $1 "
    "AND i.resolved_at IS NOT NULL AND EXISTS (SELECT 1 FROM incident_announcement AS a "
    "WHERE a.incident_id = i.id AND a.guild_id = $2::bigint AND a.kind = 'started') ON CONFLICT DO NOTHING",
}


class PgIncidentRepository:
    """`IncidentRepository` on a `PgDatabase`."""

    def __init__(self, database: PgDatabase) -> None:
        self._db = database

    async def current_incident(self) -> tuple[str, str] | None:
        """(name, status page URL) of the incident in progress, or None."""
        row = await self._db.fetchrow("SELECT name, url FROM incident_state WHERE id = 1")
        return (str(row["name"]), str(row["url"])) if row else None

    async def set_incident(self, incident: tuple[str, str] | None, now: datetime) -> None:
        """Record the incident in progress (None: resolved); the start time of an ongoing one is kept."""
        if incident is None:
            await self._db.execute("DELETE FROM incident_state WHERE id = 1")
            return
        name, url = incident
        await self._db.execute(
            "INSERT INTO incident_state (id, name, url, started_at) VALUES (1, $1, $2, $3) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url",
            name,
            url,
            at(now),
        )

    async def record_incidents(self, incidents: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Record the status page's unresolved incidents, (name, url, status) each: one not open yet starts now, an
        open one no longer listed is resolved now, an open one listed again is kept (a restart, a take-over)."""
        listed = listed_incidents(incidents)
        moment = at(now)
        async with self._db.transaction() as conn:
            for row in await conn.fetch("SELECT id, name, url FROM incident WHERE resolved_at IS NULL FOR UPDATE"):
                if listed.pop((str(row["name"]), str(row["url"])), None) is None:
                    await conn.execute("UPDATE incident SET resolved_at = $1 WHERE id = $2", moment, row["id"])
            for (name, url), status in listed.items():  # another leader's row of the same incident: kept, once
                await conn.execute(
                    "INSERT INTO incident (name, url, status, started_at) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT DO NOTHING",
                    name,
                    url,
                    status,
                    moment,
                )

    async def owed_notices(
        self, guild_ids: Collection[int], resolved_since: datetime, limit: int = 500
    ) -> list[OwedIncidentNotice]:
        """The notices not yet claimed in `guild_ids`: "started" of the incidents in progress, "resolved" of those
        resolved since `resolved_since` whose start the guild was told; by incident, then guild."""
        rows = await self._db.fetch(_OWED, [int(g) for g in guild_ids], at(resolved_since, "resolved_since"), limit)
        return [owed_notice(row, row["started_at"], row["resolved_at"]) for row in rows]

    async def claim_notice(self, incident_id: int, guild_id: int, kind: IncidentNoticeKind, now: datetime) -> bool:
        """Take the notice `kind` of an incident in a guild, to post it: True once (False when already claimed, or
        no longer owed: "started" of an incident that ended, "resolved" where its start was not told)."""
        snowflake("guild_id", guild_id)
        return await self._db.execute(_CLAIMS[checked_kind(kind)], incident_id, guild_id, at(now)) > 0

    async def note_notified(self, channel_id: int, guild_id: int, now: datetime) -> None:
        """Remember a channel (of `guild_id`) told about the incident (once)."""
        snowflake("channel_id", channel_id)
        snowflake("guild_id", guild_id)
        await self._db.execute(
            "INSERT INTO incident_notice (channel_id, noted_at, guild_id) VALUES ($1, $2, $3) "
            "ON CONFLICT (channel_id) DO NOTHING",
            channel_id,
            at(now),
            guild_id,
        )

    async def notified_channels(self) -> list[int]:
        """The channels told about the incident, oldest first."""
        rows = await self._db.fetch("SELECT channel_id FROM incident_notice ORDER BY noted_at, channel_id")
        return [int(row["channel_id"]) for row in rows]

    async def take_notified(self, guild_ids: Collection[int]) -> list[int]:
        """Take the channels of `guild_ids` told about the incident, to tell them that it is over (each once: they
        are forgotten), oldest first."""
        rows = await self._db.fetch(
            "DELETE FROM incident_notice WHERE guild_id = ANY($1::bigint[]) RETURNING channel_id, noted_at",
            [int(g) for g in guild_ids],
        )
        return [int(row["channel_id"]) for row in sorted(rows, key=lambda r: (r["noted_at"], r["channel_id"]))]
