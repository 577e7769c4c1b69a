"""PostgreSQL persistence, selected by DATABASE_URL: the same repositories (the Protocols of `bot.services.store`)
over an asyncpg pool, for several bot processes sharing one database.

- `database`: `PgDatabase` (the pool, start-up errors naming DATABASE_URL without its password, numbered
  migrations from ``bot/services/migrations_pg`` in a ``schema_version`` table) and `redact_url`.
- `config`, `replies`, `stats`, `cooldowns`, `escalations`, `incidents`: `Pg…Repository`, one per Protocol. None
  caches reads (another process may write the same rows); the outbox's `due_escalations` claims rows with a lease.
- `facade`: `PostgresStore`, what the bot opens (``await PostgresStore.open(url)``), shaped like `SqliteStore`.
- `from_sqlite`: `copy_sqlite_to_postgres`, a SQLite store copied into an empty database in one transaction
  (``python -m bot copy-store``).
"""

from bot.services.store.postgres.config import PgConfigRepository
from bot.services.store.postgres.cooldowns import PgCooldownRepository
from bot.services.store.postgres.database import MIGRATIONS_PG_DIR, PgConnection, PgDatabase, redact_url
from bot.services.store.postgres.escalations import DEFAULT_CLAIM_LEASE, PgEscalationRepository
from bot.services.store.postgres.facade import PostgresStore
from bot.services.store.postgres.incidents import PgIncidentRepository
from bot.services.store.postgres.replies import PgReplyRepository
from bot.services.store.postgres.stats import PgStatsRepository

__all__ = [
    "DEFAULT_CLAIM_LEASE",
    "MIGRATIONS_PG_DIR",
    "PgConfigRepository",
    "PgConnection",
    "PgCooldownRepository",
    "PgDatabase",
    "PgEscalationRepository",
    "PgIncidentRepository",
    "PgReplyRepository",
    "PgStatsRepository",
    "PostgresStore",
    "redact_url",
]
