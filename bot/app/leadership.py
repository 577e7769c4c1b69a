"""Leader election among the bot processes sharing one database: one of them runs a periodic job, the others follow.

Used for the status-page polling: every process could fetch the page, but one records the incidents it reports (the
notices about them are not the leader's: every process claims and posts those of the guilds it has, see
`bot/exts/status.py`). The election is the store's: on PostgreSQL a session advisory lock held on a connection
of its own (`PgDatabase.try_lead`), so a leader that dies or closes frees it and the next `acquire` of another process
wins; on SQLite the one process always leads. `acquire` is called again before each run of the job, so a follower
takes over within one interval and a leader notices a lost connection.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)

STATUS_LEADERSHIP = "status-page"


class LeaderLock(Protocol):
    """What the store offers (`SqliteStore`, `PostgresStore`)."""

    async def try_lead(self, name: str) -> bool:
        """True when this process leads `name` (now, or already)."""
        ...

    async def release_lead(self, name: str) -> None:
        """Give up `name` if held."""
        ...


class _Alone:
    """The lock of a process with nobody to share with: always the leader (tests, the console)."""

    async def try_lead(self, name: str) -> bool:
        return True

    async def release_lead(self, name: str) -> None:
        return None


class Leadership:
    """The leadership of one job (`name`) for this process; `is_leader` is the result of the last `acquire`."""

    def __init__(self, lock: LeaderLock | None = None, name: str = STATUS_LEADERSHIP) -> None:
        self._lock: LeaderLock = lock if lock is not None else _Alone()
        self.name = name
        self.is_leader = False

    async def acquire(self) -> bool:
        """Become or stay the leader if possible; False (follow) when another process leads or the database fails."""
        try:
            leading = await self._lock.try_lead(self.name)
        except Exception:  # a database error must not stop the job's loop: follow until the next try
            log.warning("could not check the %s leadership; following for now", self.name, exc_info=True)
            leading = False
        if leading != self.is_leader:
            log.info("%s the leader of %s", "became" if leading else "no longer", self.name)
        self.is_leader = leading
        return leading

    async def release(self) -> None:
        """Give up the leadership (at shutdown), so another process takes over without waiting."""
        if not self.is_leader:
            return
        self.is_leader = False
        try:
            await self._lock.release_lead(self.name)
        except Exception:
            log.warning("could not give up the %s leadership (freed when the connection closes)", self.name)
