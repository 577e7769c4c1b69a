"""SQLite storage of the sandbox (stdlib ``sqlite3``; one connection guarded by a lock, used from worker threads).

Every method is synchronous and atomic (one lock, one transaction): the aiohttp handlers call them through
``asyncio.to_thread``, tests may call them directly. Times are Unix seconds (floats) given by the caller's clock.
"""

from __future__ import annotations

import hmac
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .demo import DEMO_ACCOUNTS, DEMO_ORGS

CODE_TTL = 10 * 60
MAX_ATTEMPTS = 5
RATE_LIMIT = 5
RATE_WINDOW = 60 * 60
FIRST_TICKET_NUMBER = 1001
TICKET_URL = "https://support.sandbox.local/tickets/{ticket_id}"

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS organizations (
    org_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    subscription_status TEXT NOT NULL,
    addons TEXT NOT NULL,            -- JSON list
    over_quota INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS apps (
    app_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(org_id),
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS org_members (
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    org_id TEXT NOT NULL REFERENCES organizations(org_id),
    role TEXT,                       -- NULL: no organisation-level role
    PRIMARY KEY (account_id, org_id)
);
CREATE TABLE IF NOT EXISTS app_members (
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    app_id TEXT NOT NULL REFERENCES apps(app_id),
    role TEXT NOT NULL,
    PRIMARY KEY (account_id, app_id)
);
CREATE TABLE IF NOT EXISTS verifications (
    verification_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    discord_user_id TEXT NOT NULL,
    account_id TEXT,                 -- NULL: unknown e-mail, every code is invalid
    code TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    confirmed_at REAL
);
CREATE INDEX IF NOT EXISTS verifications_email ON verifications (email, created_at);
CREATE INDEX IF NOT EXISTS verifications_discord ON verifications (discord_user_id, created_at);
CREATE TABLE IF NOT EXISTS tickets (
    number INTEGER PRIMARY KEY,
    ticket_id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    request TEXT NOT NULL,           -- canonical JSON of the normalised request
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class StoredTicket:
    """A ticket as the sandbox keeps it; ``request`` is the (normalised) TicketRequest it was created from."""

    ticket_id: str
    status: str
    url: str
    created_at: float
    updated_at: float
    idempotency_key: str
    request: dict[str, Any]


@dataclass(frozen=True)
class NewVerification:
    verification_id: str
    expires_at: float
    code: str | None  # None: unknown e-mail, nothing is sent


class RateLimitedError(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class ConflictError(Exception):
    pass


class NotFoundError(Exception):
    pass


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class SandboxStore:
    def __init__(self, path: str | Path) -> None:
        path = str(path)
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        with self._transaction() as conn:
            conn.executescript(SCHEMA)
            self._seed(conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    @staticmethod
    def _seed(conn: sqlite3.Connection) -> None:
        """Insert the demo data that is missing (a persistent database keeps its changes)."""
        for org in DEMO_ORGS:
            conn.execute(
                "INSERT OR IGNORE INTO organizations VALUES (?, ?, ?, ?, ?, ?)",
                (org.org_id, org.name, org.plan, org.subscription_status, json.dumps(list(org.addons)), org.over_quota),
            )
            conn.execute("INSERT OR IGNORE INTO apps VALUES (?, ?, ?)", (org.app_id, org.org_id, org.app_name))
        apps = {org.org_id: org.app_id for org in DEMO_ORGS}
        for account in DEMO_ACCOUNTS:
            conn.execute("INSERT OR IGNORE INTO accounts VALUES (?, ?)", (account.account_id, account.email))
            for membership in account.memberships:
                conn.execute(
                    "INSERT OR IGNORE INTO org_members VALUES (?, ?, ?)",
                    (account.account_id, membership.org_id, membership.org_role),
                )
                if membership.app_role is not None:
                    conn.execute(
                        "INSERT OR IGNORE INTO app_members VALUES (?, ?, ?)",
                        (account.account_id, apps[membership.org_id], membership.app_role),
                    )

    # Accounts

    def account(self, account_id: str) -> dict[str, Any] | None:
        """The Account resource of the contract, or None."""
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone() is None:
                return None
            organizations = []
            orgs = conn.execute(
                "SELECT o.*, m.role FROM org_members m JOIN organizations o USING (org_id)"
                " WHERE m.account_id = ? ORDER BY m.rowid",
                (account_id,),
            ).fetchall()
            for org in orgs:
                apps = conn.execute(
                    "SELECT a.app_id, a.name, am.role FROM apps a"
                    " LEFT JOIN app_members am ON am.app_id = a.app_id AND am.account_id = ?"
                    " WHERE a.org_id = ? ORDER BY a.app_id",
                    (account_id, org["org_id"]),
                ).fetchall()
                organizations.append(
                    {
                        "org_id": org["org_id"],
                        "name": org["name"],
                        "plan": org["plan"],
                        "subscription_status": org["subscription_status"],
                        "addons": json.loads(org["addons"]),
                        "over_quota": bool(org["over_quota"]),
                        "role": org["role"],
                        "apps": [{"app_id": app["app_id"], "name": app["name"], "role": app["role"]} for app in apps],
                    }
                )
        return {"account_id": account_id, "organizations": organizations}

    def account_id_for_email(self, email: str) -> str | None:
        with self._transaction() as conn:
            row = conn.execute("SELECT account_id FROM accounts WHERE email = ?", (email.strip().lower(),)).fetchone()
        return None if row is None else row["account_id"]

    # Verifications

    def create_verification(
        self, verification_id: str, email: str, discord_user_id: str, now: float, make_code: Callable[[], str]
    ) -> NewVerification:
        """Record a verification (raises RateLimitedError: 5 per hour per e-mail and per Discord user)."""
        since = now - RATE_WINDOW
        with self._transaction() as conn:
            retry_after = 0.0
            for column, value in (("email", email), ("discord_user_id", discord_user_id)):
                rows = conn.execute(
                    f"SELECT created_at FROM verifications WHERE {column} = ? AND created_at > ? ORDER BY created_at",
                    (value, since),
                ).fetchall()
                if len(rows) >= RATE_LIMIT:
                    retry_after = max(retry_after, rows[-RATE_LIMIT]["created_at"] + RATE_WINDOW - now)
            if retry_after:
                raise RateLimitedError(retry_after)
            row = conn.execute("SELECT account_id FROM accounts WHERE email = ?", (email,)).fetchone()
            account_id = None if row is None else row["account_id"]
            code = make_code() if account_id is not None else None
            conn.execute(
                "INSERT INTO verifications (verification_id, email, discord_user_id, account_id, code, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (verification_id, email, discord_user_id, account_id, code, now, now + CODE_TTL),
            )
        return NewVerification(verification_id, now + CODE_TTL, code)

    def confirm_verification(self, verification_id: str, code: str, now: float) -> str | None:
        """The account id if ``code`` is right (again: confirming twice is a safe retry), else None.

        Raises NotFoundError (no such verification) and RateLimitedError (burnt: 5 wrong codes, the 5th included).
        """
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM verifications WHERE verification_id = ?", (verification_id,)).fetchone()
            if row is None:
                raise NotFoundError(verification_id)
            if row["attempts"] >= MAX_ATTEMPTS:
                raise RateLimitedError(max(0.0, row["expires_at"] - now))
            expected = row["code"]
            if expected is not None and now < row["expires_at"] and hmac.compare_digest(expected, code):
                conn.execute(
                    "UPDATE verifications SET confirmed_at = coalesce(confirmed_at, ?) WHERE verification_id = ?",
                    (now, verification_id),
                )
                return row["account_id"]
            attempts = row["attempts"] + 1
            conn.execute("UPDATE verifications SET attempts = ? WHERE verification_id = ?", (attempts, verification_id))
        if attempts >= MAX_ATTEMPTS:
            raise RateLimitedError(max(0.0, row["expires_at"] - now))
        return None

    # Tickets

    def create_ticket(self, idempotency_key: str, request: dict[str, Any], now: float) -> tuple[StoredTicket, bool]:
        """(ticket, created). Same key + same request: the existing ticket, created False.

        Raises ConflictError (same key, another request) and NotFoundError (account, organisation or app: the
        message says which).
        """
        body = canonical_json(request)
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM tickets WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is not None:
                if row["request"] != body:
                    raise ConflictError(idempotency_key)
                return self._ticket(row), False
            account_id, org_id, app_id = request["account_id"], request["org_id"], request["app_id"]
            if conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone() is None:
                raise NotFoundError(f"account {account_id} not found")
            member = conn.execute(
                "SELECT 1 FROM org_members WHERE account_id = ? AND org_id = ?", (account_id, org_id)
            ).fetchone()
            if member is None:
                raise NotFoundError(f"organization {org_id} not found for account {account_id}")
            if app_id is not None:
                app = conn.execute("SELECT 1 FROM apps WHERE app_id = ? AND org_id = ?", (app_id, org_id)).fetchone()
                if app is None:
                    raise NotFoundError(f"app {app_id} not found in organization {org_id}")
            number = conn.execute("SELECT coalesce(max(number), ?) + 1 FROM tickets", (FIRST_TICKET_NUMBER - 1,))
            number = number.fetchone()[0]
            ticket_id = f"T-{number}"
            conn.execute(
                "INSERT INTO tickets VALUES (?, ?, ?, ?, 'open', ?, ?)",
                (number, ticket_id, idempotency_key, body, now, now),
            )
            row = conn.execute("SELECT * FROM tickets WHERE number = ?", (number,)).fetchone()
            return self._ticket(row), True

    def ticket(self, ticket_id: str) -> StoredTicket | None:
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM tickets WHERE ticket_id = ?", (ticket_id,)).fetchone()
        return None if row is None else self._ticket(row)

    def tickets(self) -> list[StoredTicket]:
        with self._transaction() as conn:
            rows = conn.execute("SELECT * FROM tickets ORDER BY number").fetchall()
        return [self._ticket(row) for row in rows]

    def set_ticket_status(self, ticket_id: str, status: str, now: float) -> StoredTicket:
        with self._transaction() as conn:
            updated = conn.execute(
                "UPDATE tickets SET status = ?, updated_at = ? WHERE ticket_id = ?", (status, now, ticket_id)
            )
            if updated.rowcount == 0:
                raise NotFoundError(f"ticket {ticket_id} not found")
            row = conn.execute("SELECT * FROM tickets WHERE ticket_id = ?", (ticket_id,)).fetchone()
        return self._ticket(row)

    @staticmethod
    def _ticket(row: sqlite3.Row) -> StoredTicket:
        return StoredTicket(
            ticket_id=row["ticket_id"],
            status=row["status"],
            url=TICKET_URL.format(ticket_id=row["ticket_id"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            idempotency_key=row["idempotency_key"],
            request=json.loads(row["request"]),
        )
