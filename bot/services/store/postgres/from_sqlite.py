"""Copy a SQLite store into an empty PostgreSQL database: `copy_sqlite_to_postgres` (``python -m bot copy-store``).

What it does, in order:
1. Opens both stores as the bot does, which migrates each to its latest version (and refuses a damaged file, an
   unreachable server or a database newer than the code with the usual messages; a missing SQLite file is refused
   here, never created). Both must then be at the same schema version.
2. Compares the two schemas, table by table and column by column, from the databases themselves (``sqlite_master``
   and ``PRAGMA table_info`` against ``information_schema``): every SQLite table and column must exist in
   PostgreSQL, a PostgreSQL column the SQLite table lacks must be nullable or have a default (the outbox's
   ``claimed_until``: a copied pending row is unclaimed, so due at once), and every PostgreSQL column type must be
   one this module converts to. A table a future migration adds is copied without changes here.
3. In one PostgreSQL transaction: locks the tables against writers, refuses a target that holds any row (nothing is
   ever overwritten or merged), copies each table in foreign-key order with ``COPY`` (batches of `BATCH_ROWS`),
   advances every identity column's sequence past the copied ids (and past SQLite's ``sqlite_sequence``, which
   remembers the ids of deleted ``AUTOINCREMENT`` rows), then counts the rows of every table on both sides. Any
   failure, a count that differs included, rolls the whole copy back.

The SQLite side is read in one read transaction (one snapshot, even if a bot still writes to the file; stop it
first all the same, or its later writes are not copied). Values are converted by the PostgreSQL column type: ISO-8601
text to TIMESTAMPTZ, 0/1 to BOOLEAN, integers and reals as they are, and text made storable the way the PostgreSQL
store does it (NUL characters and lone surrogates become U+FFFD, counted in the report). JSON stays text, as in both
schemas. Messages name tables and columns, never a stored value, and show the URL without its password.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from bot.services.store.database import Database, DatabaseUnusableError, StoreError
from bot.services.store.postgres.database import PgConnection, PgDatabase, _storable

log = logging.getLogger(__name__)

BATCH_ROWS = 5000
# How long the copy waits for another process's lock on a target table (a bot already running on it).
LOCK_TIMEOUT = "15s"
_SKIPPED_PG_TABLES = frozenset({"schema_version"})  # the migrations' own bookkeeping, written by `PgDatabase.open`
_SEQUENCE_DEFAULT = re.compile(r"^nextval\(", re.IGNORECASE)


class CopyRefusedError(StoreError):
    """The copy did not start: the target already holds data, or the two schemas do not match. Nothing was written."""


class CopyFailedError(StoreError):
    """The copy started and failed (a value that does not convert, a constraint, a count that differs, a lost
    connection); its transaction was rolled back, so the target is as empty as before."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table copied: its name and its number of rows (the same on both sides: verified)."""

    name: str
    rows: int


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What `copy_sqlite_to_postgres` copied, table by table, in the order it copied them."""

    source: str  # the SQLite file
    target: str  # the PostgreSQL URL without its password
    schema_version: int
    tables: tuple[TableCopy, ...]
    replaced_text: int  # text values that held NUL characters or lone surrogates (stored with U+FFFD)

    @property
    def rows(self) -> int:
        """The number of rows copied over every table."""
        return sum(table.rows for table in self.tables)


# --------------------------------------------------------------------------------------------------------------------
# Conversions, by PostgreSQL column type: each takes a SQLite value (not None) and returns what asyncpg's COPY takes.


class _UnconvertibleError(ValueError):
    """A stored value is not of the kind its column holds; the message says what was expected (never the value)."""


def _integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _UnconvertibleError("an integer")


def _real(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise _UnconvertibleError("a number")


def _boolean(value: object) -> object:
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _UnconvertibleError("0 or 1")


def _timestamp(value: object) -> object:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _UnconvertibleError("an ISO-8601 timestamp") from None
        # The SQLite store writes UTC with its offset; a value without one is UTC too (the schema's convention).
        return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
    raise _UnconvertibleError("an ISO-8601 timestamp")


def _text(value: object) -> object:
    if isinstance(value, str):
        return _storable(value)
    raise _UnconvertibleError("text")


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "bigint": _integer,
    "integer": _integer,
    "smallint": _integer,
    "double precision": _real,
    "real": _real,
    "boolean": _boolean,
    "timestamp with time zone": _timestamp,
    "text": _text,
    "character varying": _text,
}


# --------------------------------------------------------------------------------------------------------------------
# The two schemas


@dataclass(frozen=True, slots=True)
class _PgColumn:
    name: str
    data_type: str
    optional: bool  # nullable, or filled by a default / an identity when not given
    generated: bool  # an identity column or a serial one: its sequence must pass the copied values


@dataclass(frozen=True, slots=True)
class _Plan:
    """One table to copy: its columns (SQLite's, which PostgreSQL also has), their converters, its sequences."""

    name: str
    columns: tuple[str, ...]
    converters: tuple[Callable[[object], object], ...]
    sequences: tuple[str, ...]  # generated columns among `columns`


_PG_COLUMNS = """
SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, c.data_type::text AS data_type,
    c.is_nullable = 'YES' OR c.column_default IS NOT NULL OR c.is_identity = 'YES' AS optional,
    c.is_identity = 'YES' AS identity, c.column_default::text AS column_default
FROM information_schema.columns AS c
JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name, c.ordinal_position
"""


def _quoted(name: str) -> str:
    """A SQL identifier, quoted (the names come from the databases' own catalogues)."""
    return '"' + name.replace('"', '""') + '"'


async def _sqlite_schema(conn: aiosqlite.Connection) -> tuple[list[str], dict[str, list[str]], dict[str, set[str]]]:
    """The SQLite store's tables (creation order), their columns, and the tables each one references."""
    rows = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
    )
    tables = [str(row[0]) for row in rows]
    columns: dict[str, list[str]] = {}
    references: dict[str, set[str]] = {}
    for table in tables:
        columns[table] = [str(row[1]) for row in await conn.execute_fetchall(f"PRAGMA table_info({_quoted(table)})")]
        found = await conn.execute_fetchall(f"PRAGMA foreign_key_list({_quoted(table)})")
        references[table] = {str(row[2]) for row in found} - {table}
    return tables, columns, references


