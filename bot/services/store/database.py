"""The SQLite database under the repositories: one aiosqlite connection, its lock, start-up checks and migrations.

How it works:
- One aiosqlite connection in autocommit mode (``isolation_level=None``): every write is one statement that is
  committed when it returns (WAL, ``synchronous=NORMAL``: a crash of the bot or of the OS process loses nothing
  committed; only a power cut can drop the last few commits, SQLite's recommended trade-off for WAL, which
  keeps a commit well under a millisecond instead of one fsync each). The few
  read-modify-write operations run inside an explicit ``BEGIN IMMEDIATE`` transaction (`Database.transaction`).
- An ``asyncio.Lock`` serialises the database's operations, whichever repository runs them. aiosqlite already runs
  statements one at a time, but a coroutine could otherwise run its statement in the middle of another coroutine's
  transaction on the shared connection (joining it, or seeing rows that are then rolled back).

Migrations: numbered files ``bot/services/migrations/NNNN_description.sql`` (versions 1..N, no gaps). The database's
version is ``PRAGMA user_version``. Each pending file runs in one transaction together with its
``PRAGMA user_version = N`` and a ``PRAGMA foreign_key_check``, so a failing file leaves the database exactly at the
previous version. Files must not contain transaction statements (BEGIN, COMMIT, ...). Migrations run with foreign
keys off (the SQLite procedure for table rebuilds: ``DROP TABLE`` would otherwise cascade); the foreign-key check
before the commit catches breakage, and foreign keys are switched on once the schema is current.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

log = logging.getLogger(__name__)

# The folder stays beside the services (pyproject's package-data points there), not inside this package.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5000

Params = Mapping[str, Any] | tuple[Any, ...]


class StoreError(Exception):
    """The store cannot do what was asked (closed, or the database is not usable)."""


class DatabaseUnusableError(StoreError):
    """The database file cannot be opened or used (bad path, permissions, full disk, damaged or not a database).

    The message names the file and what to do; `bad_setting` is True when the fix is another DATABASE_PATH (a
    directory, or a path below a file) rather than repairing the file or the disk.
    """

    def __init__(self, message: str, *, bad_setting: bool = False) -> None:
        super().__init__(message)
        self.bad_setting = bad_setting


class MigrationError(StoreError):
    """A migration file is malformed or failed; the database stays at its previous version."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered migration file, split into statements."""

    version: int
    name: str
    statements: tuple[str, ...] = field(repr=False)


# --------------------------------------------------------------------------------------------------------------------
# The database object the repositories share


