"""StatsService: the /stats report (text, splits, bands, chart) and the CSV export, over a real SQLite file.

Run as a script (``.venv/bin/python -m tests.app.test_stats``) to redraw docs/stats-example.png from the example
database built below; `test_the_readme_example_is_current` fails when the chart changed and the picture did not.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.stats import (
    DECISION_COLUMNS,
    EXPORT_KINDS,
    FEEDBACK_COLUMNS,
    GAP_COLUMNS,
    StatsReport,
    StatsService,
    decisions_csv,
    export_summary,
    feedback_csv,
    gaps_csv,
)
from bot.services.store import SqliteStore, Stats
from bot.services.store.stats import ActionSplit
from tests.app.test_chart import decode_png
from tests.services.test_stats_queries import NOW, at, fill
from tests.services.test_store import GUILD, OTHER_GUILD, make_decision, make_reply

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "stats-example.png"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "bot.sqlite3")
    await fill(opened)
    yield opened
    await opened.close()


def service(store: SqliteStore, now: datetime = NOW) -> StatsService:
    return StatsService(stats=store.stats, clock=lambda: now)


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


# -- the report ------------------------------------------------------------------------------------------------------


async def test_report_has_every_day_the_splits_and_the_bands(store: SqliteStore) -> None:
    report = await service(store).report(GUILD, 7, channel_parent={12: 10}.get)
    assert [d.day for d in report.daily] == [date(2026, 6, 4) + timedelta(days=i) for i in range(7)]
    assert [d.total for d in report.daily] == [0, 0, 0, 0, 2, 3, 2]
    assert report.daily[-1].counts == {"answer": 1, "remind": 0, "route": 1, "escalate": 0, "silent": 0}
    assert [s.key for s in report.by_language] == ["en", "fr"]
    # Channel 12 is a thread of channel 10 (a forum post in its forum): counted as the channel.
    assert report.by_channel == [
        ActionSplit("10", total=5, answered=2, silent=2, routed=1),
        ActionSplit("11", total=2, answered=1, reminded=1),
    ]
    assert (report.bands[0].low, report.bands[0].answered, report.bands[0].not_helpful) == (0.0, 1, 1)
    assert report.stats.questions_seen == 7


async def test_report_text_reads_at_a_glance(store: SqliteStore) -> None:
    text = (await service(store).report(GUILD, 7)).text()
    lines = text.splitlines()
    assert lines[0] == "**Last 7 days**"
    assert lines[1].startswith("Questions seen: 7 · answered: 3")
    assert "**Per day** (UTC 06-04 → 06-10): `▁▁▁▁▆█▆` busiest 3 · last day 2 (1 answered)" in lines
    assert "**By language** (answered/silent/reminded/routed): en 2/2/0/1 · fr 1/0/1/0" in lines
    assert "**By channel**: <#10> 1/2/0/1 · <#11> 1/0/1/0 · <#12> 1/0/0/0" in lines
    assert "`0.8–0.9` answered 1 of 1 seen (100%) · not helpful 1 (100%)" in lines
    assert "`0.9–1.0` answered 2 of 2 seen (100%) · not helpful 0 (0%)" in lines
    assert "`0.6–0.7`" not in text  # an empty band is left out of the text (the chart shows it)
    assert "1× how do i export the dashboard?" in lines


def test_report_text_fits_a_discord_message_by_dropping_gap_lines() -> None:
    splits = [ActionSplit(f"{1000 + i}", total=10 - i, answered=1) for i in range(9)]
    gaps = [(f"question number {i} " + "x" * 200, 1) for i in range(10)]
    report = StatsReport(30, Stats(questions_seen=5), gaps, by_language=splits[:8], by_channel=splits)
    text = report.text()
    assert len(text) <= 2000
    assert text.count("×") == 10 and "…" in text  # gap questions are cut to 100 characters
    assert "others: 14 decisions" in text  # channels after the top five
    small = report.text(limit=500)
    assert len(small) <= 500 and small.startswith("**Last 30 days**") and "×" not in small


async def test_an_empty_period_still_reports(store: SqliteStore) -> None:
    report = await service(store, now=NOW + timedelta(days=60)).report(GUILD, 7)
    text = report.text()
    assert "Questions seen: 0" in text and "busiest 0" in text and "none" in text
    assert "**By language**" not in text and "**Calibration**" not in text
    assert decode_png(report.png()).width == 800


async def test_report_png_is_the_chart_of_the_report(store: SqliteStore) -> None:
    report = await service(store).report(GUILD, 7)
    bands = report.chart_bands()
    assert [b.label for b in bands] == ["0.0-0.5", "0.5-0.6", "0.6-0.7", "0.7-0.8", "0.8-0.9", "0.9-1.0"]
    assert bands[1].answered_pct == 0.0 and bands[1].not_helpful_pct is None  # seen, never answered
    assert bands[2].answered_pct is None  # nothing seen
    assert bands[4].not_helpful_pct == 100.0
    assert report.png()[:8] == b"\x89PNG\r\n\x1a\n"


# -- the CSV export --------------------------------------------------------------------------------------------------


async def test_export_writes_three_csv_files_of_the_guild(store: SqliteStore) -> None:
    files = await service(store).export(5, guild_id=GUILD)
    assert [f.name for f in files] == ["decisions.csv", "gaps.csv", "feedback.csv"]
    assert [f.rows for f in files] == [7, 2, 5]
    decisions, gaps, feedback = (rows(f.data) for f in files)
    assert list(decisions[0]) == list(DECISION_COLUMNS) and "author_id" not in decisions[0]
    assert decisions[0]["created_at"] == "2026-06-08T09:00:00+00:00"
    assert (decisions[0]["action"], decisions[0]["confidence"], decisions[0]["top_title"]) == (
        "answer",
        "0.8200",
        "Rollback",
    )
    assert list(gaps[0]) == list(GAP_COLUMNS)
    assert gaps[1]["question"] == "'=cmd|' /c calc'!a0"  # a spreadsheet would run it as a formula
    assert list(feedback[0]) == list(FEEDBACK_COLUMNS) and "user_id" not in feedback[0]
    assert {r["kind"] for r in feedback} == {"solved", "not_helpful"}
    assert files[0].data.startswith(b"created_at,guild_id,") and b"\r\n" in files[0].data
    assert "7 decisions, 2 gaps, 5 feedback" in export_summary(files, 5)


async def test_export_of_every_guild_and_of_one_kind(store: SqliteStore) -> None:
    (gaps,) = await service(store).export(5, ["gaps"])
    assert {r["guild_id"] for r in rows(gaps.data)} == {str(GUILD), str(OTHER_GUILD)}
    with pytest.raises(ValueError, match="export kind must be one of decisions, gaps, feedback"):
        await service(store).export(5, ["users"])  # type: ignore[list-item]
    assert EXPORT_KINDS == ("decisions", "gaps", "feedback")


async def test_gap_text_is_utf8_and_redacted(store: SqliteStore) -> None:
    await store.replies.record_gap(
        GUILD, "如何回滚？ token ghp_abcdefghijklmnopqrstuvwxyz0123456789", at(10), "unanswered"
    )
    (gaps,) = await service(store).export(5, ["gaps"], guild_id=GUILD)
    text = gaps.data.decode("utf-8")
    assert "如何回滚" in text and "ghp_" not in text


def test_csv_builders_write_a_header_for_no_rows() -> None:
    assert decisions_csv([]) == ",".join(DECISION_COLUMNS) + "\r\n"
    assert gaps_csv([]) == ",".join(GAP_COLUMNS) + "\r\n"
    assert feedback_csv([]) == ",".join(FEEDBACK_COLUMNS) + "\r\n"


# -- the README picture ----------------------------------------------------------------------------------------------

EXAMPLE_NOW = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)


async def fill_example(store: SqliteStore) -> None:
    """Thirty days of a plausible community: busier on weekdays, answers more often "Not helpful" at low confidence."""
    rng = random.Random(9)
    message_id = reply_id = 1
    langs = ["en"] * 6 + ["fr", "fr", "es", "de", "pt", "zh", "id", "it"]
    for day in range(30):
        moment = EXAMPLE_NOW - timedelta(days=29 - day, hours=6)
        for _ in range(rng.randint(14, 22) if moment.weekday() < 5 else rng.randint(5, 10)):
            roll = rng.random()
            confidence = round(rng.uniform(0.3, 1.0), 2)
            action = (
                "answer" if confidence >= 0.7 and roll < 0.8
                else "remind" if roll < 0.3 else "route" if roll < 0.38 else "escalate" if roll < 0.41 else "silent"
            )  # fmt: skip
            when = moment + timedelta(minutes=message_id % 300)
            await store.replies.record_decision(
                make_decision(
                    when,
                    message_id=message_id,
                    action=action,
                    lang=rng.choice(langs),
                    channel_id=rng.choice([10, 10, 11, 12]),
                    confidence=confidence,
                )
            )
            if action == "answer":
                await store.replies.record_reply(
                    make_reply(
                        when, reply_message_id=10**6 + reply_id, source_message_id=message_id, confidence=confidence
                    )
                )
                if rng.random() < (1 - confidence) * 0.8:
                    await store.replies.record_feedback(10**6 + reply_id, 8, "not_helpful", when)
                elif rng.random() < 0.5:
                    await store.replies.record_feedback(10**6 + reply_id, 8, "solved", when)
                reply_id += 1
            message_id += 1


async def example_png(path: Path) -> bytes:
    """The chart of the example database (created at `path`)."""
    async with await SqliteStore.open(path) as store:
        await fill_example(store)
        report = await StatsService(stats=store.stats, clock=lambda: EXAMPLE_NOW).report(GUILD, 30)
        return report.png()


async def test_the_readme_example_is_current(tmp_path: Path) -> None:
    fresh = decode_png(await example_png(tmp_path / "example.sqlite3"))
    shipped = decode_png(EXAMPLE.read_bytes())
    # Pixels, not bytes: another zlib may compress the same pixels differently.
    assert shipped.rows == fresh.rows, "docs/stats-example.png is out of date: python -m tests.app.test_stats"


def write_example() -> None:
    """Redraw docs/stats-example.png."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        EXAMPLE.write_bytes(asyncio.run(example_png(Path(folder) / "example.sqlite3")))


if __name__ == "__main__":
    write_example()
