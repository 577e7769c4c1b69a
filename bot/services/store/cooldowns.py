"""Who opted out of triage, and when the bot last reminded a user or replied in a channel (its cooldowns).

`CooldownRepository` and its SQLite implementation.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.services.store._convert import advance, dt, flag, snowflake, ts
from bot.services.store.database import Database

log = logging.getLogger(__name__)


@runtime_checkable
class CooldownRepository(Protocol):
    """Opt-outs and the last reminder per user and guild and the last reply per channel."""

    async def set_opt_out(self, user_id: int, opted_out: bool, now: datetime) -> bool:
        """Opt a user out of (or back into) triage; return whether that changed anything."""

    async def is_opted_out(self, user_id: int) -> bool:
        """Return whether the user opted out."""

    async def last_reminder_at(self, guild_id: int, user_id: int) -> datetime | None:
        """Return when the user was last reminded in this guild."""

    async def note_reminder(self, guild_id: int, user_id: int, now: datetime) -> None:
        """Note that the user was reminded now."""

    async def last_channel_reply_at(self, channel_id: int) -> datetime | None:
        """Return when the bot last replied in this channel."""

    async def note_channel_reply(self, channel_id: int, now: datetime) -> None:
        """Note that the bot replied in this channel now."""


class SqliteCooldownRepository:
    """`CooldownRepository` on a `Database`.

    Read-through caches for what every message asks (has the author opted out, when were they last reminded, when
    did the bot last reply here). Every write to those tables goes through this object, which clears or advances
    the entry; so one instance per database, as `SqliteStore` makes it.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._opt_out_cache: dict[int, bool] = {}
        self._reminder_cache: dict[tuple[int, int], datetime | None] = {}
        self._channel_reply_cache: dict[int, datetime | None] = {}

    # -- opt-outs ----------------------------------------------------------------------------------------------------

    async def set_opt_out(self, user_id: int, opted_out: bool, now: datetime) -> bool:
        """Opt a user out of triage (or back in); return whether that changed the stored state."""
        snowflake("user_id", user_id)
        flag("opted_out", opted_out)
        self._opt_out_cache.pop(user_id, None)
        if opted_out:
            changed = await self._db.write(
                "INSERT OR IGNORE INTO opt_out (user_id, opted_out_at) VALUES (?, ?)", (user_id, ts(now))
            )
        else:
            ts(now)  # validated for symmetry, even though opting back in stores nothing
            changed = await self._db.write("DELETE FROM opt_out WHERE user_id = ?", (user_id,))
        self._opt_out_cache.pop(user_id, None)
        if changed:
            log.info("user %d opted %s", user_id, "out" if opted_out else "back in")
        return changed > 0

    async def is_opted_out(self, user_id: int) -> bool:
        """Return whether the user opted out."""
        cached = self._opt_out_cache.get(user_id)
        if cached is None:
            cached = await self._db.read_one("SELECT 1 FROM opt_out WHERE user_id = ?", (user_id,)) is not None
            self._opt_out_cache[user_id] = cached
        return cached

    # -- reminders and cooldowns -------------------------------------------------------------------------------------

    async def last_reminder_at(self, guild_id: int, user_id: int) -> datetime | None:
        """Return when the user was last reminded in this guild, or None."""
        key = (guild_id, user_id)
        if key in self._reminder_cache:
            return self._reminder_cache[key]
        row = await self._db.read_one(
            "SELECT last_at FROM reminder WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        value = dt(row["last_at"]) if row else None
        self._reminder_cache[key] = value
        return value

    async def note_reminder(self, guild_id: int, user_id: int, now: datetime) -> None:
        """Note that the user was reminded at `now` (an earlier `now` than the stored one is ignored)."""
        snowflake("guild_id", guild_id)
        snowflake("user_id", user_id)
        await self._db.write(
            "INSERT INTO reminder (guild_id, user_id, last_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET last_at = max(last_at, excluded.last_at)",
            (guild_id, user_id, ts(now)),
        )
        advance(self._reminder_cache, (guild_id, user_id), now)

    async def last_channel_reply_at(self, channel_id: int) -> datetime | None:
        """Return when the bot last replied in this channel, or None."""
        if channel_id in self._channel_reply_cache:
            return self._channel_reply_cache[channel_id]
        row = await self._db.read_one("SELECT last_at FROM channel_reply WHERE channel_id = ?", (channel_id,))
        value = dt(row["last_at"]) if row else None
        self._channel_reply_cache[channel_id] = value
        return value

    async def note_channel_reply(self, channel_id: int, now: datetime) -> None:
        """Note that the bot replied in this channel at `now` (an earlier `now` than the stored one is ignored)."""
        snowflake("channel_id", channel_id)
        await self._db.write(
            "INSERT INTO channel_reply (channel_id, last_at) VALUES (?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET last_at = max(last_at, excluded.last_at)",
            (channel_id, ts(now)),
        )
        advance(self._channel_reply_cache, channel_id, now)
