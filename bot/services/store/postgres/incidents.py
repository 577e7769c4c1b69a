"""The incident board's persistence on PostgreSQL: `PgIncidentRepository` (`IncidentRepository`). No cache."""

from __future__ import annotations

from datetime import datetime

from bot.services.store._convert import snowflake
from bot.services.store.postgres._convert import at
from bot.services.store.postgres.database import PgDatabase


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

    async def note_notified(self, channel_id: int, now: datetime) -> None:
        """Remember a channel told about the incident (once)."""
        snowflake("channel_id", channel_id)
        await self._db.execute(
            "INSERT INTO incident_notice (channel_id, noted_at) VALUES ($1, $2) ON CONFLICT (channel_id) DO NOTHING",
            channel_id,
            at(now),
        )

    async def notified_channels(self) -> list[int]:
        """The channels told about the incident, oldest first."""
        rows = await self._db.fetch("SELECT channel_id FROM incident_notice ORDER BY noted_at, channel_id")
        return [int(row["channel_id"]) for row in rows]

    async def clear_notified(self, channel_ids: list[int]) -> None:
        """Forget channels once they were told that the incident is over."""
        await self._db.execute("DELETE FROM incident_notice WHERE channel_id = ANY($1::bigint[])", list(channel_ids))
