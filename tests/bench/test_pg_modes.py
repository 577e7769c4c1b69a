"""The PostgreSQL modes of the benchmarks (`bench outbox --database postgres`, `bench discord --database postgres`)
on a tiny N: arguments, a full run and the printed tables.

The runs need a PostgreSQL server (tests/pg.py); without one they skip, or fail under TRIAGE_TEST_POSTGRES=required
(CI), like the store tests.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import bench._pg
from bench import discord_load, outbox_load
from tests import pg

DOCS = Path(__file__).resolve().parents[1] / "data" / "docs"


@pytest.fixture(scope="module")
def server() -> Iterator[pg.PgServer]:
    try:
        started = pg.start_server()
    except pg.PgUnavailableError as exc:
        if pg.required():
            pytest.fail(f"{exc} (TRIAGE_TEST_POSTGRES=required)", pytrace=False)
        pytest.skip(str(exc))
    yield started
    started.stop()


@pytest.fixture
def bench_server(server: pg.PgServer, monkeypatch: pytest.MonkeyPatch) -> pg.PgServer:
    """The module's server in place of the one each benchmark would start (bench._pg.pg_server)."""

    @contextlib.contextmanager
    def reuse() -> Iterator[pg.PgServer]:
        yield server

    monkeypatch.setattr(bench._pg, "pg_server", reuse)
    return server


def _table(out: str) -> dict[str, list[str]]:
    """The rows of a printed Markdown table: first cell -> the other cells."""
    rows = {}
    for line in out.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_in_flight_twice_needs_two_workers_at_the_same_moment() -> None:
    assert not outbox_load._in_flight_twice([(0.0, 1.0, 0), (1.5, 2.0, 1)])  # a retry taken by the other worker
    assert not outbox_load._in_flight_twice([(0.0, 1.0, 0), (1.0, 2.0, 0), (2.5, 3.0, 0)])  # one worker
    assert outbox_load._in_flight_twice([(0.0, 1.0, 0), (0.5, 2.0, 1)])
    assert outbox_load._in_flight_twice([(0.0, 5.0, 0), (1.0, 2.0, 0), (3.0, 4.0, 1)])  # not the neighbour only


@pytest.mark.parametrize(
    "argv",
    [
        ["--database", "postgres", "--workers", "0"],
        ["--database", "postgres", "--escalations", "0"],
        ["--database", "postgres", "--sqlite-escalations", "0"],
        ["--database", "mysql"],
    ],
)
def test_outbox_rejects_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        outbox_load.main(argv)
    assert exc.value.code == 2


def test_discord_rejects_an_unknown_database() -> None:
    with pytest.raises(SystemExit) as exc:
        discord_load.main(["--database", "mysql"])
    assert exc.value.code == 2


def test_outbox_competing_workers_tiny(bench_server: pg.PgServer, capsys: pytest.CaptureFixture[str]) -> None:
    code = outbox_load.main(["--database", "postgres", "--escalations", "24", "--sqlite-escalations", "12",
                             "--workers", "2", "--failure-rate", "0.3", "--drain-timeout", "120"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "### Outbox, competing workers (12 / 24 escalations queued, 30% of requests" in out
    rows = _table(out)
    assert rows["measure"] == ["SQLite, 1 worker", "PostgreSQL, 2 workers", "target"]
    assert rows["escalations queued"] == ["12", "24", ""]
    assert rows["lost (queued, never a ticket)"] == ["0", "0", "0"]
    assert rows["duplicated (extra tickets for one escalation)"] == ["0", "0", "0"]
    assert rows["outbox rows sent / failed / still pending"][:2] == ["12 / 0 / 0", "24 / 0 / 0"]
    assert rows["escalations sent by two workers at once (claim overlap)"] == ["-", "0", "0"]
    sqlite_sent, pg_sent = rows["sent by each worker"][:2]
    assert sqlite_sent == "12"
    assert sum(int(n) for n in pg_sent.split(" / ")) == 24


def test_discord_postgres_row_tiny(
    bench_server: pg.PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("dev_discord_questions", "dev_bug_reports", "dev_silence", "dev_routing", "dev_real_questions"):
        text = "How do I roll back a bad bundle?" if name != "dev_silence" else "thanks, that fixed it!"
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"text": text}) + "\n", encoding="utf-8")
    monkeypatch.setenv("SEMANTIC", "off")
    code = discord_load.main(
        ["--messages", "6", "--eval", str(tmp_path), "--docs", str(DOCS), "--database", "postgres"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    rows = _table(out)
    assert set(rows) == {"run", "echo bot (gateway + REST only)", "triage bot, SQLite, SEMANTIC=off",
                         "triage bot, PostgreSQL, SEMANTIC=off"}  # fmt: skip
    sqlite, postgres = rows["triage bot, SQLite, SEMANTIC=off"], rows["triage bot, PostgreSQL, SEMANTIC=off"]
    assert sqlite[0] == postgres[0]  # the same replies from the same messages, whatever the store
    assert float(postgres[1]) > 0
    assert "On PostgreSQL it runs at" in out
