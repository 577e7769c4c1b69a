"""Guild settings and watched channels: `ConfigRepository` and its SQLite implementation."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol, runtime_checkable

import aiosqlite

from bot.core.faq import LANGS
from bot.services.store._convert import finite, flag, int_in_range, names, snowflake
from bot.services.store.database import Database

log = logging.getLogger(__name__)

MAX_TAG_CHARS = 20  # Discord's limit for a forum tag name
MAX_COOLDOWN_SECONDS = 24 * 3600
MAX_REMINDER_PERIOD_HOURS = 30 * 24


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """Per-guild settings; a guild that never changed anything gets these defaults."""

    guild_id: int
    volunteer_role_ids: tuple[int, ...] = ()
    staff_role_ids: tuple[int, ...] = ()
    staff_log_channel_id: int | None = None
    default_language: str = "en"
    answer_threshold: float | None = None  # None: use the global setting
    channel_cooldown_seconds: int = 30
    reminder_period_hours: int = 12
    forum_tag_answered: str | None = None  # forum tag names, not ids
    forum_tag_needs_details: str | None = None
    forum_tag_escalated: str | None = None
    seeded: bool = False  # whether WATCH_CHANNELS were copied into watched channels for this guild


@dataclass(frozen=True, slots=True)
class WatchedChannel:
    """A channel (text channel or forum) the bot triages; in shadow mode it decides and logs but does not post."""

    channel_id: int
    shadow: bool = False


@runtime_checkable
class ConfigRepository(Protocol):
    """Per-guild settings and the channels the bot triages."""

    async def get_config(self, guild_id: int) -> GuildConfig:
        """Return the guild's settings (the defaults when it has none)."""

    async def update_config(self, guild_id: int, /, **changes: object) -> GuildConfig:
        """Change some settings of a guild and return the result."""

    async def watch_channel(self, guild_id: int, channel_id: int, *, shadow: bool = False) -> WatchedChannel:
        """Start triaging a channel."""

    async def unwatch_channel(self, guild_id: int, channel_id: int) -> bool:
        """Stop triaging a channel; return whether it was watched."""

    async def set_shadow(self, guild_id: int, channel_id: int, shadow: bool) -> bool:
        """Switch shadow mode of a watched channel; return whether the channel is watched."""

    async def watched_channels(self, guild_id: int) -> dict[int, WatchedChannel]:
        """Return the guild's watched channels by id."""

    async def is_watched(self, channel_id: int) -> WatchedChannel | None:
        """Return the channel if it is watched."""

    async def seed_watch_channels(self, guild_id: int, channel_ids: Iterable[int]) -> bool:
        """Watch these channels unless the guild was seeded before; return whether it seeded now."""


_CONFIG_COLUMNS = tuple(f.name for f in fields(GuildConfig))
_CONFIG_FIELDS = frozenset(_CONFIG_COLUMNS) - {"guild_id"}
_UPSERT_CONFIG = (
    f"INSERT INTO guild_config ({', '.join(_CONFIG_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _CONFIG_COLUMNS)}) "
    "ON CONFLICT (guild_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _CONFIG_COLUMNS if c != "guild_id")
)


