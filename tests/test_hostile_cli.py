"""The hostile corpus (tests/hostile.py) through the command line, in a subprocess as a user runs it, and through
the engine in process: every line gets a record or an error record, no traceback, nothing echoed, nothing too long."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile import DISCORD_LIMIT, KINDS, corpus, leaks
from tests.test_cli import DATA, run

CLI_SAMPLE = 130  # 10 of each kind; the full run is `python3 dev.py bench faults`
BAD_LINES = {7: b"not json\n", 20: b'{"text": "caf\xe9 \xff"}\n', 33: b"[" * 50_000 + b"\n", 46: b'{"text": 42}\n'}


def test_hostile_corpus_through_the_cli(tmp_path: Path) -> None:
    items = corpus(CLI_SAMPLE, seed=5)
    lines: list[bytes] = [item.jsonl().encode() for item in items]
    for at, bad in sorted(BAD_LINES.items()):
        lines.insert(at, bad)
    source = tmp_path / "hostile.jsonl"
    source.write_bytes(b"".join(lines))
    proc = run("triage", "--docs", str(DATA / "docs"), "--faq", str(DATA / "faq"), "--jsonl", str(source))
    assert proc.returncode == 1, proc.stderr  # 1: some lines were malformed; the run went on
    assert "Traceback" not in proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == len(lines)  # one record per line, in order
    errors = [i for i, r in enumerate(records) if "error" in r]
    assert errors == sorted(BAD_LINES), [records[i] for i in errors]
    valid = [r for i, r in enumerate(records) if i not in BAD_LINES]
    for item, record in zip(items, valid, strict=True):
        assert record["action"] in {"answer", "remind", "route", "escalate", "silent"}, (item.kind, record)
        echoed = leaks(json.dumps(record, ensure_ascii=False), [item])  # reason, matches, answer... all fields
        assert not echoed, (item.kind, echoed, record)


def test_hostile_corpus_through_the_engine(engine, now) -> None:
    items = corpus(len(KINDS) * 20, seed=9)
    support = frozenset({"help@example.com"})  # the bot's own address (tests' placeholders) may be in a reply
    for item in items:
        result = engine.triage(item.text, now=now, title=item.title)
        reply = result.reply
        assert len(reply) <= DISCORD_LIMIT, (item.kind, len(reply))
        assert "@everyone" not in reply and "@here" not in reply and "<@" not in reply, item.kind
        assert not leaks(reply + json.dumps(result.as_record()), [item], allowed_emails=support), item.kind


def test_the_corpus_is_deterministic_and_covers_every_kind() -> None:
    first, second = corpus(len(KINDS) * 2, seed=1), corpus(len(KINDS) * 2, seed=1)
    assert first == second
    assert {item.kind for item in first} == set(KINDS) and len(KINDS) == 13
    assert any(len(item.text) >= 20_000 for item in first)
    assert sum(len(item.secrets) for item in first if item.kind == "secrets") >= 2
