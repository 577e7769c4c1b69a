"""Fault suite, long version: the hostile corpus (tests/hostile.py) through the CLI, the engine and the real bot on
the fake Discord; repeated SIGKILLs of a store writer; a real full file system.

Usage: python -m bench faults [--messages 5000] [--discord 400] [--kills 50] [--seed 11]

Prints one table: crashes, pings, secrets or e-mails echoed, messages over Discord's limit, lost / duplicated / torn
rows. The fast versions of the same checks run in the test suite (tests/test_hostile_cli.py,
tests/exts/test_hostile_discord.py, tests/services/test_store_faults.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import DISCORD_LIMIT, Hostile, corpus, leaks  # noqa: E402 - the corpus lives with the tests
from tests.store_faults import disk_full, kill_cycles, unshare_available  # noqa: E402

DATA = ROOT / "tests" / "data"
MENTION_MARKERS = ("@everyone", "@here", "<@")


def _cli_run(items: list[Hostile], tmp: Path) -> dict:
    """All items through `python -m bot triage --jsonl` in one process (the default SEMANTIC=on)."""
    source = tmp / "hostile.jsonl"
    source.write_text("".join(item.jsonl() for item in items))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "triage", "--docs", str(DATA / "docs"), "--faq", str(DATA / "faq"),
         "--jsonl", str(source)],
        capture_output=True, text=True, cwd=ROOT, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    seconds = time.perf_counter() - started
    records = []
    for line in proc.stdout.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append({"error": "unreadable output line"})
    crashed = proc.returncode not in (0, 1) or "Traceback" in proc.stderr or len(records) != len(items)
    errors = sum(1 for r in records if "error" in r)
    echoed = sum(len(leaks(json.dumps(r, ensure_ascii=False), [item])) for item, r in zip(items, records, strict=False))
    return {
        "messages": len(items), "crashes": int(crashed) + errors, "exit": proc.returncode, "echoed": echoed,
        "seconds": seconds, "stderr": proc.stderr[-1500:] if crashed else "",
    }  # fmt: skip


def _engine_run(items: list[Hostile]) -> dict:
    """All items through the engine of the tests' FAQ + docs: rendered replies checked (the CLI prints no reply)."""
    from datetime import UTC, datetime

    from bot.cli import build_engine
    from bot.settings import load_settings

    settings = load_settings({"FAQ_PATH": str(DATA / "faq"), "DOCS_PATH": str(DATA / "docs")}, env_file=None)
    engine = build_engine(settings)
    support = frozenset({settings.brand.support_email.lower()})
    now = datetime.now(UTC)
    crashes = pings = echoed = over = replies = 0
    for item in items:
        try:
            result = engine.triage(item.text, now=now, title=item.title)
        except Exception:  # counted, and the run goes on
            crashes += 1
            continue
        reply = result.reply
        replies += bool(reply)
        over += len(reply) > DISCORD_LIMIT
        pings += any(marker in reply for marker in MENTION_MARKERS)
        echoed += len(leaks(reply + json.dumps(result.as_record()), [item], allowed_emails=support))
    return {"messages": len(items), "replies": replies, "crashes": crashes, "pings": pings, "echoed": echoed,
            "over": over}  # fmt: skip


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _discord_run(items: list[Hostile], tmp: Path) -> dict:
    """The real bot on the fake Discord: items posted in a watched channel; every bot message and log checked."""
    from tests.exts.test_e2e import running_bot
    from tests.fake_discord import FakeDiscord, point_discord_py_at

    handler = _Records()
    logging.getLogger().addHandler(handler)
    crashes = 0
    started = time.perf_counter()
    try:
        async with FakeDiscord() as fake:
            with point_discord_py_at(fake):
                async with running_bot(fake, tmp) as bot:
                    general, alice = fake.channel_id("general"), fake.user_id("alice")
                    sent = [await fake.user_sends(general, alice, item.text) for item in items]
                    store = bot.deps.store
                    deadline = time.monotonic() + 30 + len(items) * 0.5
                    pending = [int(m["id"]) for m in sent]
                    while pending and time.monotonic() < deadline:
                        fake.raise_if_bot_failed()
                        pending = [i for i in pending if await store.replies.get_decision(i) is None]
                        await asyncio.sleep(0.05)
                    crashes += len(pending)  # messages never triaged
                    support = frozenset({bot.deps.settings.brand.support_email.lower()})
            writes = list(fake.message_writes)
            bad = len(fake.bad_requests)
    except AssertionError as exc:  # BotCrashed, or the fake saw problems
        logging.getLogger(__name__).error("discord run: %s", exc)
        return {"messages": len(items), "crashes": 1, "pings": 0, "echoed": 0, "over": 0, "writes": 0}
    finally:
        logging.getLogger().removeHandler(handler)
    pings = over = echoed = 0
    for w in writes:
        mentions = w.payload.get("allowed_mentions")
        content = w.payload.get("content") or ""
        if mentions is None:
            pings += bool(content)
        else:
            pings += bool(mentions.get("parse") or mentions.get("users") or mentions.get("roles"))
        over += len(content) > DISCORD_LIMIT
        echoed += len(leaks(content + json.dumps(w.payload.get("embeds") or []), items, allowed_emails=support))
    for record in handler.records:
        text = record.getMessage()
        echoed += len(leaks(text, items, allowed_emails=support))
        crashes += record.levelno >= logging.ERROR
    return {
        "messages": len(items), "crashes": crashes, "pings": pings, "echoed": echoed, "over": over + bad,
        "writes": len(writes), "seconds": time.perf_counter() - started,
    }  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench faults")
    parser.add_argument("--messages", type=int, default=5000, help="hostile messages through the CLI and engine")
    parser.add_argument("--discord", type=int, default=400, help="hostile messages through the bot on fake Discord")
    parser.add_argument("--kills", type=int, default=50, help="SIGKILL cycles of a store writer")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    # Records from INFO up are collected during the Discord run (checked for echoed secrets), never printed.
    logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
    items = corpus(args.messages, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cli = _cli_run(items, tmp)
        print(f"cli: {cli['messages']} messages in {cli['seconds']:.1f} s, exit {cli['exit']}", file=sys.stderr)
        engine = _engine_run(items)
        discord_dir = tmp / "discord"
        discord_dir.mkdir()
        discord = asyncio.run(_discord_run(corpus(args.discord, seed=args.seed + 1), discord_dir))
        started = time.perf_counter()
        kills = kill_cycles(tmp / "killed.db", args.kills, seed=args.seed)
        kill_seconds = time.perf_counter() - started
        mount = tmp / "small-fs"
        mount.mkdir()
        why = unshare_available(mount)
        full = None
        if why is None:
            with contextlib.suppress(RuntimeError):
                full = disk_full(2 * 1024 * 1024, tmp=mount)
    last = kills[-1]
    torn = sum(k.incomplete for k in kills)
    failed_checks = sum(1 for k in kills if not (k.opened and k.integrity == "ok"))
    rows = [
        ("hostile messages through `python -m bot triage --jsonl`", f"{cli['messages']}",
         f"crashes {cli['crashes']}, secrets/e-mails echoed {cli['echoed']}, exit code {cli['exit']}"),
        ("same messages through the engine (rendered replies)", f"{engine['messages']} ({engine['replies']} replies)",
         f"crashes {engine['crashes']}, pings {engine['pings']}, echoed {engine['echoed']}, "
         f"over 2,000 chars {engine['over']}"),
        ("hostile messages through the bot on the fake Discord", f"{discord['messages']} ({discord['writes']} bot "
         "messages)", f"crashes {discord['crashes']}, pings {discord['pings']}, echoed (messages + logs) "
         f"{discord['echoed']}, over Discord's limits {discord['over']}"),
        (f"SIGKILL of a store writer mid-write, x{len(kills)}", f"{last.decisions} ids written",
         f"reopen or integrity failures {failed_checks}, lost {sum(k.lost for k in kills)}, duplicated "
         f"{sum(k.duplicated for k in kills)}, torn {torn}"),
    ]  # fmt: skip
    if full is not None:
        rows.append(
            ("full disk (2 MB tmpfs)", f"{full['acknowledged']} rows before SQLITE_FULL",
             f"error: {full['error']}; lost {full['lost']}, torn {full['incomplete']}, integrity {full['integrity']}, "
             f"restart on the full disk: {full['restart_on_full_disk'][:60]}, writes resume once space is freed"),
        )  # fmt: skip
    else:
        rows.append(("full disk", "skipped", why or "the scenario failed"))
    print(f"#### Fault suite (`python3 dev.py bench faults`, seed {args.seed})\n")
    print("| fault | volume | result (target: 0 everywhere) |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nCLI run: {cli['seconds']:.1f} s; Discord run: {discord.get('seconds', 0):.1f} s; kill cycles: "
          f"{kill_seconds:.1f} s.")  # fmt: skip
    if cli["stderr"]:
        print(cli["stderr"], file=sys.stderr)
    bad = (
        cli["crashes"] + cli["echoed"] + engine["crashes"] + engine["pings"] + engine["echoed"] + engine["over"]
        + discord["crashes"] + discord["pings"] + discord["echoed"] + discord["over"] + failed_checks
        + sum(k.lost + k.duplicated + k.incomplete for k in kills)
        + (full["lost"] + full["incomplete"] if full else 0)
    )  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
