"""`PostgresStore`, what the bot opens when DATABASE_URL is set: one `PgDatabase` and the repositories over it.

The same shape as `SqliteStore` (`open`, `close`, ``async with``, `label`, `schema_version`, and the repositories
`config`, `replies`, `stats`, `cooldowns`, `escalations`, `incidents`, typed by their Protocols, and
`leader_locks`), so callers do not know
which database they use.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.services.store._lifecycle import StoreLifecycle
from bot.services.store.config import ConfigRepository
from bot.services.store.cooldowns import CooldownRepository
from bot.services.store.escalations import EscalationRepository
from bot.services.store.incidents import IncidentRepository
from bot.services.store.postgres.config import PgConfigRepository
from bot.services.store.postgres.cooldowns import PgCooldownRepository
from bot.services.store.postgres.database import PgDatabase
from bot.services.store.postgres.escalations import DEFAULT_CLAIM_LEASE, PgEscalationRepository
from bot.services.store.postgres.incidents import PgIncidentRepository
from bot.services.store.postgres.replies import PgReplyRepository
from bot.services.store.postgres.stats import PgStatsRepository
from bot.services.store.replies import ReplyRepository
from bot.services.store.stats import StatsRepository


class PgLeaderLocks:
    """Leader election among the processes on one database (`bot.app.leadership`): PostgreSQL advisory locks."""

    def __init__(self, database: PgDatabase) -> None:
        self._db = database

    async def try_lead(self, name: str) -> bool:
        """Lead `name` among the processes on this database (an advisory lock, see `PgDatabase.try_lead`)."""
        return await self._db.try_lead(name)

    async def release_lead(self, name: str) -> None:
        """Give up the leadership of `name` if held."""
        await self._db.release_lead(name)


class PostgresStore(StoreLifecycle):
    """The repositories over one PostgreSQL database; build it with ``await PostgresStore.open(url)``.

    The repositories share the store's `PgDatabase` (one connection pool); the store itself only opens and closes.
    """

    database: PgDatabase
    config: ConfigRepository
    replies: ReplyRepository
    stats: StatsRepository
    cooldowns: CooldownRepository
    escalations: EscalationRepository
    incidents: IncidentRepository

    def __init__(self, database: PgDatabase, *, claim_lease: timedelta = DEFAULT_CLAIM_LEASE) -> None:
        self.database = database
        self.config = PgConfigRepository(database)
        self.replies = PgReplyRepository(database)
        self.stats = PgStatsRepository(database)
        self.cooldowns = PgCooldownRepository(database)
        self.escalations = PgEscalationRepository(database, claim_lease=claim_lease)
        self.incidents = PgIncidentRepository(database)
        self.leader_locks = PgLeaderLocks(database)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrations_dir: Path | str | None = None,
        claim_lease: timedelta = DEFAULT_CLAIM_LEASE,
    ) -> PostgresStore:
        """Connect to the database at `url` (DATABASE_URL) and bring its schema up to date.

        Raises what `PgDatabase.open` raises: `DatabaseUnusableError` for a server or URL that cannot be used (the
        message names DATABASE_URL, never the password), `MigrationError` for a migration that failed.
        """
        return cls(await PgDatabase.open(url, migrations_dir=migrations_dir), claim_lease=claim_lease)
