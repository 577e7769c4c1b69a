"""What the bot did in a guild over a period (`/stats`): counts, daily trend, splits per language and channel, the
calibration check per confidence band, the top unanswered questions, a PNG chart, and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from bot.app.chart import BandBar, stats_chart
from bot.core.redact import redact
from bot.services.store import DecisionRecord, Stats, StatsRepository
from bot.services.store.stats import ActionSplit, BandCount, DailyCount, FeedbackRecord, GapRecord

TOP_GAPS = 10
TOP_CHANNELS = 5
MESSAGE_LIMIT = 2000  # Discord's message length
GAP_CHARS = 100  # a gap question is cut to this in the report (the CSV has it whole)
ACTIONS = ("answer", "remind", "route", "escalate", "silent")
SPARKS = "▁▂▃▄▅▆▇█"

ExportKind = Literal["decisions", "gaps", "feedback"]
EXPORT_KINDS: tuple[ExportKind, ...] = get_args(ExportKind)
# No user ids in the export: who asked or pressed a button is not needed to read the trend, and the file leaves
# Discord. Message and channel ids stay: they lead back to the message (and to /triage-why).
DECISION_COLUMNS = ("created_at", "guild_id", "channel_id", "message_id", "action", "rule", "reason", "lang",
                    "intent", "confidence", "top_url", "top_title")  # fmt: skip
GAP_COLUMNS = ("created_at", "guild_id", "source", "question")
FEEDBACK_COLUMNS = ("created_at", "guild_id", "channel_id", "reply_message_id", "kind", "reply_kind",
                    "reply_confidence", "lang", "entry_id", "url")  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class DayCounts:
    """The decisions of one UTC day, by action."""

    day: date
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        """All decisions of the day."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class StatsReport:
    """A guild's counts since a time, its trend and splits, the calibration bands and the top unanswered questions."""

    days: int
    stats: Stats
    gaps: list[tuple[str, int]]
    daily: list[DayCounts] = field(default_factory=list)  # every day of the period, oldest first, empty days too
    by_language: list[ActionSplit] = field(default_factory=list)
    by_channel: list[ActionSplit] = field(default_factory=list)  # key: channel id; threads merged into their channel
    bands: list[BandCount] = field(default_factory=list)

    def text(self, limit: int = MESSAGE_LIMIT) -> str:
        """The report as Markdown for staff, at most `limit` characters (the last gap lines give way first)."""
        s = self.stats
        lines = [
            f"**Last {self.days} days**",
            f"Questions seen: {s.questions_seen} · answered: {s.answered} · solved: {s.solved} · "
            f"not helpful: {s.not_helpful}",
            f"Reminders: {s.reminders} · routed: {s.routed} · escalated: {s.escalated} · silent: {s.silent}",
        ]
        if self.daily:
            lines.append(self.trend_line())
        if self.by_language:
            lines.append("**By language** (answered/silent/reminded/routed): " + _splits(self.by_language, str))
        if self.by_channel:
            lines.append("**By channel**: " + _splits(self.by_channel, lambda key: f"<#{key}>", TOP_CHANNELS))
        lines += self.calibration_lines()
        lines.append("**Top unanswered questions (FAQ gaps):**")
        gap_lines = [f"{count}× {_cut(question, GAP_CHARS)}" for question, count in self.gaps] or ["none"]
        while gap_lines and len("\n".join(lines + gap_lines)) > limit:
            gap_lines.pop()
        return "\n".join(lines + gap_lines)[:limit]

    def trend_line(self) -> str:
        """One line: a sparkline of decisions per day, the busiest day and today."""
        totals = [d.total for d in self.daily]
        top = max(totals)
        spark = "".join(SPARKS[0] if not n else SPARKS[1 + (n * (len(SPARKS) - 2)) // top] for n in totals)
        first, last = self.daily[0], self.daily[-1]
        return (
            f"**Per day** (UTC {first.day:%m-%d} → {last.day:%m-%d}): `{spark}` busiest {top} · "
            f"last day {last.total} ({last.counts.get('answer', 0)} answered)"
        )

    def calibration_lines(self) -> list[str]:
        """One line per confidence band holding decisions or answers: answer rate and "Not helpful" rate."""
        lines = [
            f"`{b.low:.1f}–{b.high:.1f}` answered {b.answered} of {b.seen} seen{_pct(b.answered, b.seen)} · "
            f"not helpful {b.not_helpful}{_pct(b.not_helpful, b.answered)}"
            for b in self.bands
            if b.seen or b.answered
        ]
        heading = "**Calibration** (by best-match confidence: higher bands should answer more, with fewer Not helpful):"
        return [heading, *lines] if lines else []

    def chart_bands(self) -> list[BandBar]:
        """The bands as the chart draws them: answered % of seen, not helpful % of answered."""
        return [
            BandBar(
                f"{b.low:.1f}-{b.high:.1f}",
                100 * b.answered / b.seen if b.seen else None,
                100 * b.not_helpful / b.answered if b.answered else None,
            )
            for b in self.bands
        ]

    def png(self) -> bytes:
        """The chart of the report: decisions per day by action, and the confidence bands."""
        return stats_chart([(d.day, d.counts) for d in self.daily], self.chart_bands())


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One CSV file of the export: UTF-8, a header row, ISO 8601 UTC timestamps."""

    kind: ExportKind
    rows: int
    data: bytes

    @property
    def name(self) -> str:
        """The file name: ``decisions.csv``, ``gaps.csv`` or ``feedback.csv``."""
        return f"{self.kind}.csv"


class StatsService:
    """Reads the records of replies, decisions, feedback and gaps."""

    def __init__(self, *, stats: StatsRepository, clock: Callable[[], datetime]) -> None:
        self.stats = stats
        self.clock = clock

    async def report(
        self, guild_id: int, days: int, *, channel_parent: Callable[[int], int | None] | None = None
    ) -> StatsReport:
        """The report of the last `days` days; `channel_parent` maps a thread or forum post to its channel (None
        when unknown) so that a forum's posts count as the forum."""
        now = self.clock()
        since = now - timedelta(days=days)
        # The trend covers whole UTC days: today and the days-1 before it.
        first_day = (now.astimezone(UTC) - timedelta(days=days - 1)).date()
        daily = await self.stats.daily_counts(guild_id, datetime.combine(first_day, time(), UTC))
        return StatsReport(
            days,
            await self.stats.stats(guild_id, since),
            await self.stats.top_gaps(guild_id, since, limit=TOP_GAPS),
            daily=_every_day(daily, first_day, days),
            by_language=await self.stats.action_split(guild_id, since, "lang"),
            by_channel=merge_threads(await self.stats.action_split(guild_id, since, "channel"), channel_parent),
            bands=await self.stats.confidence_bands(guild_id, since),
        )

    async def export(
        self, days: int, kinds: Iterable[ExportKind] = EXPORT_KINDS, *, guild_id: int | None = None
    ) -> list[ExportFile]:
        """The CSV files of the last `days` days, of one guild or (None) of every guild, in the order asked."""
        since = self.clock() - timedelta(days=days)
        files = []
        for kind in kinds:
            if kind == "decisions":
                decisions = await self.stats.decisions_since(since, guild_id)
                files.append(ExportFile(kind, len(decisions), decisions_csv(decisions).encode()))
            elif kind == "gaps":
                gaps = await self.stats.gap_records_since(since, guild_id)
                files.append(ExportFile(kind, len(gaps), gaps_csv(gaps).encode()))
            elif kind == "feedback":
                feedback = await self.stats.feedback_since(since, guild_id)
                files.append(ExportFile(kind, len(feedback), feedback_csv(feedback).encode()))
            else:
                raise ValueError(f"export kind must be one of {', '.join(EXPORT_KINDS)}, got {kind!r}")
        return files


def export_summary(files: Sequence[ExportFile], days: int) -> str:
    """One line saying what the export holds."""
    counts = ", ".join(f"{f.rows} {f.kind}" for f in files)
    return f"Export of the last {days} days: {counts} (CSV, UTF-8, UTC timestamps; no user ids)."


def merge_threads(splits: Sequence[ActionSplit], parent: Callable[[int], int | None] | None) -> list[ActionSplit]:
    """Add up the splits of threads into their parent channel (where `parent` knows it); most decisions first."""
    merged: dict[str, ActionSplit] = {}
    for split in splits:
        key = str((parent(int(split.key)) if parent else None) or split.key)
        old = merged.get(key)
        merged[key] = split if old is None else _add(old, split, key)
    return sorted(merged.values(), key=lambda s: (-s.total, s.key))


def decisions_csv(rows: Iterable[DecisionRecord]) -> str:
    """The decisions as CSV (no author id, and no message text: the decision table holds none)."""
    return _csv(DECISION_COLUMNS, ([getattr(r, c) for c in DECISION_COLUMNS] for r in rows))


def gaps_csv(rows: Iterable[GapRecord]) -> str:
    """The gaps as CSV, the question text redacted again (secrets, e-mail addresses) since the file leaves Discord."""
    return _csv(GAP_COLUMNS, ([r.created_at, r.guild_id, r.source, redact(r.question)] for r in rows))


def feedback_csv(rows: Iterable[FeedbackRecord]) -> str:
    """The feedback presses as CSV, with the reply each was on (no id of who pressed)."""
    return _csv(FEEDBACK_COLUMNS, ([getattr(r, c) for c in FEEDBACK_COLUMNS] for r in rows))


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: CRLF line ends, quotes where needed
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    # A spreadsheet would run a cell starting with = + - @ as a formula: user text must stay text.
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_STARTS) else text


def _every_day(counts: Iterable[DailyCount], first: date, days: int) -> list[DayCounts]:
    by_day: dict[date, dict[str, int]] = {first + timedelta(days=i): {} for i in range(days)}
    for count in counts:
        if count.day in by_day:
            by_day[count.day][count.action] = by_day[count.day].get(count.action, 0) + count.count
    return [DayCounts(day, {a: c.get(a, 0) for a in ACTIONS} | c) for day, c in by_day.items()]


def _add(a: ActionSplit, b: ActionSplit, key: str) -> ActionSplit:
    return ActionSplit(
        key, a.total + b.total, a.answered + b.answered, a.silent + b.silent, a.reminded + b.reminded,
        a.routed + b.routed, a.escalated + b.escalated,
    )  # fmt: skip


def _splits(splits: Sequence[ActionSplit], label: Callable[[str], str], top: int | None = None) -> str:
    shown = list(splits[:top]) if top else list(splits)
    parts = [f"{label(s.key)} {s.answered}/{s.silent}/{s.reminded}/{s.routed}" for s in shown]
    rest = sum(s.total for s in splits[len(shown) :])
    return " · ".join(parts + ([f"others: {rest} decisions"] if rest else []))


def _pct(part: int, whole: int) -> str:
    return f" ({100 * part / whole:.0f}%)" if whole else ""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
