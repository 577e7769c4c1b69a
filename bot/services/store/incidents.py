"""The incident board's persistence: the platform incident in progress and the channels told about it.

`IncidentRepository` and its SQLite implementation; `bot.app.composition.IncidentBoard` reads it at start-up and
writes through it, so incident notices survive a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.services.store._convert import snowflake, ts
from bot.services.store.database import Database


@runtime_checkable
class IncidentRepository(Protocol):
    """The incident in progress (one row at most) and the channels that got its notice."""

    async def current_incident(self) -> tuple[str, str] | None:
        """(name, status page URL) of the incident in progress, or None."""

    async def set_incident(self, incident: tuple[str, str] | None, now: datetime) -> None:
        """Record the incident in progress (None: resolved)."""

    async def note_notified(self, channel_id: int, now: datetime) -> None:
        """Remember a channel told about the incident."""

    async def notified_channels(self) -> list[int]:
        """The channels told about the incident, oldest first."""

    async def clear_notified(self, channel_ids: list[int]) -> None:
        """Forget channels once they were told that the incident is over."""


class SqliteIncidentRepository:
    """`IncidentRepository` over the store's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def current_incident(self) -> tuple[str, str] | None:
        """(name, status page URL) of the incident in progress, or None."""
        row = await self._db.read_one("SELECT name, url FROM incident_state WHERE id = 1")
        return (str(row["name"]), str(row["url"])) if row else None

    async def set_incident(self, incident: tuple[str, str] | None, now: datetime) -> None:
        """Record the incident in progress (None: resolved); the start time of an ongoing one is kept."""
        if incident is None:
            await self._db.write("DELETE FROM incident_state WHERE id = 1")
            return
        name, url = incident
        await self._db.write(
            "INSERT INTO incident_state (id, name, url, started_at) VALUES (1, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url",
            (name, url, ts(now)),
        )

    async def note_notified(self, channel_id: int, now: datetime) -> None:
        """Remember a channel told about the incident (once)."""
        snowflake("channel_id", channel_id)
        await self._db.write(
            "INSERT OR IGNORE INTO incident_notice (channel_id, noted_at) VALUES (?, ?)", (channel_id, ts(now))
        )

    async def notified_channels(self) -> list[int]:
        """The channels told about the incident, oldest first."""
        rows = await self._db.read_all("SELECT channel_id FROM incident_notice ORDER BY noted_at, channel_id")
        return [int(row["channel_id"]) for row in rows]

    async def clear_notified(self, channel_ids: list[int]) -> None:
        """Forget channels once they were told that the incident is over."""
        for channel_id in channel_ids:
            await self._db.write("DELETE FROM incident_notice WHERE channel_id = ?", (channel_id,))
