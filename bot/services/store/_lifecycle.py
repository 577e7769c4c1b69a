"""What every store (SQLite, PostgreSQL) does around its repositories: report its database, close it, `async with`."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self


class _Database(Protocol):
    """The part of a store's database object the lifecycle uses."""

    @property
    def label(self) -> str: ...
    @property
    def schema_version(self) -> int: ...
    async def close(self) -> None: ...


class StoreLifecycle:
    """Shared by `SqliteStore` and `PostgresStore`: both hold their database as `self.database`."""

    database: _Database

    @property
    def label(self) -> str:
        """The database's path or URL (never a password), for messages."""
        return self.database.label

    @property
    def schema_version(self) -> int:
        """The schema version the database was migrated to when opened."""
        return self.database.schema_version

    async def close(self) -> None:
        """Close the database (a PostgreSQL store also gives up its leaderships); further calls raise `StoreError`.
        Closing twice is allowed."""
        await self.database.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
