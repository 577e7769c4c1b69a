"""Store faults in other processes: a writer killed with SIGKILL mid-write, and a real full file system.

    python -m tests.store_faults write DB START   # rows START, START+1, ... forever; prints each id once committed
    python -m tests.store_faults disk-full DIR    # fills the (small) file system holding DIR; prints a JSON report

`kill_cycles(db, cycles)` runs the writer and SIGKILLs it at a random moment, `cycles` times, then checks the file
(`check_database`): it opens through `SqliteStore.open` (quick_check, WAL recovered, write probe), passes
`PRAGMA integrity_check`, and holds every acknowledged row, each complete and once. `disk_full(size)` runs the
disk-full scenario in a private mount namespace (`unshare -rm`, no privilege needed) on a tmpfs of `size` bytes.
Used by tests/services/test_store_faults.py and bench/faults.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.services.store import BotReply, DecisionRecord, SqliteStore

ROOT = Path(__file__).resolve().parent.parent
GUILD = 100
REPLY_BASE = 10**12
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def reason(i: int) -> str:
    """Reason text of decision `i`: 60 to 12,000 characters (large ones span several overflow pages)."""
    size = random.Random(i).choice([60, 400, 3_000, 12_000])
    return f"reason {i} " + "".join(chr(0x61 + (i + k) % 26) for k in range(size)) + f" end {i}"


def question(i: int) -> str:
    return f"question {i} about rolling back a bundle"


def decision(i: int) -> DecisionRecord:
    return DecisionRecord(
        message_id=i, guild_id=GUILD, channel_id=200, author_id=300 + i % 7, action="answer", rule="answer.confident",
        reason=reason(i), lang="en", intent="question", top_url=f"https://example.com/{i}", top_title=f"page {i}",
        confidence=0.5, created_at=NOW,
    )  # fmt: skip


def reply(i: int) -> BotReply:
    return BotReply(
        reply_message_id=REPLY_BASE + i, guild_id=GUILD, channel_id=200, thread_id=None, source_message_id=i,
        author_id=300 + i % 7, kind="answer", url=f"https://example.com/{i}", entry_id=None, confidence=0.5,
        lang="en", created_at=NOW,
    )  # fmt: skip


async def write_forever(db: Path, start: int) -> None:
    """Per id: a decision, a reply, the reply updated in a transaction, a gap; the id is printed once all are in."""
    store = await SqliteStore.open(db)
    i = start
    while True:
        await store.replies.record_decision(decision(i))
        await store.replies.record_reply(reply(i))
        await store.replies.update_reply(REPLY_BASE + i, url=f"https://example.com/{i}/v2", missing=("steps",))
        await store.replies.record_gap(GUILD, question(i), NOW, "unanswered")
        sys.stdout.write(f"{i}\n")
        sys.stdout.flush()
        i += 1


@dataclass
class CheckResult:
    opened: bool = False  # SqliteStore.open accepted it (quick_check, write probe, migrations)
    integrity: str = ""
    decisions: int = 0
    lost: int = 0  # acknowledged ids without all their rows
    duplicated: int = 0  # ids with more than one row in a table
    incomplete: int = 0  # rows whose content is not what was written (torn, merged, wrong)
    partial_tail: int = 0  # the id in flight at the kill: some of its rows only (allowed: never acknowledged)
    problems: list[str] | None = None

    @property
    def ok(self) -> bool:
        return self.opened and self.integrity == "ok" and not (self.lost or self.duplicated or self.incomplete)


def check_database(db: Path, acknowledged: set[int], kills: int = 1) -> CheckResult:
    """Check the database after `kills` kills; `acknowledged`: the ids the writers reported committed. Each kill may
    leave the one id in flight partly written (never acknowledged: the bot would triage that message again)."""
    result = CheckResult(problems=[])

    async def reopen() -> None:
        store = await SqliteStore.open(db)
        await store.close()

    try:
        asyncio.run(reopen())
        result.opened = True
    except Exception as exc:  # reported: the test fails on it
        result.problems.append(f"open: {exc!r}")
    conn = sqlite3.connect(db)
    try:
        result.integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        decisions = dict(conn.execute("SELECT message_id, reason FROM decision WHERE guild_id = ?", (GUILD,)))
        replies = conn.execute("SELECT source_message_id, url, missing FROM bot_reply WHERE guild_id = ?", (GUILD,))
        gaps = conn.execute("SELECT question FROM gap WHERE guild_id = ?", (GUILD,)).fetchall()
        reply_rows: dict[int, list[tuple[str, str]]] = {}
        for source, url, missing in replies:
            reply_rows.setdefault(source, []).append((url, missing))
        gap_count: dict[str, int] = {}
        for (q,) in gaps:
            gap_count[q] = gap_count.get(q, 0) + 1
    finally:
        conn.close()
    result.decisions = len(decisions)
    top = max([*decisions, *reply_rows, -1]) + 1
    for i in range(max(top, max(acknowledged, default=-1) + 1)):
        has = (i in decisions, i in reply_rows, gap_count.get(question(i), 0) > 0)
        if i in acknowledged and not all(has):
            result.lost += 1
            result.problems.append(f"id {i} acknowledged but rows missing: {has}")
        elif i not in acknowledged and any(has) and not all(has):
            result.partial_tail += 1
        if i in decisions and decisions[i] != reason(i):
            result.incomplete += 1
            result.problems.append(f"decision {i}: reason of {len(decisions[i])} chars is not the one written")
        rows = reply_rows.get(i, [])
        if len(rows) > 1 or gap_count.get(question(i), 0) > 1:
            result.duplicated += 1
            result.problems.append(f"id {i}: {len(rows)} replies, {gap_count.get(question(i))} gaps")
        for url, missing in rows:
            v1 = (url, missing) == (f"https://example.com/{i}", "[]")
            v2 = (url, missing) == (f"https://example.com/{i}/v2", '["steps"]')
            if not (v2 or (v1 and i not in acknowledged)):  # the update is one transaction: both columns or neither
                result.incomplete += 1
                result.problems.append(f"reply {i}: url {url!r} with missing {missing!r}")
    if result.partial_tail > kills:
        result.incomplete += 1
        result.problems.append(f"{result.partial_tail} ids partly written after {kills} kill(s) (one each at most)")
    return result


def kill_cycles(db: Path, cycles: int, *, seed: int = 0, min_rows: int = 5, max_rows: int = 60) -> list[CheckResult]:
    """Run the writer and SIGKILL it after a random number of acknowledged ids plus a random delay, `cycles` times;
    check the database after each kill (the next writer goes on from the last id found)."""
    rng = random.Random(seed)
    results, start, done = [], 0, set()
    for cycle in range(cycles):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store_faults", "write", str(db), str(start)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        target, acknowledged = rng.randint(min_rows, max_rows), start
        try:
            while acknowledged - start < target:
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"writer ended early: {proc.stderr.read() if proc.stderr else ''}")
                done.add(int(line))
                acknowledged = int(line) + 1
            time.sleep(rng.random() * 0.01)  # land somewhere inside the next writes
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
            if proc.stderr:
                proc.stderr.close()
        # Ids the writer printed after our last read are complete too, but not counted as acknowledged.
        result = check_database(db, done, kills=cycle + 1)
        results.append(result)
        start = max(acknowledged, _next_id(db))
    return results


def _next_id(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT max(message_id) FROM decision").fetchone()[0] or -1) + 1
    finally:
        conn.close()


# -- disk full ---------------------------------------------------------------------------------------------------------


def unshare_available(tmp: Path) -> str | None:
    """None if a private tmpfs can be mounted on `tmp` (a folder) without privileges, else why not."""
    if sys.platform != "linux":
        return "needs Linux mount namespaces"
    if shutil.which("unshare") is None:
        return "the unshare command (util-linux) is not installed"
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp}"],
        capture_output=True, text=True, check=False, timeout=10,
    )  # fmt: skip
    if probe.returncode != 0:
        return f"cannot mount a private tmpfs (unprivileged user namespaces disabled?): {probe.stderr.strip()[:200]}"
    return None


def disk_full(size: int = 2 * 1024 * 1024, *, tmp: Path) -> dict:
    """Run the disk-full scenario on a private tmpfs of `size` bytes mounted over `tmp` (an empty folder)."""
    script = f"mount -t tmpfs -o size={size} tmpfs {tmp} && exec {sys.executable} -m tests.store_faults disk-full {tmp}"
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"disk-full scenario failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


async def _disk_full_scenario(folder: Path) -> dict:
    """Fill the file system while writing; then: the error, the rows, a restart on the full disk, and recovery."""
    from bot.services.store import DatabaseUnusableError

    report: dict = {}
    db = folder / "bot.sqlite3"
    store = await SqliteStore.open(db)
    acknowledged, error = 0, None
    ballast = folder / "ballast"
    with ballast.open("wb") as f:  # leave ~200 KB free so the database hits the wall soon
        free = shutil.disk_usage(folder).free
        f.write(b"\0" * max(0, free - 200_000))
    try:
        for i in range(100_000):
            await store.replies.record_decision(decision(i))
            acknowledged = i + 1
    except Exception as exc:  # the point is which error it is
        error = exc
    report["acknowledged"] = acknowledged
    report["error"] = f"{type(error).__name__}: {error}" if error else None
    report["error_code"] = getattr(error, "sqlite_errorcode", None)
    # Still readable while full: the rows written so far are there.
    report["readable"] = (await store.replies.get_decision(0)) is not None if acknowledged else None
    await store.close()
    # A restart on the full disk: one clear error or a clean open (WAL and probe may still fit).
    try:
        reopened = await SqliteStore.open(db)
        await reopened.close()
        report["restart_on_full_disk"] = "opened"
    except DatabaseUnusableError as exc:
        report["restart_on_full_disk"] = f"refused: {exc}"
    # Space freed: the writes go on, and everything acknowledged is there, complete.
    ballast.unlink()
    store = await SqliteStore.open(db)
    await store.replies.record_decision(decision(acknowledged))
    await store.close()
    check = check_database_decisions(db, acknowledged + 1)
    report.update(check)
    return report


def check_database_decisions(db: Path, count: int) -> dict:
    conn = sqlite3.connect(db)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = dict(conn.execute("SELECT message_id, reason FROM decision"))
    finally:
        conn.close()
    return {
        "integrity": integrity,
        "lost": sum(1 for i in range(count) if i not in rows),
        "incomplete": sum(1 for i, r in rows.items() if r != reason(i)),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["write"]:
        asyncio.run(write_forever(Path(argv[1]), int(argv[2])))
        return 0
    if argv[:1] == ["disk-full"]:
        sys.stdout.write(json.dumps(asyncio.run(_disk_full_scenario(Path(argv[1])))) + "\n")
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