async def _pg_schema(conn: PgConnection) -> dict[str, dict[str, _PgColumn]]:
    """The PostgreSQL store's tables and their columns (the migrations' bookkeeping left out)."""
    schema: dict[str, dict[str, _PgColumn]] = {}
    for row in await conn.fetch(_PG_COLUMNS):
        table = row["table_name"]
        if table in _SKIPPED_PG_TABLES:
            continue
        generated = bool(row["identity"]) or bool(_SEQUENCE_DEFAULT.match(row["column_default"] or ""))
        schema.setdefault(table, {})[row["column_name"]] = _PgColumn(
            row["column_name"], row["data_type"], bool(row["optional"]), generated
        )
    return schema


def _plans(
    tables: Sequence[str],
    columns: dict[str, list[str]],
    references: dict[str, set[str]],
    target: dict[str, dict[str, _PgColumn]],
) -> list[_Plan]:
    """What to copy, in an order where a referenced table comes first; `CopyRefusedError` when the schemas differ."""
    problems: list[str] = []
    plans: dict[str, _Plan] = {}
    for table in tables:
        pg_columns = target.get(table)
        if pg_columns is None:
            problems.append(f"table {table} has no PostgreSQL twin")
            continue
        missing = [name for name in columns[table] if name not in pg_columns]
        if missing:
            problems.append(f"{table} has no column {', '.join(missing)} in PostgreSQL")
        required = [c.name for c in pg_columns.values() if c.name not in columns[table] and not c.optional]
        if required:
            problems.append(f"{table}.{', '.join(required)} is NOT NULL in PostgreSQL, with no default or SQLite twin")
        unknown = [
            f"{table}.{c.name} ({c.data_type})"
            for c in pg_columns.values()
            if c.name in columns[table] and c.data_type not in _CONVERTERS
        ]
        if unknown:
            problems.append(f"no conversion to the PostgreSQL type of {', '.join(unknown)}")
        if missing or required or unknown:
            continue
        names = tuple(columns[table])
        plans[table] = _Plan(
            table,
            names,
            tuple(_CONVERTERS[pg_columns[name].data_type] for name in names),
            tuple(name for name in names if pg_columns[name].generated),
        )
    if problems:
        raise CopyRefusedError(
            "the SQLite and PostgreSQL schemas do not match (" + "; ".join(problems) + "); nothing was copied"
        )
    # Creation order, except that a table waits for the tables it references (a stable topological order).
    order: list[str] = []
    waiting = list(plans)
    while waiting:
        ready = next((t for t in waiting if references[t] & set(plans) <= set(order)), None)
        if ready is None:  # pragma: no cover - the bot's schema has no foreign-key cycle
            raise CopyRefusedError(f"the SQLite tables {', '.join(waiting)} reference each other in a cycle")
        order.append(ready)
        waiting.remove(ready)
    return [plans[table] for table in order]


