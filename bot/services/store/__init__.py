"""SQLite persistence: guild settings, watched channels, bot replies, decisions, feedback, gaps, opt-outs, cooldowns,
account links and the escalation outbox.

All SQL of the bot lives in this package; callers get frozen dataclasses, never database rows.

- `database`: `Database`, the one aiosqlite connection and its lock, start-up checks and numbered migrations (from
  ``bot/services/migrations``), and the errors `StoreError`, `DatabaseUnusableError`, `MigrationError`.
- `config`: `ConfigRepository` (guild settings, watched channels, seeding) and `SqliteConfigRepository`.
- `replies`: `ReplyRepository` (replies, decisions, feedback, gaps: the writes and point reads) and
  `SqliteReplyRepository`.
- `stats`: `StatsRepository` (read-only counts and lists over a period: /stats, its CSV export, export-gaps) and
  `SqliteStatsRepository`.
- `cooldowns`: `CooldownRepository` (opt-outs, reminder and channel cooldowns) and `SqliteCooldownRepository`.
- `escalations`: `EscalationRepository` (account links, /link attempts, the outbox) and `SqliteEscalationRepository`.
- `incidents`: `IncidentRepository` (the incident in progress, the status page's incidents and their staff notices
  claimed per guild, channels told about it) and its SQLite one.
- `facade`: `SqliteStore`, what the bot opens (``await SqliteStore.open(path)``): the repositories over one
  `Database`, as attributes.

Each repository takes the `Database` it runs on; none knows the others.
"""

from bot.services.store.config import (
    MAX_COOLDOWN_SECONDS,
    MAX_REMINDER_PERIOD_HOURS,
    MAX_TAG_CHARS,
    ConfigRepository,
    GuildConfig,
    SqliteConfigRepository,
    WatchedChannel,
)
from bot.services.store.cooldowns import CooldownRepository, SqliteCooldownRepository
from bot.services.store.database import (
    BUSY_TIMEOUT_MS,
    MEMORY,
    MIGRATIONS_DIR,
    Database,
    DatabaseUnusableError,
    Migration,
    MigrationError,
    StoreError,
    load_migrations,
    split_sql,
)
from bot.services.store.escalations import EscalationRepository, SqliteEscalationRepository
from bot.services.store.facade import SqliteStore
from bot.services.store.incidents import (
    INCIDENT_NOTICE_KINDS,
    IncidentNoticeKind,
    IncidentRecord,
    IncidentRepository,
    OwedIncidentNotice,
    SqliteIncidentRepository,
)
from bot.services.store.replies import (
    FEEDBACK_KINDS,
    GAP_SOURCES,
    MAX_GAP_CHARS,
    REPLY_KINDS,
    BotReply,
    DecisionRecord,
    FeedbackKind,
    GapSource,
    ReplyKind,
    ReplyRepository,
    SqliteReplyRepository,
    UnknownReplyError,
    normalise_question,
)
from bot.services.store.stats import SqliteStatsRepository, Stats, StatsRepository

__all__ = [
    "BUSY_TIMEOUT_MS",
    "FEEDBACK_KINDS",
    "GAP_SOURCES",
    "INCIDENT_NOTICE_KINDS",
    "MAX_COOLDOWN_SECONDS",
    "MAX_GAP_CHARS",
    "MAX_REMINDER_PERIOD_HOURS",
    "MAX_TAG_CHARS",
    "MEMORY",
    "MIGRATIONS_DIR",
    "REPLY_KINDS",
    "BotReply",
    "ConfigRepository",
    "CooldownRepository",
    "Database",
    "DatabaseUnusableError",
    "DecisionRecord",
    "EscalationRepository",
    "FeedbackKind",
    "GapSource",
    "GuildConfig",
    "IncidentNoticeKind",
    "IncidentRecord",
    "IncidentRepository",
    "Migration",
    "MigrationError",
    "OwedIncidentNotice",
    "ReplyKind",
    "ReplyRepository",
    "SqliteConfigRepository",
    "SqliteCooldownRepository",
    "SqliteEscalationRepository",
    "SqliteIncidentRepository",
    "SqliteReplyRepository",
    "SqliteStatsRepository",
    "SqliteStore",
    "Stats",
    "StatsRepository",
    "StoreError",
    "UnknownReplyError",
    "WatchedChannel",
    "load_migrations",
    "normalise_question",
    "split_sql",
]
