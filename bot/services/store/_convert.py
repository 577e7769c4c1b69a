"""Conversions and checks shared by the repositories: stored timestamps, ids, flags, numbers.

Timestamps cross the API as tz-aware datetimes passed in by the caller (`now`); the store never reads the clock.
They are stored as fixed-width UTC ISO-8601 text, so text order is time order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TypeVar

K = TypeVar("K")


def advance(cache: dict[K, datetime | None], key: K, now: datetime) -> None:
    """Keep a cached "last time" in step with a write that stored max(old, now) (only keys already cached)."""
    if key in cache:
        old = cache[key]
        moment = now.astimezone(UTC)
        cache[key] = moment if old is None or moment > old else old


def names(values: Iterable[str]) -> str:
    """Return `values` sorted and comma-separated, for error messages."""
    return ", ".join(sorted(values))


def aware(name: str, value: object) -> datetime:
    """Return `value` if it is a tz-aware datetime; raise `ValueError` naming `name` otherwise."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value


def ts(value: datetime, name: str = "now") -> str:
    """Return the stored form of a tz-aware datetime: fixed-width UTC ISO-8601 text."""
    return aware(name, value).astimezone(UTC).isoformat(timespec="microseconds")


def dt(text: str | None) -> datetime | None:
    """Return the datetime of a stored timestamp (None stays None)."""
    return None if text is None else datetime.fromisoformat(text)


def snowflake(name: str, value: object) -> int:
    """Return `value` if it is a positive integer id (a Discord snowflake); raise `ValueError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer id, got {value!r}")
    return value


def flag(name: str, value: object) -> bool:
    """Return `value` if it is True or False (not merely truthy); raise `ValueError` otherwise."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def finite(name: str, value: object) -> float:
    """Return `value` as a float if it is a finite number (not a bool); raise `ValueError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def str_tuple(name: str, value: object) -> tuple[str, ...]:
    """Return `value` as a tuple of strings (a lone string is refused); raise `ValueError` otherwise."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a sequence of strings, got {value!r}")
    items = tuple(value)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{name} must be a sequence of strings, got {value!r}")
    return items


def int_in_range(name: str, value: object, low: int, high: int) -> int:
    """Return `value` if it is an integer from `low` to `high`; raise `ValueError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value
