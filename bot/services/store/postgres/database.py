"""The PostgreSQL database under the repositories: an asyncpg pool, start-up errors and numbered migrations.

How it works:
- One asyncpg connection pool (`DATABASE_URL`). A statement outside `PgDatabase.transaction` runs on its own and
  is committed when it returns; read-modify-write operations run inside `transaction` (READ COMMITTED, with
  ``SELECT ... FOR UPDATE`` or an atomic upsert where two writers could meet). Unlike the SQLite store there is no
  process-wide lock: other processes write the same tables, so each operation must be safe on its own.
- Text parameters are made storable first: PostgreSQL text holds neither NUL characters nor lone surrogates (a
  JSON ``"\\ud800"`` in a message), so both become U+FFFD (the SQLite store keeps NULs and replaces surrogates).

Migrations: numbered files ``bot/services/migrations_pg/NNNN_description.sql``, versions 1..N without gaps, read and
checked by the SQLite store's `load_migrations` (same naming, no transaction statements, no dollar-quoted bodies:
statements are split on semicolons). The version is the one row of ``schema_version``. Each pending file runs in one
transaction together with the new version and under an advisory lock, so a failing file leaves the database exactly
at the previous version, and two processes starting together migrate once. A database newer than the code is
refused. Errors name DATABASE_URL and show it without its password (`redact_url`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.services.store.database import DatabaseUnusableError, Migration, MigrationError, StoreError, load_migrations

log = logging.getLogger(__name__)

MIGRATIONS_PG_DIR = Path(__file__).resolve().parents[2] / "migrations_pg"
# pg_advisory_xact_lock key of the migrations (any constant that no other code of this database uses).
_MIGRATION_LOCK = 0x7472_6961_6765  # "triage"
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
CONNECT_TIMEOUT_SECONDS = 10.0

_SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id), version INTEGER NOT NULL)"
)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_PASSWORD_PARAMETER = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def redact_url(url: str) -> str:
    """Return `url` with its password (in the user part or a ``password=`` parameter) replaced by ``***``."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return "(unparsable URL)"
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            url = url.replace(netloc, f"{userinfo.split(':', 1)[0]}:***@{host}", 1)
    return _PASSWORD_PARAMETER.sub(r"\1***", url)


def _storable(value: Any) -> Any:
    """A parameter PostgreSQL can store: NULs and lone surrogates in a string become U+FFFD."""
    if isinstance(value, str) and _UNSTORABLE.search(value):
        return _UNSTORABLE.sub("\ufffd", value)
    return value


