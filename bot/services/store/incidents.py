"""The incident board's persistence: the platform incident in progress, the status page's incidents and the notices
owed about them per guild, and the threads told about the incident.

`IncidentRepository` and its SQLite implementation; `bot.app.composition.IncidentBoard` reads it at start-up and
writes through it, so incident notices survive a restart. Several processes may share the database (PostgreSQL),
each with the guilds of its own shards: the notices are owed per guild and claimed once here (`claim_notice`), so
each is posted once, by a process that has the guild.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, cast, runtime_checkable

from bot.services.store._convert import dt, snowflake, ts
from bot.services.store.database import Database

IncidentNoticeKind = Literal["started", "resolved"]
INCIDENT_NOTICE_KINDS: tuple[IncidentNoticeKind, ...] = ("started", "resolved")


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """One incident of the status page as recorded: from the poll that first listed it to the one that no longer did
    (`resolved_at`, None while it is in progress). `status` is the page's status of it when first seen."""

    id: int
    name: str
    url: str
    status: str
    started_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class OwedIncidentNotice:
    """A staff line about `incident` not yet claimed in `guild_id`: "started" while it is in progress (the guild was
    never told), "resolved" once it ended (the guild was told it started)."""

    incident: IncidentRecord
    guild_id: int
    kind: IncidentNoticeKind


