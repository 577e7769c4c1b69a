"""The bot's metrics: counters, gauges and histograms with labels, rendered in the Prometheus text format 0.0.4.

Pure (no I/O, no clock): the triage flow and the feedback service count into a :class:`Metrics`, the health server
(`bot/services/health.py`) sets the outbox gauges when scraped and serves :meth:`Metrics.render` at ``/metrics``.
Written by hand rather than with ``prometheus_client``: about 80 lines for the three types we use, no extra
dependency, no process-global default registry (every `Deps` gets its own), and the aiohttp server is already there.

Privacy: label names are limited to ``action``, ``rule``, ``lang``, ``kind`` and ``status`` (bounded vocabularies
from the core), so no message text and no user or channel id can become a label; a metric also keeps at most
`MAX_SERIES` label combinations (further ones are counted under ``"other"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

ALLOWED_LABELS = frozenset({"action", "rule", "lang", "kind", "status"})
MAX_SERIES = 200
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
OUTBOX_STATUSES = ("pending", "sent", "failed")
BREAKER_STATES = ("closed", "half_open", "open")


def number(value: float) -> str:
    """Return a sample value as the exposition format writes it (integers without ".0", +Inf, -Inf, NaN)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def escape_label(value: str) -> str:
    """Escape a label value: backslash, double quote and line feed."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    text = ",".join(f'{name}="{escape_label(value)}"' for name, value in pairs)
    return "{" + text + "}" if text else ""


class Metric:
    """One metric family: name, help text, label names and its series (label values -> state)."""

    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        if not _NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        if not set(labels) <= ALLOWED_LABELS or len(set(labels)) != len(labels):
            raise ValueError(f"metric {name}: labels must be distinct names among {sorted(ALLOWED_LABELS)}")
        self.name, self.help, self.labels = name, help_text, labels

    def key(self, values: Mapping[str, str], series: Mapping[tuple[str, ...], object]) -> tuple[str, ...]:
        """The series key of `values` (exactly this metric's labels); "other" once `MAX_SERIES` are in use."""
        if set(values) != set(self.labels):
            raise ValueError(f"metric {self.name} takes labels {self.labels}, got {tuple(values)}")
        key = tuple(str(values[name]) for name in self.labels)
        return key if key in series or len(series) < MAX_SERIES else ("other",) * len(key)

    def header(self) -> list[str]:
        """The HELP and TYPE lines."""
        help_text = self.help.replace("\\", "\\\\").replace("\n", "\\n")
        return [f"# HELP {self.name} {help_text}", f"# TYPE {self.name} {self.kind}"]

    def samples(self) -> list[str]:
        """The sample lines, series in label order."""
        raise NotImplementedError


class Counter(Metric):
    """A value that only goes up."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        super().__init__(name, help_text, labels)
        self.series: dict[tuple[str, ...], float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        """Add `amount` (>= 0) to the series of `labels`."""
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = self.key(labels, self.series)
        self.series[key] = self.series.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        """The current value of a series (0 when never counted)."""
        return self.series.get(tuple(labels.get(n, "") for n in self.labels), 0.0)

    def samples(self) -> list[str]:
        """The sample lines, series in label order."""
        return [
            f"{self.name}{_labels(zip(self.labels, k, strict=True))} {number(v)}"
            for k, v in sorted(self.series.items())
        ]


class Gauge(Counter):
    """A value that is set (read when scraped)."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        """Set the series of `labels` to `value`."""
        self.series[self.key(labels, self.series)] = value

    def clear(self) -> None:
        """Forget every series (before setting the current ones)."""
        self.series.clear()


class Histogram(Metric):
    """Observations counted in cumulative buckets, with their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = (), *, buckets: Iterable[float]) -> None:
        super().__init__(name, help_text, labels)
        if "le" in labels:
            raise ValueError("'le' is the bucket label")
        self.buckets = tuple(sorted(set(buckets)))
        self.series: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}  # key -> (per bucket, [sum, count])

    def observe(self, value: float, **labels: str) -> None:
        """Count one observation in the series of `labels`."""
        key = self.key(labels, self.series)
        counts, totals = self.series.setdefault(key, ([0] * len(self.buckets), [0.0, 0.0]))
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                counts[i] += 1
                break
        totals[0] += value
        totals[1] += 1

    def count(self, **labels: str) -> int:
        """How many observations a series has."""
        series = self.series.get(tuple(labels.get(n, "") for n in self.labels))
        return int(series[1][1]) if series else 0

    def samples(self) -> list[str]:
        """The bucket lines (cumulative, ending with +Inf), then _sum and _count, per series in label order."""
        lines: list[str] = []
        for key, (counts, (total, count)) in sorted(self.series.items()):
            pairs = list(zip(self.labels, key, strict=True))
            running = 0
            for bound, n in zip(self.buckets, counts, strict=True):
                running += n
                lines.append(f"{self.name}_bucket{_labels([*pairs, ('le', number(bound))])} {running}")
            lines.append(f"{self.name}_bucket{_labels([*pairs, ('le', '+Inf')])} {number(count)}")
            lines.append(f"{self.name}_sum{_labels(pairs)} {number(total)}")
            lines.append(f"{self.name}_count{_labels(pairs)} {number(count)}")
        return lines