class Database:
    """One aiosqlite connection and the lock that serialises its use; build it with ``await Database.open(path)``.

    Repositories hold the same `Database` and run their SQL through it: `write`, `read_one` and `read_all` take the
    lock for one statement; `transaction` holds it for a read-modify-write, whose body uses `run`, `one` and `all`.
    """

    def __init__(self, connection: aiosqlite.Connection, *, label: str, schema_version: int) -> None:
        self._conn: aiosqlite.Connection | None = connection
        self._lock = asyncio.Lock()
        self.label = label
        self.schema_version = schema_version

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | str | None = None) -> Database:
        """Open (creating if needed) the database at `path` or ``":memory:"``, and bring its schema up to date.

        Before migrating, ``PRAGMA quick_check`` refuses a database with damaged pages (it reads every page: about
        80 ms for 58 MB, 200,000 decisions), so that it fails here, once, rather than on some later message, and a
        rolled-back write finds a file or folder SQLite could only open read-only. A database that cannot be used
        (bad path, no permission, full disk, damaged, not a database) raises `DatabaseUnusableError`, whose message
        names the file and what to do.
        """
        target = str(path)
        migrations = await asyncio.to_thread(load_migrations, Path(migrations_dir or MIGRATIONS_DIR))
        try:
            return await cls._open(target, migrations)
        except (sqlite3.Error, OSError) as exc:
            raise _unusable(target, exc) from exc
        except MigrationError as exc:
            # A migration that failed because of the disk or the file, not because of its SQL.
            if isinstance(exc.__cause__, sqlite3.Error) and _error_code(exc.__cause__) in _ENVIRONMENT_ERRORS:
                raise _unusable(target, exc.__cause__) from exc
            raise

    @classmethod
    async def _open(cls, target: str, migrations: tuple[Migration, ...]) -> Database:
        if target != MEMORY:
            await asyncio.to_thread(_prepare_path, Path(target))
        conn = await aiosqlite.connect(target, isolation_level=None)  # autocommit: transactions are explicit
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            mode = str(row[0]) if row else "?"
            if mode != "wal" and target != MEMORY:
                log.warning("database %s: journal mode is %s, not WAL", target, mode)
            await conn.execute("PRAGMA synchronous = NORMAL")
            if target != MEMORY:
                await _quick_check(conn, target)
                await _write_probe(conn)
            await conn.execute("PRAGMA foreign_keys = OFF")  # during migrations only (see the module docstring)
            version = await _migrate(conn, migrations, target)
            await conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            await conn.close()
            raise
        log.info("database %s open at schema version %d", target, version)
        return cls(conn, label=target, schema_version=version)

    async def close(self) -> None:
        """Close the connection; further calls raise `StoreError`. Closing twice is allowed."""
        if self._conn is None:
            return
        async with self._lock:  # waits for a running operation or transaction to finish
            conn, self._conn = self._conn, None
            if conn is None:
                return
            await conn.close()
        log.info("database %s closed", self.label)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        """The open connection; `StoreError` once closed. Use it only with the lock held (inside `transaction`)."""
        if self._conn is None:
            raise StoreError(f"store {self.label} is closed")
        return self._conn

    # One thread hop per statement: aiosqlite runs each call on its worker thread, and a cursor's execute, fetch
    # and close would be three hops (most of the cost of a small query under load).
    async def run(self, sql: str, params: Params = ()) -> int:
        """Execute one statement (lock held by the caller); return the number of rows changed."""
        cursor = await self.connection.execute(sql, _storable(params))
        return cursor.rowcount

    async def one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Return the first row of a query, or None (lock held by the caller)."""
        rows = await self.connection.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Return every row of a query (lock held by the caller)."""
        return list(await self.connection.execute_fetchall(sql, params))

    async def write(self, sql: str, params: Params = ()) -> int:
        """Execute and commit one statement; return the number of rows changed."""
        async with self._lock:
            return await self.run(sql, params)

    async def read_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """Return the first row of a query, or None."""
        async with self._lock:
            return await self.one(sql, params)

    async def read_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Return every row of a query."""
        async with self._lock:
            return await self.all(sql, params)

    async def probe_write(self) -> None:
        """Check that the database still takes a write (the health endpoint): open a write transaction, rewrite one
        header field and roll it back. Raises `StoreError` once closed, `sqlite3.Error` when it cannot write.

        The lock is held for those few statements only; the caller must not cancel this call midway (a cancelled
        await would leave the rollback to run after the next operation), so it waits through a shield.
        """
        async with self._lock:
            await _write_probe(self.connection)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Hold the lock and run the body in one write transaction, rolled back if the body fails."""
        async with self._lock:
            db = self.connection
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield
                await db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                raise


# --------------------------------------------------------------------------------------------------------------------
# Migrations

_MIGRATION_FILE = re.compile(r"^(\d+)_[A-Za-z0-9_-]+\.sql$")
_LEADING_NOISE = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_TRANSACTION_KEYWORDS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def split_sql(script: str) -> list[str]:
    """Split a SQL script into complete statements (semicolons in strings, comments and triggers are kept)."""
    statements: list[str] = []
    buffer = ""
    *pieces, tail = script.split(";")
    for piece in pieces:
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _COMMENTS.sub("", buffer).strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if _COMMENTS.sub("", buffer + tail).strip():
        raise MigrationError("unterminated SQL statement at the end of the script (missing ';'?)")
    return statements


