"""Opt-outs, reminder and channel-reply cooldowns on PostgreSQL: `PgCooldownRepository` (`CooldownRepository`).

No read-through cache, unlike the SQLite repository: an opt-out is global (a member opts out in one guild, which
another shard's process serves), and with two instances running each must see the other's reminders and replies.
Every call reads the table (one primary-key lookup).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.services.store._convert import flag, snowflake
from bot.services.store.postgres._convert import at
from bot.services.store.postgres.database import PgDatabase

log = logging.getLogger(__name__)


class PgCooldownRepository:
    """`CooldownRepository` on a `PgDatabase`."""

    def __init__(self, database: PgDatabase) -> None:
        self._db = database

    # -- opt-outs ----------------------------------------------------------------------------------------------------

    async def set_opt_out(self, user_id: int, opted_out: bool, now: datetime) -> bool:
        """Opt a user out of triage (or back in); return whether that changed the stored state."""
        snowflake("user_id", user_id)
        flag("opted_out", opted_out)
        moment = at(now)  # validated both ways, even though opting back in stores nothing
        if opted_out:
            changed = await self._db.execute(
                "INSERT INTO opt_out (user_id, opted_out_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
                user_id,
                moment,
            )
        else:
            changed = await self._db.execute("DELETE FROM opt_out WHERE user_id = $1", user_id)
        if changed:
            log.info("user %d opted %s", user_id, "out" if opted_out else "back in")
        return changed > 0

    async def is_opted_out(self, user_id: int) -> bool:
        """Return whether the user opted out."""
        return await self._db.fetchval("SELECT 1 FROM opt_out WHERE user_id = $1", user_id) is not None

    # -- reminders and cooldowns -------------------------------------------------------------------------------------

    async def last_reminder_at(self, guild_id: int, user_id: int) -> datetime | None:
        """Return when the user was last reminded in this guild, or None."""
        value: datetime | None = await self._db.fetchval(
            "SELECT last_at FROM reminder WHERE guild_id = $1 AND user_id = $2", guild_id, user_id
        )
        return value

    async def note_reminder(self, guild_id: int, user_id: int, now: datetime) -> None:
        """Note that the user was reminded at `now` (an earlier `now` than the stored one is ignored)."""
        snowflake("guild_id", guild_id)
        snowflake("user_id", user_id)
        await self._db.execute(
            "INSERT INTO reminder (guild_id, user_id, last_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET last_at = GREATEST(reminder.last_at, excluded.last_at)",
            guild_id,
            user_id,
            at(now),
        )

    async def last_channel_reply_at(self, channel_id: int) -> datetime | None:
        """Return when the bot last replied in this channel, or None."""
        value: datetime | None = await self._db.fetchval(
            "SELECT last_at FROM channel_reply WHERE channel_id = $1", channel_id
        )
        return value

    async def note_channel_reply(self, channel_id: int, now: datetime) -> None:
        """Note that the bot replied in this channel at `now` (an earlier `now` than the stored one is ignored)."""
        snowflake("channel_id", channel_id)
        await self._db.execute(
            "INSERT INTO channel_reply (channel_id, last_at) VALUES ($1, $2) "
            "ON CONFLICT (channel_id) DO UPDATE SET last_at = GREATEST(channel_reply.last_at, excluded.last_at)",
            channel_id,
            at(now),
        )