M = TypeVar("M", bound=Metric)


class Registry:
    """The metric families of one bot, rendered in registration order."""

    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}

    def _add(self, metric: M) -> M:
        if metric.name in self.metrics:
            raise ValueError(f"metric {metric.name} already registered")
        self.metrics[metric.name] = metric
        return metric

    def counter(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> Counter:
        """Register and return a counter."""
        return self._add(Counter(name, help_text, labels))

    def gauge(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
        """Register and return a gauge."""
        return self._add(Gauge(name, help_text, labels))

    def histogram(
        self, name: str, help_text: str, labels: tuple[str, ...] = (), *, buckets: Iterable[float]
    ) -> Histogram:
        """Register and return a histogram."""
        return self._add(Histogram(name, help_text, labels, buckets=buckets))

    def render(self) -> str:
        """The whole exposition text (format 0.0.4), ending with a line feed."""
        return "".join(line + "\n" for m in self.metrics.values() for line in (*m.header(), *m.samples()))


class Metrics:
    """What the bot counts: decisions, their confidence and latency, feedback, and the outbox state when scraped."""

    def __init__(self) -> None:
        self.registry = r = Registry()
        self.decisions = r.counter(
            "triagebot_decisions_total", "Triage decisions by action, rule and language.", ("action", "rule", "lang")
        )
        self.confidence = r.histogram(
            "triagebot_decision_confidence", "Top match confidence of each decision.", ("action",),
            buckets=CONFIDENCE_BUCKETS,
        )  # fmt: skip
        self.latency = r.histogram(
            "triagebot_triage_seconds", "Time from a watched message to its recorded decision.", ("action",),
            buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.feedback = r.counter("triagebot_feedback_total", "Feedback button presses by result.", ("kind",))
        self.outbox = r.gauge("triagebot_outbox_escalations", "Escalations in the outbox by status.", ("status",))
        self.outbox_oldest = r.gauge(
            "triagebot_outbox_oldest_pending_seconds", "Age of the oldest pending escalation (0 when none)."
        )
        self.breaker = r.gauge(
            "triagebot_support_api_circuit", "Support API circuit breaker: 1 for its current state.", ("status",)
        )

    def decision(self, *, action: str, rule: str, lang: str, confidence: float, seconds: float) -> None:
        """Count one recorded triage decision."""
        self.decisions.inc(action=action, rule=rule, lang=lang or "unknown")
        self.confidence.observe(confidence, action=action)
        self.latency.observe(seconds, action=action)

    def feedback_pressed(self, kind: str) -> None:
        """Count one feedback press by what it did (solved, not_helpful, dismissed, not_allowed...)."""
        self.feedback.inc(kind=kind)

    def set_outbox(self, counts: Mapping[str, int], oldest_pending_seconds: float | None) -> None:
        """Set the outbox gauges from the store's counts per status and the oldest pending row's age."""
        self.outbox.clear()
        for status in sorted({*OUTBOX_STATUSES, *counts}):
            self.outbox.set(counts.get(status, 0), status=status)
        self.outbox_oldest.set(oldest_pending_seconds or 0.0)

    def set_breaker(self, state: str | None) -> None:
        """Set the circuit breaker gauge (None: no support API configured, no series)."""
        self.breaker.clear()
        for status in () if state is None else sorted({*BREAKER_STATES, state}):
            self.breaker.set(1.0 if status == state else 0.0, status=status)

    def render(self) -> str:
        """The exposition text of every metric."""
        return self.registry.render()