@runtime_checkable
class IncidentRepository(Protocol):
    """The incident in progress (one row at most), the status page's incidents with the notices claimed per guild, and
    the channels that got the incident notice."""

    async def current_incident(self) -> tuple[str, str] | None:
        """(name, status page URL) of the incident in progress, or None."""

    async def set_incident(self, incident: tuple[str, str] | None, now: datetime) -> None:
        """Record the incident in progress (None: resolved)."""

    async def record_incidents(self, incidents: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Record the status page's unresolved incidents, (name, url, status) each: one not open yet starts now, an
        open one no longer listed is resolved now, an open one listed again is kept (a restart, a take-over)."""

    async def owed_notices(
        self, guild_ids: Collection[int], resolved_since: datetime, limit: int = 500
    ) -> list[OwedIncidentNotice]:
        """The notices not yet claimed in `guild_ids`: "started" of the incidents in progress, "resolved" of those
        resolved since `resolved_since` whose start the guild was told; by incident, then guild."""

    async def claim_notice(self, incident_id: int, guild_id: int, kind: IncidentNoticeKind, now: datetime) -> bool:
        """Take the notice `kind` of an incident in a guild, to post it: True once (False when already claimed, or
        no longer owed: "started" of an incident that ended, "resolved" where its start was not told)."""

    async def note_notified(self, channel_id: int, guild_id: int, now: datetime) -> None:
        """Remember a channel (of `guild_id`) told about the incident."""

    async def notified_channels(self) -> list[int]:
        """The channels told about the incident, oldest first."""

    async def take_notified(self, guild_ids: Collection[int]) -> list[int]:
        """Take the channels of `guild_ids` told about the incident, to tell them that it is over (each once: they
        are forgotten), oldest first."""


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

    async def record_incidents(self, incidents: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Record the status page's unresolved incidents, (name, url, status) each: one not open yet starts now, an
        open one no longer listed is resolved now, an open one listed again is kept (a restart, a take-over)."""
        listed = listed_incidents(incidents)
        async with self._db.transaction():
            for row in await self._db.all("SELECT id, name, url FROM incident WHERE resolved_at IS NULL"):
                if listed.pop((str(row["name"]), str(row["url"])), None) is None:
                    await self._db.run("UPDATE incident SET resolved_at = ? WHERE id = ?", (ts(now), row["id"]))
            for (name, url), status in listed.items():
                await self._db.run(
                    "INSERT INTO incident (name, url, status, started_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (name, url, status, ts(now)),
                )

    async def owed_notices(
        self, guild_ids: Collection[int], resolved_since: datetime, limit: int = 500
    ) -> list[OwedIncidentNotice]:
        """The notices not yet claimed in `guild_ids`: "started" of the incidents in progress, "resolved" of those
        resolved since `resolved_since` whose start the guild was told; by incident, then guild."""
        guilds = json.dumps([int(g) for g in guild_ids])  # one parameter, however many guilds (see escalations)
        rows = await self._db.read_all(
            _OWED, {"guilds": guilds, "since": ts(resolved_since, "resolved_since"), "limit": limit}
        )
        return [owed_notice(row, dt(row["started_at"]), dt(row["resolved_at"])) for row in rows]

    async def claim_notice(self, incident_id: int, guild_id: int, kind: IncidentNoticeKind, now: datetime) -> bool:
        """Take the notice `kind` of an incident in a guild, to post it: True once (False when already claimed, or
        no longer owed: "started" of an incident that ended, "resolved" where its start was not told)."""
        snowflake("guild_id", guild_id)
        params = {"incident": incident_id, "guild": guild_id, "now": ts(now)}
        return await self._db.write(_CLAIMS[checked_kind(kind)], params) > 0

    async def note_notified(self, channel_id: int, guild_id: int, now: datetime) -> None:
        """Remember a channel (of `guild_id`) told about the incident (once)."""
        snowflake("channel_id", channel_id)
        snowflake("guild_id", guild_id)
        await self._db.write(
            "INSERT OR IGNORE INTO incident_notice (channel_id, noted_at, guild_id) VALUES (?, ?, ?)",
            (channel_id, ts(now), guild_id),
        )

    async def notified_channels(self) -> list[int]:
        """The channels told about the incident, oldest first."""
        rows = await self._db.read_all("SELECT channel_id FROM incident_notice ORDER BY noted_at, channel_id")
        return [int(row["channel_id"]) for row in rows]

    async def take_notified(self, guild_ids: Collection[int]) -> list[int]:
        """Take the channels of `guild_ids` told about the incident, to tell them that it is over (each once: they
        are forgotten), oldest first."""
        guilds = (json.dumps([int(g) for g in guild_ids]),)
        where = "WHERE guild_id IN (SELECT value FROM json_each(?))"
        async with self._db.transaction():
            rows = await self._db.all(
                f"SELECT channel_id FROM incident_notice {where} ORDER BY noted_at, channel_id", guilds
            )
            await self._db.run(f"DELETE FROM incident_notice {where}", guilds)
        return [int(row["channel_id"]) for row in rows]


_RECORD = (
    "i.id AS id, i.name AS name, i.url AS url, i.status AS status, i.started_at AS started_at, "
    "i.resolved_at AS resolved_at"
)
# "started" for each guild of the list where it is not claimed, "resolved" where "started" is and "resolved" is not.
_OWED = (
    f"SELECT {_RECORD}, guilds.value AS guild_id, 'started' AS kind FROM incident AS i, json_each(:guilds) AS guilds "
    "WHERE i.resolved_at IS NULL AND NOT EXISTS (SELECT 1 FROM incident_announcement AS a "
    "WHERE a.incident_id = i.id AND a.guild_id = guilds.value AND a.kind = 'started') "
    "UNION ALL "
    f"SELECT {_RECORD}, told.guild_id AS guild_id, 'resolved' AS kind "
    "FROM incident AS i JOIN incident_announcement AS told ON told.incident_id = i.id AND told.kind = 'started' "
    "WHERE i.resolved_at >= :since AND told.guild_id IN (SELECT value FROM json_each(:guilds)) "
    "AND NOT EXISTS (SELECT 1 FROM incident_announcement AS a "
    "WHERE a.incident_id = i.id AND a.guild_id = told.guild_id AND a.kind = 'resolved') "
    "ORDER BY id, guild_id LIMIT :limit"
)
# A claim is one INSERT of the notice's row, made only while the notice is owed; the key makes it once.
_CLAIM = "INSERT INTO incident_announcement (incident_id, guild_id, kind, claimed_at) SELECT i.id, :guild, "
_CLAIMS: dict[IncidentNoticeKind, str] = {
    "started": f"{_CLAIM}'started', :now FROM incident AS i WHERE i.id = :incident AND i.resolved_at IS NULL "
    "ON CONFLICT DO NOTHING",
    "resolved": f"{_CLAIM}'resolved', :now FROM incident AS i WHERE i.id = :incident AND i.resolved_at IS NOT NULL "
    "AND EXISTS (SELECT 1 FROM incident_announcement AS a "
    "WHERE a.incident_id = i.id AND a.guild_id = :guild AND a.kind = 'started') ON CONFLICT DO NOTHING",
}


def listed_incidents(incidents: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
    """The status page's incidents as {(name, url): status}, the first of a name and link kept (both backends)."""
    listed: dict[tuple[str, str], str] = {}
    for name, url, status in incidents:
        listed.setdefault((name, url), status)
    return listed


def checked_kind(kind: str) -> IncidentNoticeKind:
    """Return `kind` if it is an incident notice kind; `ValueError` otherwise (both backends)."""
    if kind not in INCIDENT_NOTICE_KINDS:
        raise ValueError(f"kind must be one of {INCIDENT_NOTICE_KINDS}, got {kind!r}")
    return cast(IncidentNoticeKind, kind)


def owed_notice(row: Any, started_at: datetime | None, resolved_at: datetime | None) -> OwedIncidentNotice:
    """The notice of an `owed_notices` row (a SQLite or an asyncpg row), its times already read in the backend's way
    (both backends)."""
    assert started_at is not None, "an incident always has its start"
    record = IncidentRecord(int(row["id"]), str(row["name"]), str(row["url"]), str(row["status"]), started_at,
                            resolved_at)  # fmt: skip
    return OwedIncidentNotice(record, int(row["guild_id"]), checked_kind(str(row["kind"])))
