"""The metrics registry renders valid Prometheus text (parsed back line by line); the flow and feedback count."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.composition import EngineHolder, IncidentBoard
from bot.app.feedback import FeedbackService, Press
from bot.app.metrics import MAX_SERIES, Metrics, Registry
from bot.app.triage_flow import Author, IncomingMessage, TriageFlow
from bot.core.triage import TriageEngine
from bot.services.store import SqliteStore
from bot.settings import load_settings

GUILD, CHANNEL = 1, 10
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], value)


def parse(text: str) -> dict[str, dict]:
    """Parse exposition text strictly: {family: {"help", "type", "samples": [(name, labels, value)]}}."""
    assert text.endswith("\n")
    families: dict[str, dict] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in families, f"family {name} twice"
            families[name] = {"help": help_text, "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name == current and kind in ("counter", "gauge", "histogram"), line
            families[name]["type"] = kind
        else:
            match = _SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, raw_labels, value = match.groups()
            labels: dict[str, str] = {}
            if raw_labels:
                body = raw_labels[1:-1]
                consumed = 0
                for label in _LABEL.finditer(body):
                    assert label.start() == consumed, f"bad labels in {line!r}"
                    labels[label.group(1)] = _unescape(label.group(2))
                    consumed = label.end()
                assert consumed == len(body), f"bad labels in {line!r}"
            assert current is not None and families[current]["type"], f"sample before HELP/TYPE: {line!r}"
            kind = families[current]["type"]
            allowed = {current} if kind != "histogram" else {f"{current}_bucket", f"{current}_sum", f"{current}_count"}
            assert name in allowed, f"{name} under family {current}"
            families[current]["samples"].append((name, labels, float(value)))
    return families


def check_histograms(families: dict[str, dict]) -> None:
    """Buckets are cumulative, end with +Inf equal to _count, and every series has _sum and _count."""
    for family, data in families.items():
        if data["type"] != "histogram":
            continue
        series: dict[tuple, dict] = {}
        for name, labels, value in data["samples"]:
            key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            entry = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
            if name.endswith("_bucket"):
                entry["buckets"].append((labels["le"], value))
            else:
                entry[name.rsplit("_", 1)[1]] = value
        for key, entry in series.items():
            bounds = [le for le, _ in entry["buckets"]]
            counts = [n for _, n in entry["buckets"]]
            assert bounds[-1] == "+Inf", (family, key)
            assert [float(b) for b in bounds[:-1]] == sorted(float(b) for b in bounds[:-1])
            assert counts == sorted(counts), f"{family}{key}: buckets not cumulative {counts}"
            assert entry["count"] == counts[-1] and entry["sum"] is not None, (family, key)


def test_the_registry_renders_help_type_escaped_labels_and_cumulative_histograms() -> None:
    registry = Registry()
    counter = registry.counter("demo_events_total", "Events\nby kind, with a \\ in the help.", ("kind",))
    histogram = registry.histogram("demo_seconds", "Durations.", ("status",), buckets=(0.1, 1.0, 0.5))
    gauge = registry.gauge("demo_depth", "Depth.")
    tricky = 'a "quoted"\\back\nslash'
    counter.inc(kind=tricky)
    counter.inc(2, kind="plain")
    for value in (0.05, 0.3, 0.3, 0.7, 9.0):
        histogram.observe(value, status="ok")
    gauge.set(3)
    text = registry.render()
    families = parse(text)
    assert families["demo_events_total"]["help"] == "Events\\nby kind, with a \\\\ in the help."
    assert {(s[1]["kind"], s[2]) for s in families["demo_events_total"]["samples"]} == {(tricky, 1.0), ("plain", 2.0)}
    check_histograms(families)
    buckets = [(s[1]["le"], s[2]) for s in families["demo_seconds"]["samples"] if s[0] == "demo_seconds_bucket"]
    assert buckets == [("0.1", 1), ("0.5", 3), ("1", 4), ("+Inf", 5)]
    assert 'demo_seconds_sum{status="ok"} 10.35' in text and 'demo_seconds_count{status="ok"} 5' in text
    assert families["demo_depth"]["samples"] == [("demo_depth", {}, 3.0)]


def test_labels_are_limited_to_bounded_vocabularies_and_series_are_capped() -> None:
    registry = Registry()
    for bad in (("user_id",), ("channel",), ("text",), ("kind", "kind")):
        with pytest.raises(ValueError, match="labels"):
            registry.counter(f"bad_{len(bad)}_{bad[0]}_total", "x", bad)
    with pytest.raises(ValueError, match="takes labels"):
        registry.counter("ok_total", "x", ("kind",)).inc(kind="a", lang="en")
    counter = registry.counter("many_total", "x", ("kind",))
    for i in range(MAX_SERIES + 10):
        counter.inc(kind=f"k{i}")
    assert len(counter.series) == MAX_SERIES + 1 and counter.value(kind="other") == 10
    with pytest.raises(ValueError, match="only goes up"):
        counter.inc(-1, kind="k1")


def test_outbox_and_breaker_gauges() -> None:
    metrics = Metrics()
    metrics.set_outbox({"pending": 2, "sent": 5}, 90.5)
    metrics.set_breaker("open")
    families = parse(metrics.render())
    assert {s[1]["status"]: s[2] for s in families["triagebot_outbox_escalations"]["samples"]} == {
        "pending": 2, "sent": 5, "failed": 0,
    }  # fmt: skip
    assert families["triagebot_outbox_oldest_pending_seconds"]["samples"][0][2] == 90.5
    assert {s[1]["status"]: s[2] for s in families["triagebot_support_api_circuit"]["samples"]} == {
        "closed": 0, "half_open": 0, "open": 1,
    }  # fmt: skip
    metrics.set_breaker(None)
    assert parse(metrics.render())["triagebot_support_api_circuit"]["samples"] == []


# -- hooked into the triage flow and the feedback service --------------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / "bot.db")
    yield store
    await store.close()


def msg(message_id: int, content: str, user_id: int = 5) -> IncomingMessage:
    return IncomingMessage(
        message_id=message_id, guild_id=GUILD, channel_id=CHANNEL, watch_root_id=CHANNEL, thread_id=None,
        author=Author(user_id=user_id), content=content,
    )  # fmt: skip


async def test_triage_decisions_are_counted_by_action_rule_and_language(
    store: SqliteStore, engine: TriageEngine
) -> None:
    metrics = Metrics()
    flow = TriageFlow(
        config=store.config, replies=store.replies, cooldowns=store.cooldowns, engines=EngineHolder(engine),
        incidents=IncidentBoard(), thresholds=load_settings({}, env_file=None).triage, clock=lambda: NOW,
        metrics=metrics,
    )  # fmt: skip
    await flow.handle(msg(1, "How do I configure the widget update channel?"))  # not watched: not a decision
    await store.config.watch_channel(GUILD, CHANNEL)
    await store.config.update_config(GUILD, channel_cooldown_seconds=0)
    messages = [
        "How do I configure the widget update channel?",
        "thanks a lot, that fixed it!",
        "Comment configurer le canal de mise à jour du widget ?",
    ]
    outcomes = [await flow.handle(msg(i + 2, text, user_id=20 + i)) for i, text in enumerate(messages)]
    decided = [(o.result.decision.action.value, o.result.decision.rule, o.result.analysis.lang) for o in outcomes]
    families = parse(metrics.render())
    counted = {
        (s[1]["action"], s[1]["rule"], s[1]["lang"]): s[2] for s in families["triagebot_decisions_total"]["samples"]
    }
    expected: dict[tuple[str, str, str], float] = {}
    for key in decided:
        expected[key] = expected.get(key, 0) + 1
    assert counted == expected and sum(counted.values()) == 3
    assert {k[0] for k in counted} >= {"answer", "silent"} and {k[2] for k in counted} >= {"en", "fr"}
    check_histograms(families)
    latency = [s for s in families["triagebot_triage_seconds"]["samples"] if s[0] == "triagebot_triage_seconds_count"]
    assert sum(s[2] for s in latency) == 3
    confidence = families["triagebot_decision_confidence"]["samples"]
    assert sum(s[2] for s in confidence if s[0].endswith("_count")) == 3
    # No message text and no ids: only the bounded label names.
    assert "widget" not in metrics.render().lower()
    names = {k for data in families.values() for _, labels, _ in data["samples"] for k in labels}
    assert names <= {"action", "rule", "lang", "kind", "status", "le"}


async def test_feedback_presses_are_counted_by_result(store: SqliteStore, engine: TriageEngine) -> None:
    metrics = Metrics()
    service = FeedbackService(
        replies=store.replies, config=store.config, engines=EngineHolder(engine), clock=lambda: NOW, metrics=metrics
    )

    async def ask() -> str:
        return ""

    await service.press(Press.SOLVED, 404, GUILD, Author(5), ask)
    await service.press(Press.NOT_HELPFUL, 405, GUILD, Author(5), ask)
    assert metrics.feedback.value(kind="untracked") == 2
    samples = parse(metrics.render())["triagebot_feedback_total"]["samples"]
    assert samples == [("triagebot_feedback_total", {"kind": "untracked"}, 2.0)]
