"""The closed vocabularies of the project, defined once: languages, intents, reproduction details, policy routes and
support-request categories.

Every other module (the core, the cogs, the benchmarks, the tests and the support-API sandbox) imports these names
from here; a few modules re-export them (``bot.core.faq.LANGS``, ``bot.core.analysis.ROUTES``,
``bot.core.eligibility.REQUEST_CATEGORIES``) for their existing callers. The string values are stable: they are
stored in SQLite, written in the model artefacts and the JSON output, keyed in the TOML resources and the brand
profiles, and sent to the support API. Enumerations are :class:`~enum.StrEnum`, so a member compares, hashes and
formats as its value (``Route.BILLING == "billing"``).

Pure module: standard library only.
"""

from __future__ import annotations

from enum import StrEnum

#: the community languages, in the order every table and model lists them
LANGS: tuple[str, ...] = ("en", "fr", "es", "it", "de", "pt", "id", "zh")


class Intent(StrEnum):
    """What the author of a message wants."""

    QUESTION = "question"
    BUG_REPORT = "bug_report"
    CHITCHAT = "chitchat"
    OTHER = "other"


#: reproduction details a bug report should carry, in the order a reminder lists them
DETAILS: tuple[str, ...] = ("error", "code", "versions", "platform", "steps")


class Route(StrEnum):
    """A policy route: the message is for the team, not for the FAQ (README, "Decision order")."""

    BILLING = "billing"
    ACCOUNT = "account"
    OUT_OF_SCOPE = "out_of_scope"
    INCIDENT = "incident"
    ESCALATE = "escalate"


#: every route, in the order of the route model's classes (after "none")
ROUTES: tuple[str, ...] = tuple(route.value for route in Route)
#: routes answered with the support-policy reply alone (no incident notice, no escalation)
POLICY_REPLY_ROUTES: tuple[str, ...] = (Route.BILLING.value, Route.ACCOUNT.value, Route.OUT_OF_SCOPE.value)


class RequestCategory(StrEnum):
    """Category of an official-support request (the support API's ``category``)."""

    LIVE_UPDATES = "live_updates"
    APP_MANAGEMENT = "app_management"
    ANALYTICS = "analytics"
    CONFIGURATION = "configuration"
    TROUBLESHOOTING = "troubleshooting"
    BILLING = "billing"
    ACCOUNT = "account"


#: every request category, in the order the escalation form lists them
REQUEST_CATEGORIES: tuple[str, ...] = tuple(category.value for category in RequestCategory)
#: categories every customer gets help with, whatever the plan or role (support policy: "billing and
#: account-management help is available to all customers")
OPEN_CATEGORIES: frozenset[str] = frozenset({RequestCategory.BILLING.value, RequestCategory.ACCOUNT.value})
#: the technical categories: limited technical support, for paid organisations and Developer-or-higher requesters
#: (which of them a brand covers is the profile's ``policy.covered_categories``)
TECHNICAL_CATEGORIES: tuple[str, ...] = tuple(c for c in REQUEST_CATEGORIES if c not in OPEN_CATEGORIES)