# --------------------------------------------------------------------------------------------------------------------
# The copy


async def copy_sqlite_to_postgres(source: Path | str, url: str, *, batch_rows: int = BATCH_ROWS) -> CopyReport:
    """Copy every table of the SQLite store at `source` into the empty PostgreSQL database at `url`.

    Both are migrated to their latest version first. Raises `DatabaseUnusableError` when either cannot be used
    (`bad_setting` when the fix is another path or URL; a missing SQLite file included), `MigrationError` for a
    failed migration, `CopyRefusedError` when the target holds data or the schemas differ (nothing written) and
    `CopyFailedError` when the copy failed and was rolled back. No message shows a stored value or the password.
    """
    path = Path(source)
    if not await asyncio.to_thread(path.exists):
        raise DatabaseUnusableError(f"no SQLite database at {path}: nothing to copy", bad_setting=True)
    migrated = await Database.open(path)  # migrates (and refuses a damaged or unwritable file)
    version = migrated.schema_version
    await migrated.close()
    target = await PgDatabase.open(url, min_size=1, max_size=1)
    try:
        if target.schema_version != version:
            raise CopyRefusedError(
                f"the SQLite store {path} is at schema version {version} and PostgreSQL at {target.label} at "
                f"{target.schema_version}; this code's two sets of migrations disagree, nothing was copied"
            )
        reader = await aiosqlite.connect(path, isolation_level=None)
        try:
            # Text SQLite cannot decode (written by another program) becomes U+FFFD instead of stopping the copy.
            reader.text_factory = lambda raw: raw.decode("utf-8", "replace")
            await reader.execute("BEGIN")  # one read snapshot for the whole copy
            try:
                tables, replaced = await _copy(reader, target, batch_rows)
            finally:
                if reader.in_transaction:
                    await reader.execute("ROLLBACK")
        finally:
            await reader.close()
    finally:
        await target.close()
    report = CopyReport(str(path), target.label, version, tuple(tables), replaced)
    log.info("copied %d rows in %d tables from %s to %s", report.rows, len(tables), path, target.label)
    return report


async def _copy(reader: aiosqlite.Connection, target: PgDatabase, batch_rows: int) -> tuple[list[TableCopy], int]:
    """Copy the tables within one PostgreSQL transaction; return the tables copied and the text values replaced."""
    step = "reading the SQLite store"
    try:
        tables, columns, references = await _sqlite_schema(reader)
        source_counts = {t: await _sqlite_value(reader, f"SELECT count(*) FROM {_quoted(t)}") for t in tables}
        step = "preparing the copy"
        async with target.transaction() as conn:
            schema = await _pg_schema(conn)
            plans = _plans(tables, columns, references, schema)
            await _lock_empty(conn, sorted(schema), target.label)
            copied: list[TableCopy] = []
            replaced = 0
            for plan in plans:
                step = f"copying table {plan.name}"
                rows, changed = await _copy_table(reader, conn, plan, batch_rows)
                replaced += changed
                await _advance_sequences(reader, conn, plan)
                copied.append(TableCopy(plan.name, rows))
                log.info("copied %d rows of %s", rows, plan.name)
            step = "counting the rows copied"
            await _verify(conn, copied, source_counts)
            step = "committing"
    except asyncpg.LockNotAvailableError:
        raise CopyRefusedError(
            f"the tables of PostgreSQL at {target.label} are in use by another process (a bot already running on "
            "it?); stop it and copy into an empty database; nothing was copied"
        ) from None
    except (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise CopyFailedError(
            f"the copy into PostgreSQL at {target.label} failed while {step} and was rolled back, nothing was "
            f"written ({_described(exc)})"
        ) from None
    return copied, replaced


async def _lock_empty(conn: PgConnection, tables: list[str], label: str) -> None:
    """Keep writers off the target's tables until the copy commits, and refuse a target that holds any row."""
    await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    if tables:
        await conn.execute(f"LOCK TABLE {', '.join(map(_quoted, tables))} IN EXCLUSIVE MODE")
    holding = [t for t in tables if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_quoted(t)})")]
    if holding:
        raise CopyRefusedError(
            f"PostgreSQL at {label} already holds data (in {', '.join(holding)}); copy-store only fills an empty "
            "database, so nothing was copied: point it at a new database (createdb), or drop and recreate this one "
            "if its data is not needed"
        )


