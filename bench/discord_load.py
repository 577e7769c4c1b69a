"""Discord load benchmark: 1,000 questions from many users in several channels, through the fake gateway.

The bot runs as its real entry point in its own process (bench/_lag_probe.py wraps `bot.runner.run_discord`
with an event-loop lag sampler); the fake Discord runs here. Reported: messages per second end to end (from the
first MESSAGE_CREATE to the last triage decision and reply) and the bot's event-loop lag p50/p99/max during the
burst. Baseline in the same run: the same burst against a bot that only echoes (the gateway + REST overhead).

Usage: python -m bench discord [--messages N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from bot.services.store import SqliteStore  # noqa: E402
from tests.fake_discord import FakeDiscord  # noqa: E402 - the harness lives with the tests

CHANNELS = 4
USERS = 60


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


async def _run(mode: str, texts: list[str], tmp: Path, docs: Path) -> dict:
    db = tmp / f"{mode}.db"
    lag_file = tmp / f"{mode}-lag.json"
    async with FakeDiscord() as fake:
        # Every message of the burst is a new question: the per-channel cooldown (etiquette) is off here.
        store = await SqliteStore.open(db)
        await store.config.update_config(fake.guild_id, channel_cooldown_seconds=0)
        await store.close()
        channels = [fake.add_text_channel(f"help-{i}") for i in range(CHANNELS)]
        users = [fake.add_user(f"user{i}") for i in range(USERS)]
        env = {
            **os.environ,
            **fake.env(),
            "DISCORD_TOKEN": fake.token,
            "WATCH_CHANNELS": ",".join(map(str, channels)),
            "DATABASE_PATH": str(db),
            "DOCS_PATH": str(docs),
            "LOG_LEVEL": "WARNING",
            "STATUS_URL": "off",  # no outside traffic from a benchmark
            "LAG_PROBE_MODE": mode,
            "LAG_PROBE_OUT": str(lag_file),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "_lag_probe.py"), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        fake.watch(asyncio.ensure_future(proc.wait()))
        await fake.wait_until_connected(timeout=60)
        if mode == "bot":
            await fake.wait_until(
                lambda: True if _count(db, "SELECT COUNT(*) FROM watched_channel") == CHANNELS else None,
                timeout=60, what="watch list seeded",
            )  # fmt: skip
        else:
            await asyncio.sleep(1.0)  # the echo bot has no observable ready state; it only needs its gateway up
        writes_before = len(fake.message_writes)
        started, wall_started = time.perf_counter(), time.time()
        for i, text in enumerate(texts):
            await fake.user_sends(channels[i % CHANNELS], users[i % USERS], text)
        sent = time.perf_counter()
        if mode == "bot":
            await fake.wait_until(
                lambda: True if _count(db, "SELECT COUNT(*) FROM decision") >= len(texts) else None,
                timeout=300, what="every message triaged",
            )  # fmt: skip
            expected = _count(db, "SELECT COUNT(*) FROM decision WHERE action != 'silent'")
        else:
            expected = len(texts)
        await fake.wait_until(
            lambda: True if len(fake.message_writes) - writes_before >= expected else None,
            timeout=300, what="every reply posted",
        )  # fmt: skip
        finished, wall_finished = time.perf_counter(), time.time()
        proc.terminate()
        _, err = await proc.communicate()
        if not lag_file.exists():
            return {"mode": mode, "error": err.decode()[-500:]}
        lags = sorted(
            lag for at, lag in json.loads(lag_file.read_text())["samples"] if wall_started <= at <= wall_finished
        )
        n = len(lags) or 1
        probe = {
            "lag_p50_ms": lags[n // 2] if lags else 0.0,
            "lag_p99_ms": lags[min(n - 1, int(n * 0.99))] if lags else 0.0,
            "lag_max_ms": lags[-1] if lags else 0.0,
        }
        fake.assert_clean()
        return {
            "mode": mode,
            "messages": len(texts),
            "replies": expected,
            "send_s": sent - started,
            "total_s": finished - started,
            "rate": len(texts) / (finished - started),
            **probe,
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the echo baseline and the bot, print the table."""
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m bench discord")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--eval", type=Path, default=SHARED / "eval")
    parser.add_argument("--docs", type=Path, default=SHARED / "capgo-docs")
    args = parser.parse_args(argv)
    texts = _messages(args.eval, args.messages)
    with tempfile.TemporaryDirectory() as tmp:
        results = [asyncio.run(_run(mode, texts, Path(tmp), args.docs)) for mode in ("echo", "bot")]
    print(f"### Discord load ({args.messages} messages, {USERS} users, {CHANNELS} channels, bot in its own process)\n")
    print("| run | replies | msgs/s end to end | target | loop lag p50 | p99 | max | target p99 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['mode']} | failed: {r['error']} |")
            continue
        target = ">= 300" if r["mode"] == "bot" else "(baseline)"
        lag_target = "<= 50 ms" if r["mode"] == "bot" else ""
        name = "triage bot" if r["mode"] == "bot" else "echo bot (gateway + REST only)"
        print(
            f"| {name} | {r['replies']} | {r['rate']:.0f} | {target} | {r['lag_p50_ms']:.1f} ms | "
            f"{r['lag_p99_ms']:.1f} ms | {r['lag_max_ms']:.1f} ms | {lag_target} |"
        )
    echo, bot = results
    if "rate" in echo and "rate" in bot:
        print(f"\nThe triage bot runs at {bot['rate'] / echo['rate']:.2f}x the echo bot's rate on the same harness.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