def _changed(status: str) -> int:
    """The number of rows a command changed, from its status ("UPDATE 2", "INSERT 0 1", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PgConnection:
    """One connection's statements, with storable parameters: what `PgDatabase.transaction` hands its body."""

    def __init__(self, connection: PoolConnectionProxy[asyncpg.Record]) -> None:
        self.raw = connection

    async def execute(self, sql: str, *args: Any) -> int:
        """Execute one statement; return the number of rows changed."""
        return _changed(await self.raw.execute(sql, *map(_storable, args)))

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        """Return the first row of a query, or None."""
        return await self.raw.fetchrow(sql, *map(_storable, args))

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Return every row of a query."""
        return list(await self.raw.fetch(sql, *map(_storable, args)))

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """Return the first column of the first row of a query (None when there is none)."""
        return await self.raw.fetchval(sql, *map(_storable, args))


class PgDatabase:
    """An asyncpg pool the repositories share; build it with ``await PgDatabase.open(url)``.

    `execute`, `fetchrow`, `fetch` and `fetchval` run one statement on a pooled connection; `transaction` holds one
    connection in a transaction for a read-modify-write. Once closed, every call raises `StoreError`.
    """

    def __init__(self, pool: asyncpg.Pool, *, label: str, schema_version: int) -> None:
        self._pool: asyncpg.Pool | None = pool
        self.label = label  # the URL without its password
        self.schema_version = schema_version
        # Leaderships held (`try_lead`): each on a pooled connection kept out of the pool while held.
        self._leads: dict[str, PoolConnectionProxy[asyncpg.Record]] = {}

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrations_dir: Path | str | None = None,
        min_size: int = POOL_MIN_SIZE,
        max_size: int = POOL_MAX_SIZE,
    ) -> PgDatabase:
        """Connect to the database at `url` (DATABASE_URL) and bring its schema up to date.

        A server that cannot be reached, refused credentials, a missing database or a malformed URL raise
        `DatabaseUnusableError` (`bad_setting` when the fix is another DATABASE_URL); a failed migration or a
        database newer than the code raise `MigrationError`. No message shows the password.
        """
        label = redact_url(url)
        migrations = await asyncio.to_thread(load_migrations, Path(migrations_dir or MIGRATIONS_PG_DIR))
        # `from None` below: asyncpg's own error may quote the URL, password included.
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _unusable(label, url, exc) from None
        try:
            async with pool.acquire() as conn:
                version = await _migrate(conn, migrations, label)
        except MigrationError:
            await pool.close()
            raise
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            await pool.close()
            raise _unusable(label, url, exc) from None
        except BaseException:
            await pool.close()
            raise
        log.info("database %s open at schema version %d", label, version)
        return cls(pool, label=label, schema_version=version)

    async def close(self) -> None:
        """Close the pool (waiting for operations in progress); further calls raise `StoreError`. Twice is fine.

        Leaderships held are given up first, so another process can take them over at once."""
        for name in list(self._leads):
            await self.release_lead(name)
        pool, self._pool = self._pool, None
        if pool is None:
            return
        await pool.close()
        log.info("database %s closed", self.label)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[PgConnection]:
        """Hold one pooled connection for the body (autocommit: each statement commits on its own)."""
        pool = self._pool
        if pool is None:
            raise StoreError(f"store {self.label} is closed")
        try:
            async with pool.acquire() as conn:
                yield PgConnection(conn)
        except asyncpg.InterfaceError as exc:
            if self._pool is None:  # closed while waiting for a connection
                raise StoreError(f"store {self.label} is closed") from exc
            raise

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """Run the body in one transaction on one connection, rolled back if the body fails."""
        async with self.connection() as conn, conn.raw.transaction():
            yield conn

    async def execute(self, sql: str, *args: Any) -> int:
        """Execute and commit one statement; return the number of rows changed."""
        async with self.connection() as conn:
            return await conn.execute(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        """Return the first row of a query, or None."""
        async with self.connection() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Return every row of a query."""
        async with self.connection() as conn:
            return await conn.fetch(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """Return the first column of the first row of a query."""
        async with self.connection() as conn:
            return await conn.fetchval(sql, *args)

    async def try_lead(self, name: str) -> bool:
        """Become (or stay) the one leader of `name` among every process on this database; True while leader.

        A session-level ``pg_try_advisory_lock`` on a connection held out of the pool for as long as this process
        leads: it is freed by `release_lead`, `close`, or the server when the process or its connection dies (a
        killed process loses the lead as soon as PostgreSQL notices the connection is gone). Asked again while
        leading, it checks that the connection still lives (a lost connection means the lock is lost too).
        """
        held = self._leads.get(name)
        if held is not None:
            try:
                await held.fetchval("SELECT 1")
                return True
            # InternalClientError: the server ended the session while the client thought it busy ("cannot switch to
            # state 11; another operation is in progress"), seen when a leader's backend is terminated. Uncaught, the
            # dead connection stayed in `_leads` and this process could never lead again.
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError):
                log.warning("lost the connection holding the %s leadership", name)
                del self._leads[name]
                await self._give_back(held, unlock=None)
        pool = self._pool
        if pool is None:
            raise StoreError(f"store {self.label} is closed")
        conn = await pool.acquire()
        try:
            leading = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lead_key(name)))
        except BaseException:
            await self._give_back(conn, unlock=None)
            raise
        if leading:
            self._leads[name] = conn
        else:
            await self._give_back(conn, unlock=None)
        return leading

    async def release_lead(self, name: str) -> None:
        """Give up the leadership of `name` if this process holds it (another process may then take it)."""
        held = self._leads.pop(name, None)
        if held is not None:
            await self._give_back(held, unlock=name)

    async def _give_back(self, conn: PoolConnectionProxy[asyncpg.Record], *, unlock: str | None) -> None:
        """Return a connection to the pool (its reset also drops advisory locks); a broken one is discarded."""
        pool = self._pool
        try:
            if unlock is not None:
                await conn.execute("SELECT pg_advisory_unlock($1)", lead_key(unlock))
            if pool is not None:
                await pool.release(conn)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError):
            log.debug("connection of a leadership was already gone", exc_info=True)
            with contextlib.suppress(Exception):
                conn.terminate()
            if pool is not None:
                with contextlib.suppress(Exception):
                    await pool.release(conn)

    async def probe_write(self) -> None:
        """Check that the database still takes a write (the health endpoint): rewrite the schema version in a
        transaction and roll it back. Raises `StoreError` once closed, an asyncpg error when it cannot write."""
        async with self.connection() as conn:
            transaction = conn.raw.transaction()
            await transaction.start()
            try:
                await conn.execute("UPDATE schema_version SET version = version")
            finally:
                await transaction.rollback()