async def _copy_table(
    reader: aiosqlite.Connection, conn: PgConnection, plan: _Plan, batch_rows: int
) -> tuple[int, int]:
    """Copy one table in batches; return the rows copied and the text values that had to be made storable."""
    rows = replaced = 0
    select = f"SELECT {', '.join(map(_quoted, plan.columns))} FROM {_quoted(plan.name)}"
    pairs = tuple(zip(plan.columns, plan.converters, strict=True))
    async with reader.execute(select) as cursor:
        while batch := await cursor.fetchmany(batch_rows):
            records: list[tuple[Any, ...]] = []
            for row in batch:
                values: list[Any] = []
                for (name, convert), value in zip(pairs, row, strict=True):
                    if value is None:
                        values.append(None)
                        continue
                    try:
                        stored = convert(value)
                    except _UnconvertibleError as exc:
                        raise CopyFailedError(
                            f"{plan.name}.{name}: a stored value is not {exc} (it is a {type(value).__name__}); "
                            "the copy was rolled back, nothing was written"
                        ) from None
                    if isinstance(stored, str) and stored is not value:  # made storable
                        replaced += 1
                    values.append(stored)
                records.append(tuple(values))
            await conn.raw.copy_records_to_table(plan.name, records=records, columns=list(plan.columns))
            rows += len(records)
    return rows, replaced


async def _advance_sequences(reader: aiosqlite.Connection, conn: PgConnection, plan: _Plan) -> None:
    """Move each identity sequence of the table past the copied ids, so that new rows get higher ones."""
    if not plan.sequences:
        return
    autoincrement = 0  # SQLite's AUTOINCREMENT counter: above the highest id left when the last rows were deleted
    if await _sqlite_value(reader, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"):
        autoincrement = await _sqlite_value(reader, "SELECT max(seq) FROM sqlite_sequence WHERE name = ?", plan.name)
    for column in plan.sequences:
        highest = await conn.fetchval(f"SELECT max({_quoted(column)}) FROM {_quoted(plan.name)}")
        last = max(int(highest or 0), autoincrement)
        if last >= 1:
            await conn.fetchval("SELECT setval(pg_get_serial_sequence($1, $2), $3)", _quoted(plan.name), column, last)


async def _verify(conn: PgConnection, copied: list[TableCopy], source_counts: dict[str, int]) -> None:
    """Count every copied table in PostgreSQL (within the copy's transaction) against the SQLite count."""
    wrong: list[str] = []
    for table in copied:
        count = int(await conn.fetchval(f"SELECT count(*) FROM {_quoted(table.name)}"))
        if not count == table.rows == source_counts[table.name]:
            wrong.append(f"{table.name}: {source_counts[table.name]} in SQLite, {count} in PostgreSQL")
    if wrong:
        raise CopyFailedError(
            "the counts differ after copying (" + "; ".join(wrong) + "); the copy was rolled back, nothing was written"
        )


async def _sqlite_value(reader: aiosqlite.Connection, sql: str, *params: object) -> int:
    """The integer a one-value SQLite query returns (0 for NULL or no row)."""
    async with reader.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def _described(exc: BaseException) -> str:
    """What went wrong, without a stored value: PostgreSQL's primary message (its detail can quote the row), no
    detail at all for a value asyncpg could not encode (its message quotes the value)."""
    if isinstance(exc, asyncpg.PostgresError):
        text = str(getattr(exc, "message", "") or "")
    elif isinstance(exc, asyncpg.DataError):
        text = "a value does not fit its PostgreSQL column type"
    else:
        text = str(exc)
    return f"{type(exc).__name__}: {_one_line(text)}" if text else type(exc).__name__


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
