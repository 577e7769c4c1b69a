"""Conversions of the PostgreSQL repositories: timestamps go in and out as tz-aware datetimes (TIMESTAMPTZ)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.store._convert import aware, ts


def at(value: datetime, name: str = "now") -> datetime:
    """Return a tz-aware datetime in UTC for a TIMESTAMPTZ parameter; `ValueError` naming `name` otherwise."""
    return aware(name, value).astimezone(UTC)


def text(value: datetime) -> str:
    """Return a stored moment in the SQLite store's text form (fixed-width UTC ISO-8601), where an API returns it."""
    return ts(value)
