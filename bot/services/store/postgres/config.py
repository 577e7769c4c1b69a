"""Guild settings and watched channels on PostgreSQL: `PgConfigRepository` (`ConfigRepository`).

No read-through cache, unlike the SQLite repository: another process (another shard, a second instance during a
deploy) may change a guild's settings or watched channels, and a cache here would keep answering the old value.
Every call reads the table (one indexed primary-key lookup).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import asyncpg

from bot.services.store._convert import flag, snowflake
from bot.services.store.config import GuildConfig, WatchedChannel
from bot.services.store.config import _check_config_value as check_config_value  # the same rules on both backends
from bot.services.store.postgres.database import PgDatabase

log = logging.getLogger(__name__)


class PgConfigRepository:
    """`ConfigRepository` on a `PgDatabase`."""

    def __init__(self, database: PgDatabase) -> None:
        self._db = database

    # -- guild configuration -----------------------------------------------------------------------------------------

    async def get_config(self, guild_id: int) -> GuildConfig:
        """Return the guild's settings (the defaults when it has none)."""
        row = await self._db.fetchrow("SELECT * FROM guild_config WHERE guild_id = $1", guild_id)
        return _config_from_row(row) if row else GuildConfig(guild_id=guild_id)

    async def update_config(self, guild_id: int, /, **changes: object) -> GuildConfig:
        """Change some settings of a guild and return the result.

        Raises `ValueError` (naming the field) for an unknown field or a bad value; nothing is written then. One
        upsert of the changed columns only, so concurrent changes of other fields are never lost.
        """
        snowflake("guild_id", guild_id)
        checked: dict[str, Any] = {name: check_config_value(name, value) for name, value in changes.items()}
        if not checked:
            return await self.get_config(guild_id)
        columns = sorted(checked)  # validated names only: nothing else reaches the SQL
        values = [_column_value(name, checked[name]) for name in columns]
        row = await self._db.fetchrow(
            f"INSERT INTO guild_config (guild_id, {', '.join(columns)}) "
            f"VALUES ($1, {', '.join(f'${i}' for i in range(2, len(columns) + 2))}) "
            "ON CONFLICT (guild_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns)
            + " RETURNING *",
            guild_id,
            *values,
        )
        if row is None:  # pragma: no cover - an upsert's RETURNING always has the row
            raise LookupError(guild_id)
        log.info("guild %d: config changed (%s)", guild_id, ", ".join(columns))
        return _config_from_row(row)

    # -- watched channels --------------------------------------------------------------------------------------------

    async def watch_channel(self, guild_id: int, channel_id: int, *, shadow: bool = False) -> WatchedChannel:
        """Start triaging a channel (or change its shadow flag if already watched)."""
        snowflake("guild_id", guild_id)
        snowflake("channel_id", channel_id)
        flag("shadow", shadow)
        await self._db.execute(
            "INSERT INTO watched_channel (channel_id, guild_id, shadow) VALUES ($1, $2, $3) "
            "ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id, shadow = excluded.shadow",
            channel_id,
            guild_id,
            shadow,
        )
        log.info("guild %d: watching channel %d (shadow=%s)", guild_id, channel_id, shadow)
        return WatchedChannel(channel_id=channel_id, shadow=shadow)

    async def unwatch_channel(self, guild_id: int, channel_id: int) -> bool:
        """Stop triaging a channel; return whether it was watched."""
        removed = await self._db.execute(
            "DELETE FROM watched_channel WHERE guild_id = $1 AND channel_id = $2", guild_id, channel_id
        )
        if removed:
            log.info("guild %d: stopped watching channel %d", guild_id, channel_id)
        return removed > 0

    async def set_shadow(self, guild_id: int, channel_id: int, shadow: bool) -> bool:
        """Switch shadow mode of a watched channel; return False (and change nothing) if it is not watched."""
        flag("shadow", shadow)
        changed = await self._db.execute(
            "UPDATE watched_channel SET shadow = $1 WHERE guild_id = $2 AND channel_id = $3",
            shadow,
            guild_id,
            channel_id,
        )
        if changed:
            log.info("guild %d: channel %d shadow=%s", guild_id, channel_id, shadow)
        return changed > 0

    async def watched_channels(self, guild_id: int) -> dict[int, WatchedChannel]:
        """Return the guild's watched channels by channel id."""
        rows = await self._db.fetch(
            "SELECT channel_id, shadow FROM watched_channel WHERE guild_id = $1 ORDER BY channel_id", guild_id
        )
        return {row["channel_id"]: _watched_from_row(row) for row in rows}

    async def is_watched(self, channel_id: int) -> WatchedChannel | None:
        """Return the channel if it is watched (channel ids are unique across guilds)."""
        row = await self._db.fetchrow(
            "SELECT channel_id, shadow FROM watched_channel WHERE channel_id = $1", channel_id
        )
        return _watched_from_row(row) if row else None

    async def seed_watch_channels(self, guild_id: int, channel_ids: Iterable[int]) -> bool:
        """Watch `channel_ids` the first time this is called for the guild; return whether it seeded now.

        The guild is marked seeded even when `channel_ids` is empty, so channels removed by an admin later are not
        added back on the next start. Channels already watched keep their shadow flag. The guild's row is locked
        (``FOR UPDATE``) for the check and the seeding, so two processes starting together seed once.
        """
        snowflake("guild_id", guild_id)
        ids = [snowflake("channel_id", c) for c in dict.fromkeys(channel_ids)]
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO guild_config (guild_id) VALUES ($1) ON CONFLICT (guild_id) DO NOTHING", guild_id
            )
            if await tx.fetchval("SELECT seeded FROM guild_config WHERE guild_id = $1 FOR UPDATE", guild_id):
                return False
            await tx.execute(
                "INSERT INTO watched_channel (channel_id, guild_id, shadow) SELECT unnest($1::bigint[]), $2, FALSE "
                "ON CONFLICT (channel_id) DO NOTHING",
                ids,
                guild_id,
            )
            await tx.execute("UPDATE guild_config SET seeded = TRUE WHERE guild_id = $1", guild_id)
        log.info("guild %d: seeded %d watched channel(s)", guild_id, len(ids))
        return True


def _column_value(name: str, value: Any) -> Any:
    """The stored form of a checked `GuildConfig` value (role id lists are JSON text, as in SQLite)."""
    if name in ("volunteer_role_ids", "staff_role_ids"):
        return json.dumps(list(value))
    return value


def _config_from_row(row: asyncpg.Record) -> GuildConfig:
    return GuildConfig(
        guild_id=row["guild_id"],
        volunteer_role_ids=tuple(json.loads(row["volunteer_role_ids"])),
        staff_role_ids=tuple(json.loads(row["staff_role_ids"])),
        staff_log_channel_id=row["staff_log_channel_id"],
        default_language=row["default_language"],
        answer_threshold=row["answer_threshold"],
        channel_cooldown_seconds=row["channel_cooldown_seconds"],
        reminder_period_hours=row["reminder_period_hours"],
        forum_tag_answered=row["forum_tag_answered"],
        forum_tag_needs_details=row["forum_tag_needs_details"],
        forum_tag_escalated=row["forum_tag_escalated"],
        seeded=bool(row["seeded"]),
    )


def _watched_from_row(row: asyncpg.Record) -> WatchedChannel:
    return WatchedChannel(channel_id=row["channel_id"], shadow=bool(row["shadow"]))
