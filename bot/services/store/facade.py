"""`SqliteStore`, the object the bot opens: one `Database` and the repositories over it.

Callers use the repository they need (`store.config`, `store.replies`, `store.stats`, `store.cooldowns`,
`store.escalations`, `store.incidents`), typed by its Protocol; that Protocol is also the seam for a second database
backend.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.services.store._lifecycle import StoreLifecycle
from bot.services.store.config import ConfigRepository, SqliteConfigRepository
from bot.services.store.cooldowns import CooldownRepository, SqliteCooldownRepository
from bot.services.store.database import Database, Params
from bot.services.store.escalations import EscalationRepository, SqliteEscalationRepository
from bot.services.store.incidents import IncidentRepository, SqliteIncidentRepository
from bot.services.store.replies import ReplyRepository, SqliteReplyRepository
from bot.services.store.stats import SqliteStatsRepository, StatsRepository


class SqliteLeaderLocks:
    """Leader election (`bot.app.leadership`) on SQLite: the file belongs to one process, which leads every job."""

    async def try_lead(self, name: str) -> bool:
        """Always True (one process)."""
        return True

    async def release_lead(self, name: str) -> None:
        """Nothing to give up."""


class SqliteStore(StoreLifecycle):
    """The repositories over one SQLite database; build it with ``await SqliteStore.open(path)``.

    The repositories share the store's `Database` (one connection, one lock); the store itself only opens and closes.
    """

    database: Database
    config: ConfigRepository
    replies: ReplyRepository
    stats: StatsRepository
    cooldowns: CooldownRepository
    escalations: EscalationRepository
    incidents: IncidentRepository

    def __init__(self, connection: aiosqlite.Connection, *, label: str, schema_version: int) -> None:
        self.database = Database(connection, label=label, schema_version=schema_version)
        # One instance of each per database: the config and cooldown repositories cache reads and must see every
        # write to their tables.
        self.config = SqliteConfigRepository(self.database)
        self.replies = SqliteReplyRepository(self.database)
        self.stats = SqliteStatsRepository(self.database)
        self.cooldowns = SqliteCooldownRepository(self.database)
        self.escalations = SqliteEscalationRepository(self.database)
        self.incidents = SqliteIncidentRepository(self.database)
        self.leader_locks = SqliteLeaderLocks()

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | str | None = None) -> SqliteStore:
        """Open (creating if needed) the database at `path` or ``":memory:"``, and bring its schema up to date.

        Raises what `Database.open` raises: `DatabaseUnusableError` for a database that cannot be used (the message
        names the file and what to do), `MigrationError` for a migration that failed.
        """
        database = await Database.open(path, migrations_dir=migrations_dir)
        # The constructor keeps its signature (a connection), so the store wraps the same connection in its own
        # Database; the one `Database.open` returned was never used and holds nothing else.
        return cls(database.connection, label=database.label, schema_version=database.schema_version)

    # For tests and benchmarks that look at the connection or count rows directly.
    @property
    def _db(self) -> aiosqlite.Connection:
        return self.database.connection

    async def _read_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        return await self.database.read_one(sql, params)