class SqliteConfigRepository:
    """`ConfigRepository` on a `Database`.

    Read-through caches for what every message asks (is this channel watched, the guild's settings). Every write to
    those tables goes through this object, which clears the entry; so one instance per database, as `SqliteStore`
    makes it.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._config_cache: dict[int, GuildConfig] = {}
        self._watch_cache: dict[int, WatchedChannel | None] = {}

    # -- guild configuration -----------------------------------------------------------------------------------------

    async def get_config(self, guild_id: int) -> GuildConfig:
        """Return the guild's settings (the defaults when it has none)."""
        cached = self._config_cache.get(guild_id)
        if cached is not None:
            return cached
        row = await self._db.read_one("SELECT * FROM guild_config WHERE guild_id = ?", (guild_id,))
        config = _config_from_row(row) if row else GuildConfig(guild_id=guild_id)
        self._config_cache[guild_id] = config
        return config

    async def update_config(self, guild_id: int, /, **changes: object) -> GuildConfig:
        """Change some settings of a guild and return the result.

        Raises `ValueError` (naming the field) for an unknown field or a bad value; nothing is written then.
        """
        snowflake("guild_id", guild_id)
        checked: dict[str, Any] = {name: _check_config_value(name, value) for name, value in changes.items()}
        self._config_cache.pop(guild_id, None)
        async with self._db.transaction():
            row = await self._db.one("SELECT * FROM guild_config WHERE guild_id = ?", (guild_id,))
            config = replace(_config_from_row(row) if row else GuildConfig(guild_id=guild_id), **checked)
            if checked:
                await self._db.run(_UPSERT_CONFIG, _config_params(config))
        self._config_cache.pop(guild_id, None)  # again: a read racing this write may have cached the old row
        if checked:
            log.info("guild %d: config changed (%s)", guild_id, ", ".join(sorted(checked)))
        return config

    # -- watched channels --------------------------------------------------------------------------------------------

    async def watch_channel(self, guild_id: int, channel_id: int, *, shadow: bool = False) -> WatchedChannel:
        """Start triaging a channel (or change its shadow flag if already watched)."""
        snowflake("guild_id", guild_id)
        snowflake("channel_id", channel_id)
        flag("shadow", shadow)
        self._watch_cache.pop(channel_id, None)
        await self._db.write(
            "INSERT INTO watched_channel (channel_id, guild_id, shadow) VALUES (?, ?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id, shadow = excluded.shadow",
            (channel_id, guild_id, int(shadow)),
        )
        self._watch_cache.pop(channel_id, None)
        log.info("guild %d: watching channel %d (shadow=%s)", guild_id, channel_id, shadow)
        return WatchedChannel(channel_id=channel_id, shadow=shadow)

    async def unwatch_channel(self, guild_id: int, channel_id: int) -> bool:
        """Stop triaging a channel; return whether it was watched."""
        self._watch_cache.pop(channel_id, None)
        removed = await self._db.write(
            "DELETE FROM watched_channel WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
        )
        self._watch_cache.pop(channel_id, None)
        if removed:
            log.info("guild %d: stopped watching channel %d", guild_id, channel_id)
        return removed > 0

    async def set_shadow(self, guild_id: int, channel_id: int, shadow: bool) -> bool:
        """Switch shadow mode of a watched channel; return False (and change nothing) if it is not watched."""
        flag("shadow", shadow)
        self._watch_cache.pop(channel_id, None)
        changed = await self._db.write(
            "UPDATE watched_channel SET shadow = ? WHERE guild_id = ? AND channel_id = ?",
            (int(shadow), guild_id, channel_id),
        )
        self._watch_cache.pop(channel_id, None)
        if changed:
            log.info("guild %d: channel %d shadow=%s", guild_id, channel_id, shadow)
        return changed > 0

    async def watched_channels(self, guild_id: int) -> dict[int, WatchedChannel]:
        """Return the guild's watched channels by channel id."""
        rows = await self._db.read_all(
            "SELECT channel_id, shadow FROM watched_channel WHERE guild_id = ? ORDER BY channel_id", (guild_id,)
        )
        return {row["channel_id"]: _watched_from_row(row) for row in rows}

    async def is_watched(self, channel_id: int) -> WatchedChannel | None:
        """Return the channel if it is watched (channel ids are unique across guilds)."""
        if channel_id in self._watch_cache:
            return self._watch_cache[channel_id]
        row = await self._db.read_one(
            "SELECT channel_id, shadow FROM watched_channel WHERE channel_id = ?", (channel_id,)
        )
        watched = _watched_from_row(row) if row else None
        self._watch_cache[channel_id] = watched
        return watched

    async def seed_watch_channels(self, guild_id: int, channel_ids: Iterable[int]) -> bool:
        """Watch `channel_ids` the first time this is called for the guild; return whether it seeded now.

        The guild is marked seeded even when `channel_ids` is empty, so channels removed by an admin later are not
        added back on the next start. Channels already watched keep their shadow flag.
        """
        snowflake("guild_id", guild_id)
        ids = [snowflake("channel_id", c) for c in dict.fromkeys(channel_ids)]
        self._config_cache.pop(guild_id, None)
        for channel_id in ids:
            self._watch_cache.pop(channel_id, None)
        async with self._db.transaction():
            row = await self._db.one("SELECT seeded FROM guild_config WHERE guild_id = ?", (guild_id,))
            if row is not None and row["seeded"]:
                return False
            await self._db.connection.executemany(
                "INSERT OR IGNORE INTO watched_channel (channel_id, guild_id, shadow) VALUES (?, ?, 0)",
                [(c, guild_id) for c in ids],
            )
            await self._db.run(
                "INSERT INTO guild_config (guild_id, seeded) VALUES (?, 1) "
                "ON CONFLICT (guild_id) DO UPDATE SET seeded = 1",
                (guild_id,),
            )
        self._config_cache.pop(guild_id, None)
        for channel_id in ids:
            self._watch_cache.pop(channel_id, None)
        log.info("guild %d: seeded %d watched channel(s)", guild_id, len(ids))
        return True


def _check_config_value(name: str, value: object) -> object:
    """Return the normalised value of one `GuildConfig` field, or raise `ValueError` naming the field."""
    if name not in _CONFIG_FIELDS:
        raise ValueError(f"unknown config field {name!r}; known fields: {names(_CONFIG_FIELDS)}")
    if name in ("volunteer_role_ids", "staff_role_ids"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError(f"{name} must be a list of role ids, got {value!r}")
        return tuple(dict.fromkeys(snowflake(name, item) for item in value))
    if name == "staff_log_channel_id":
        return None if value is None else snowflake(name, value)
    if name == "default_language":
        if value not in LANGS:
            raise ValueError(f"default_language must be one of {', '.join(LANGS)}, got {value!r}")
        return value
    if name == "answer_threshold":
        if value is None:
            return None
        number = finite(name, value)
        if not 0.0 <= number <= 1.0:
            raise ValueError(
                f"answer_threshold must be between 0 and 1 (or None for the global setting), got {value!r}"
            )
        return number
    if name == "channel_cooldown_seconds":
        return int_in_range(name, value, 0, MAX_COOLDOWN_SECONDS)
    if name == "reminder_period_hours":
        return int_in_range(name, value, 1, MAX_REMINDER_PERIOD_HOURS)
    if name == "seeded":
        return flag(name, value)
    # forum_tag_*: a tag name, or None for "do not tag"
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_TAG_CHARS:
        raise ValueError(f"{name} must be a tag name of 1 to {MAX_TAG_CHARS} characters (or None), got {value!r}")
    return value.strip()


def _config_from_row(row: aiosqlite.Row) -> GuildConfig:
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


def _config_params(config: GuildConfig) -> dict[str, Any]:
    params: dict[str, Any] = {name: getattr(config, name) for name in _CONFIG_COLUMNS}
    params["volunteer_role_ids"] = json.dumps(list(config.volunteer_role_ids))
    params["staff_role_ids"] = json.dumps(list(config.staff_role_ids))
    params["seeded"] = int(config.seeded)
    return params


def _watched_from_row(row: aiosqlite.Row) -> WatchedChannel:
    return WatchedChannel(channel_id=row["channel_id"], shadow=bool(row["shadow"]))