def load_migrations(directory: Path) -> tuple[Migration, ...]:
    """Read the numbered ``.sql`` files of `directory`; their versions must run 1..N without gaps."""
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} already used by {found[version].name}")
        try:
            statements = split_sql(path.read_text(encoding="utf-8"))
        except MigrationError as exc:
            raise MigrationError(f"{path.name}: {exc}") from None
        for statement in statements:
            keyword = _LEADING_NOISE.sub("", statement).split(None, 1)[0].rstrip(";").upper()
            if keyword in _TRANSACTION_KEYWORDS:
                raise MigrationError(f"{path.name}: {keyword} is not allowed, each file already runs in a transaction")
        found[version] = Migration(version=version, name=path.name, statements=tuple(statements))
    versions = sorted(found)
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration versions in {directory} must be 1..N without gaps, got {versions}")
    return tuple(found[v] for v in versions)


# --------------------------------------------------------------------------------------------------------------------
# Start-up checks: one clear message per way a database file can be unusable


_ENVIRONMENT_ERRORS = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_NOTADB,
    }
)
_QUICK_CHECK_MAX_PROBLEMS = 3


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable_text(value: Any) -> Any:
    """A string SQLite can store: lone surrogates (a JSON `"\\ud800"` in a message) become U+FFFD."""
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _LONE_SURROGATE.sub("\ufffd", value)
    return value


def _storable(params: Mapping[str, Any] | tuple[Any, ...]) -> Mapping[str, Any] | tuple[Any, ...]:
    if isinstance(params, Mapping):
        return {k: _storable_text(v) for k, v in params.items()}
    return tuple(_storable_text(v) for v in params)


def _error_code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error (None when SQLite gave none)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _prepare_path(path: Path) -> None:
    """Refuse a path that cannot name a database file; create its folder if needed."""
    if path.is_dir():
        raise DatabaseUnusableError(
            f"database path {path} is a directory, not a file; set DATABASE_PATH to a file such as "
            f"{path / 'bot.sqlite3'}",
            bad_setting=True,
        )
    for ancestor in path.parents:
        if ancestor.exists() or ancestor.is_symlink():
            if not ancestor.is_dir():
                raise DatabaseUnusableError(
                    f"cannot create database {path}: {ancestor} is a file, not a folder; "
                    "set DATABASE_PATH to a path inside a folder",
                    bad_setting=True,
                )
            break
    path.parent.mkdir(parents=True, exist_ok=True)


async def _quick_check(conn: aiosqlite.Connection, label: str) -> None:
    """Run ``PRAGMA quick_check``: refuse a database with damaged pages now rather than on some later message."""
    try:
        rows = await conn.execute_fetchall(f"PRAGMA quick_check({_QUICK_CHECK_MAX_PROBLEMS:d})")
    except sqlite3.DatabaseError as exc:
        if _error_code(exc) != sqlite3.SQLITE_CORRUPT:
            raise
        problems = [str(exc)]
    else:
        problems = [str(row[0]) for row in rows if str(row[0]) != "ok"]
        # The first row may start with "*** in database main ***" and hold several problems, one a line.
        lines = [line for problem in problems for line in problem.splitlines() if line.strip()]
        problems = [line for line in lines if not line.startswith("***")] or problems
    if problems:
        raise DatabaseUnusableError(_damaged(label, problems[0]))


async def _write_probe(conn: aiosqlite.Connection) -> None:
    """Write a page and roll it back: SQLite opens a file it cannot write read-only without a word, and only the
    first write would fail (a read-only file or folder); find out now."""
    version = await _user_version(conn)
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute(f"PRAGMA user_version = {version:d}")
    finally:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")


