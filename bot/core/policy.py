"""The support-policy values official-support eligibility is computed from (pure data).

They come from the ``[policy]`` section of the brand profile (``bot/settings.py`` reads and validates it); the core
(:mod:`bot.core.eligibility`) takes a :class:`Policy` as an argument, so it never imports the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    """Support-policy values (eligibility, SLA tiers); never hard-coded."""

    paid_plans: tuple[str, ...]
    paid_statuses: tuple[str, ...]
    paid_addons: tuple[str, ...]
    developer_roles: tuple[str, ...]
    covered_categories: tuple[str, ...]
    not_covered: tuple[str, ...]
    premium_support_plans: tuple[str, ...]
    sla: Mapping[str, Mapping[int, str]]
