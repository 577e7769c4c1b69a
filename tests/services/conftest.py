"""Store fixtures on both backends: `backend` / `any_store` run a test on a SQLite file and on PostgreSQL.

The PostgreSQL server is started once per session (tests/pg.py) and each test gets a database of its own, copied
from a migrated template. Where no server can be started the PostgreSQL cases skip with the reason (or fail, when
TRIAGE_TEST_POSTGRES=required, as .ci/run sets it).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.services.store import (
    MIGRATIONS_DIR,
    Database,
    SqliteConfigRepository,
    SqliteCooldownRepository,
    SqliteEscalationRepository,
    SqliteIncidentRepository,
    SqliteReplyRepository,
    SqliteStatsRepository,
    SqliteStore,
)
from bot.services.store.postgres import (
    MIGRATIONS_PG_DIR,
    PgConfigRepository,
    PgCooldownRepository,
    PgDatabase,
    PgEscalationRepository,
    PgIncidentRepository,
    PgReplyRepository,
    PgStatsRepository,
    PostgresStore,
)
from tests import pg

AnyStore = SqliteStore | PostgresStore
AnyDatabase = Database | PgDatabase

SQLITE_REPOSITORIES: dict[str, type[Any]] = {
    "config": SqliteConfigRepository,
    "replies": SqliteReplyRepository,
    "stats": SqliteStatsRepository,
    "cooldowns": SqliteCooldownRepository,
    "escalations": SqliteEscalationRepository,
    "incidents": SqliteIncidentRepository,
}
PG_REPOSITORIES: dict[str, type[Any]] = {
    "config": PgConfigRepository,
    "replies": PgReplyRepository,
    "stats": PgStatsRepository,
    "cooldowns": PgCooldownRepository,
    "escalations": PgEscalationRepository,
    "incidents": PgIncidentRepository,
}


@dataclass(frozen=True)
class Backend:
    """One database of one backend for a test: open it (again) as a store or as a bare database."""

    name: str  # "sqlite" | "postgres"
    target: str  # the SQLite file, or the PostgreSQL URL

    async def open_store(self) -> AnyStore:
        """Open a store on this test's database (each call a new one: a reconnect, a restart, another process)."""
        if self.name == "sqlite":
            return await SqliteStore.open(self.target)
        return await PostgresStore.open(self.target)

    async def open_database(self) -> AnyDatabase:
        """Open the bare database the repositories run on."""
        if self.name == "sqlite":
            return await Database.open(self.target)
        return await PgDatabase.open(self.target)

    def migrations_up_to(self, version: int, folder: Path) -> Path:
        """Create `folder` with this backend's migrations numbered up to `version`: opening a database with it
        builds the schema an older release left, to test the upgrade from there."""
        folder.mkdir()
        source = MIGRATIONS_DIR if self.name == "sqlite" else MIGRATIONS_PG_DIR
        for path in sorted(source.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            if int(path.name[:4]) <= version:
                shutil.copy(path, folder / path.name)
        return folder

    def repository(self, attribute: str, database: AnyDatabase) -> Any:
        """Build this backend's repository for a store attribute ("config", "replies", ...) over `database`."""
        classes = SQLITE_REPOSITORIES if self.name == "sqlite" else PG_REPOSITORIES
        return classes[attribute](database)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PgServer]:
    """A PostgreSQL server for the session; skips (or fails under TRIAGE_TEST_POSTGRES=required) without one."""
    try:
        server = pg.start_server()
    except pg.PgUnavailableError as exc:
        if pg.required():
            pytest.fail(f"{exc} (TRIAGE_TEST_POSTGRES=required)", pytrace=False)
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
async def pg_url(pg_server: pg.PgServer) -> AsyncIterator[str]:
    """The URL of a fresh database at the current schema version, dropped after the test."""
    name = await pg_server.create_database(await pg_server.migrated_template())
    yield pg_server.url(name)
    await pg_server.drop_database(name)


@pytest.fixture
async def pg_empty_url(pg_server: pg.PgServer) -> AsyncIterator[str]:
    """The URL of a fresh, empty database (no schema at all), dropped after the test."""
    name = await pg_server.create_database()
    yield pg_server.url(name)
    await pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each backend in turn: a SQLite file in tmp_path (its folder not created yet), or a PostgreSQL database."""
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "state" / "bot.sqlite3"))
    return Backend("postgres", request.getfixturevalue("pg_url"))


@pytest.fixture
async def any_store(backend: Backend) -> AsyncIterator[AnyStore]:
    """An open store on each backend in turn, closed after the test."""
    store = await backend.open_store()
    yield store
    await store.close()