def _damaged(label: str, problem: str) -> str:
    return (
        f"database {label} is damaged (quick_check: {_one_line(problem)}); "
        "restore a backup or move it away to start fresh"
    )


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unusable(target: str, exc: sqlite3.Error | OSError) -> DatabaseUnusableError:
    """Translate an error met while opening the database into a message naming the file and what to do."""
    path = Path(target)
    folder = path.parent
    detail = _one_line(str(exc) if isinstance(exc, sqlite3.Error) else (exc.strerror or str(exc)))
    elsewhere = "or set DATABASE_PATH to a writable place"
    if isinstance(exc, OSError):  # creating the folder
        if exc.errno == errno.ENOSPC:
            return DatabaseUnusableError(f"cannot create the folder of database {target}: the disk is full; free space")
        if exc.errno == errno.EROFS:
            return DatabaseUnusableError(
                f"cannot create folder {folder} for database {target}: read-only file system; {elsewhere}"
            )
        if isinstance(exc, PermissionError):
            return DatabaseUnusableError(
                f"cannot create folder {folder} for database {target} (permission denied); create it for the bot's "
                f"user {elsewhere}"
            )
        if isinstance(exc, FileExistsError | NotADirectoryError):
            return DatabaseUnusableError(
                f"cannot create database {target}: part of its folder is a file ({detail}); "
                "set DATABASE_PATH to a path inside a folder",
                bad_setting=True,
            )
        return DatabaseUnusableError(
            f"cannot create folder {folder} for database {target} ({detail}); check the path {elsewhere}"
        )
    code = _error_code(exc)
    if code == sqlite3.SQLITE_NOTADB:
        return DatabaseUnusableError(
            f"{target} is not a SQLite database ({detail}); move it away to start fresh, "
            "or set DATABASE_PATH to the bot's database file"
        )
    if code == sqlite3.SQLITE_CORRUPT:
        return DatabaseUnusableError(_damaged(target, detail))
    if code == sqlite3.SQLITE_FULL:
        return DatabaseUnusableError(
            f"cannot write database {target}: the disk is full ({detail}); free space on it "
            "or set DATABASE_PATH to another disk"
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            where = f"the file {target} is not readable and writable by the bot's user"
        elif not os.access(folder, os.W_OK | os.X_OK):
            where = f"the folder {folder} is not writable by the bot's user"
        elif _read_only_fs(folder):
            where = f"{folder} is on a read-only file system"
        else:
            where = "check that the file and its folder are writable by the bot's user"
        return DatabaseUnusableError(
            f"cannot open database {target} for writing ({detail}): {where}; fix the permissions {elsewhere}"
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseUnusableError(
            f"database {target} is locked by another process ({detail}); stop the other bot instance "
            "or give this one its own DATABASE_PATH"
        )
    if code == sqlite3.SQLITE_IOERR:
        return DatabaseUnusableError(
            f"cannot read or write database {target} ({detail}); check the disk (free space, errors) "
            "and the file's permissions"
        )
    return DatabaseUnusableError(f"cannot open database {target} ({detail}); check DATABASE_PATH and the file")


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


async def _user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _migrate(conn: aiosqlite.Connection, migrations: tuple[Migration, ...], label: str) -> int:
    """Apply the pending migrations, each in its own transaction; return the resulting schema version."""
    latest = migrations[-1].version if migrations else 0
    current = await _user_version(conn)
    if current > latest:
        raise MigrationError(
            f"database {label} is at schema version {current}, newer than this code knows ({latest}); "
            "refusing to use it"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated since we looked.
            current = await _user_version(conn)
            if migration.version > current:
                for statement in migration.statements:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {migration.version:d}")
                async with conn.execute("PRAGMA foreign_key_check") as cursor:
                    broken = list(await cursor.fetchall())
                if broken:
                    raise MigrationError(
                        f"leaves {len(broken)} row(s) violating foreign keys (first: {tuple(broken[0])})"
                    )
            await conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error | MigrationError):
                raise MigrationError(
                    f"migration {migration.name} failed, database {label} left at version {current}: {exc}"
                ) from exc
            raise
        if migration.version > current:
            log.info("database %s migrated to version %d (%s)", label, migration.version, migration.name)
            current = migration.version
    return current