def lead_key(name: str) -> int:
    """The advisory-lock key of a leadership `name`: a stable signed 64-bit number derived from it."""
    return int.from_bytes(hashlib.sha256(f"triage-lead:{name}".encode()).digest()[:8], "big", signed=True)


# --------------------------------------------------------------------------------------------------------------------
# Start-up errors: one clear message per way the server or the URL can be wrong


def _unusable(label: str, url: str, exc: BaseException) -> DatabaseUnusableError:
    """Translate an error met while connecting into a message naming DATABASE_URL (without the password)."""
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    password = urlsplit(url).password if "://" in url else None
    if password:
        detail = detail.replace(password, "***")
    where = f"PostgreSQL at {label} (DATABASE_URL)"
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return DatabaseUnusableError(
            f"{where} refused the login ({detail}); check the user and password in DATABASE_URL", bad_setting=True
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return DatabaseUnusableError(
            f"{where}: the database does not exist ({detail}); create it (createdb) or fix its name in DATABASE_URL",
            bad_setting=True,
        )
    if isinstance(exc, ValueError):
        return DatabaseUnusableError(
            f"DATABASE_URL is not a usable PostgreSQL URL ({detail}); expected postgresql://USER:PASSWORD@HOST/DB",
            bad_setting=True,
        )
    if isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError | asyncpg.CannotConnectNowError):
        return DatabaseUnusableError(
            f"cannot reach {where} ({detail}); start the server, or fix the host and port in DATABASE_URL"
        )
    return DatabaseUnusableError(f"cannot use {where} ({detail}); check the server and DATABASE_URL")


# --------------------------------------------------------------------------------------------------------------------
# Migrations


async def _version(conn: PoolConnectionProxy[asyncpg.Record]) -> int:
    value = await conn.fetchval("SELECT version FROM schema_version")
    return int(value) if value is not None else 0


async def _locked_version(conn: PoolConnectionProxy[asyncpg.Record]) -> int:
    """Take the migration lock (until the transaction ends) and return the version, creating its table if needed."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
    await conn.execute(_SCHEMA_VERSION_TABLE)
    return await _version(conn)


async def _migrate(conn: PoolConnectionProxy[asyncpg.Record], migrations: tuple[Migration, ...], label: str) -> int:
    """Apply the pending migrations, each in its own transaction; return the resulting schema version."""
    latest = migrations[-1].version if migrations else 0
    async with conn.transaction():
        current = await _locked_version(conn)
    if current > latest:
        raise MigrationError(
            f"database {label} is at schema version {current}, newer than this code knows ({latest}); "
            "refusing to use it"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        try:
            async with conn.transaction():
                # Re-read under the lock: another process may have migrated since we looked.
                current = await _locked_version(conn)
                if migration.version > current:
                    for statement in migration.statements:
                        await conn.execute(statement)
                    await conn.execute(
                        "INSERT INTO schema_version (id, version) VALUES (TRUE, $1) "
                        "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                        migration.version,
                    )
        except asyncpg.PostgresError as exc:
            raise MigrationError(
                f"migration {migration.name} failed, database {label} left at version {current}: {exc}"
            ) from exc
        if migration.version > current:
            log.info("database %s migrated to version %d (%s)", label, migration.version, migration.name)
            current = migration.version
    return current
