"""Who may open an official-support ticket, and how fast the first response is due (pure; policy passed in).

The rules come from the support policy (see /work/shared/seeds/README.md) through `Policy` (the `[policy]`
section of the brand profile); nothing here hard-codes a plan, a status, an add-on or a role name.

- Billing and account-management help is for every customer: a linked Discord user with a registered
  account in the organisation concerned is eligible, whatever the plan, the subscription or the role
  (a billing admin included).
- Limited technical support is for organisations using paid resources (a paid plan with a paying
  subscription status) and/or paid add-ons, for covered request categories, from a requester with
  Developer or higher access to the app concerned (or to the whole organisation).

Order of the checks for a technical request, first failure wins:

1. `not_linked`, `no_org`, `unknown_org`, `unknown_app` - identity first: until we know which organisation
   and app the request is about, no other rule can even be evaluated, and the fix (`/link`, be invited to an
   organisation, pick the right organisation or app) takes seconds.
2. `out_of_scope`, `category` - the nature of the request next: no plan, add-on or role can ever make
   "debug my app" or an uncovered category eligible, so the user must learn this before being told to
   pay or to ask for a role (otherwise they could upgrade, come back and still be refused).
3. `not_paid` - an organisation-wide fact: when the organisation has no paid plan or add-on, nobody in
   it is eligible, so asking an admin for a Developer role would be a wasted errand.
4. `role` - the last, personal and cheapest fix: an organisation admin grants the role.

`precheck` runs the account-level part of these rules before any form is shown (when the account is read, the
request's app, category and text are not known yet): not linked, no organisation, no organisation with paid
resources, no Developer-or-higher role in any paid organisation. Those facts cannot change by filling in the form,
so the requester learns them at once; `check_eligibility` still decides the submitted request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.core.policy import Policy

# The request categories are defined in bot.core.vocabulary; re-exported here for the callers that import them
# with the eligibility check. OPEN_CATEGORIES: billing and account help is for every customer.
from bot.core.vocabulary import OPEN_CATEGORIES as OPEN_CATEGORIES
from bot.core.vocabulary import REQUEST_CATEGORIES as REQUEST_CATEGORIES

FAILURES: tuple[str, ...] = (
    "not_linked",
    "no_org",
    "unknown_org",
    "unknown_app",
    "out_of_scope",
    "category",
    "not_paid",
    "role",
)
SEVERITIES: tuple[int, ...] = (1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class AppAccess:
    """The requester's access to one app of an organisation (`role` None: no app-level role)."""

    app_id: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """One organisation the requester belongs to, with its subscription and the requester's roles."""

    org_id: str
    plan: str | None
    subscription_status: str | None
    addons: tuple[str, ...] = ()
    over_quota: bool = False
    role: str | None = None
    apps: tuple[AppAccess, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountAccess:
    """A customer account linked to a Discord user, and the organisations it belongs to."""

    account_id: str
    orgs: tuple[OrgAccess, ...] = ()


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The verdict: eligible, or the first failed rule with an English reason (for logs) and next step."""

    eligible: bool
    failed: str | None  # one of FAILURES, or None when eligible
    reason: str  # English, for logs and staff; no personal data (ids only)
    next_step: str  # English, what the requester (or the bot) should do next
    tier: str | None = None  # plan of the organisation concerned (lower case), once it is known
    org_id: str | None = None
    app_id: str | None = None

    @property
    def message_key(self) -> str | None:
        """Key of the localised refusal in the escalation texts ("refuse.<failed>"), None when eligible."""
        return f"refuse.{self.failed}" if self.failed else None


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def _norm_set(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_norm(v) for v in values if _norm(v))


def is_paid(org: OrgAccess, policy: Policy) -> bool:
    """True when the organisation uses paid resources: a paid plan with a paying status, or a paid add-on.

    A trial or free plan is not paid unless the policy lists it; a cancelled subscription is not paid (the
    account service reports `active` until the end of the paid period, so access lasts as long as it should).
    Which statuses count as paying is the policy's `paid_statuses` (the shipped profiles: `active` only; a
    `past_due` subscription is one whose payment stopped, see README "Official support").
    """
    paid_plan = _norm(org.plan) in _norm_set(policy.paid_plans)
    paying = _norm(org.subscription_status) in _norm_set(policy.paid_statuses)
    addon = bool({_norm(a) for a in org.addons} & _norm_set(policy.paid_addons))
    return (paid_plan and paying) or addon


def has_developer_access(org: OrgAccess, app_id: str | None, policy: Policy) -> bool:
    """Developer or higher on the organisation, or on the app concerned.

    Without an app (a question about the organisation's setup in general), a Developer role on any of the
    organisation's apps is enough: the requester is a developer of that organisation.
    """
    roles = _norm_set(policy.developer_roles)
    if _norm(org.role) in roles:
        return True
    apps = org.apps if app_id is None else tuple(a for a in org.apps if a.app_id == app_id)
    return any(_norm(a.role) in roles for a in apps)


def _pick_org(account: AccountAccess, org_id: str | None) -> OrgAccess | None:
    if org_id is None:
        return account.orgs[0] if len(account.orgs) == 1 else None
    return next((o for o in account.orgs if o.org_id == org_id), None)


def _not_linked() -> Eligibility:
    return Eligibility(
        False,
        "not_linked",
        "the Discord user has no linked customer account",
        "link the account with /link, then try again",
    )


def _no_org(org_id: str | None = None, app_id: str | None = None) -> Eligibility:
    return Eligibility(
        False,
        "no_org",
        "the account belongs to no organisation",
        "ask an organisation admin to invite the account (or create an organisation in the console), then try again",
        org_id=org_id,
        app_id=app_id,
    )


def precheck(account: AccountAccess | None, policy: Policy) -> Eligibility:
    """The account-level rules, decided before any form is shown (see the module docstring).

    Eligible means "the form may be shown": at least one organisation of the account uses paid resources and the
    requester has Developer-or-higher access in it (on the organisation or on one of its apps). Otherwise the first
    failure among `not_linked`, `no_org`, `not_paid` (no organisation uses paid resources) and `role` (paid
    organisations exist, but in none of them the requester is a Developer or higher). The refusal's tier and
    organisation are set when the account has exactly one organisation. The final check at submission
    (`check_eligibility`, with the app, category and text) still decides the request itself.
    """
    if account is None:
        return _not_linked()
    if not account.orgs:
        return _no_org()
    only = account.orgs[0] if len(account.orgs) == 1 else None
    ids = {"tier": _norm(only.plan) or None, "org_id": only.org_id} if only is not None else {}
    paid = [org for org in account.orgs if is_paid(org, policy)]
    if not paid:
        return Eligibility(
            False,
            "not_paid",
            f"none of the account's {len(account.orgs)} organisation(s) has a paid plan with a paying status "
            "or a paid add-on",
            "upgrade the plan (or settle the payment) in the console, or add a paid support option; "
            "the community can help meanwhile",
            **ids,
        )
    qualified = [org for org in paid if has_developer_access(org, None, policy)]
    if not qualified:
        return Eligibility(
            False,
            "role",
            f"the requester has no Developer-or-higher role in any of the {len(paid)} paid organisation(s)",
            "ask an organisation admin for Developer access to the app",
            **ids,
        )
    single = qualified[0] if len(qualified) == 1 else None
    return Eligibility(
        True,
        None,
        f"{len(qualified)} paid organisation(s) where the requester is a Developer or higher",
        "show the escalation form",
        tier=(_norm(single.plan) or None) if single else None,
        org_id=single.org_id if single else None,
    )


def check_eligibility(
    account: AccountAccess | None,
    *,
    org_id: str | None,
    app_id: str | None,
    category: str,
    out_of_scope: bool,
    policy: Policy,
) -> Eligibility:
    """Decide whether the request may become an official-support ticket (see the module docstring)."""
    if account is None:
        return _not_linked()
    if not account.orgs:
        return _no_org(org_id, app_id)
    org = _pick_org(account, org_id)
    if org is None:
        if org_id is None:
            why = f"no organisation given and the account belongs to {len(account.orgs)}"
        else:
            why = f"organisation {org_id} is not one of the account's organisations"
        return Eligibility(
            False,
            "unknown_org",
            why,
            "choose one of your organisations (or ask its admin to invite you), then try again",
            org_id=org_id,
            app_id=app_id,
        )
    tier = _norm(org.plan) or None
    known_app = app_id is not None and any(a.app_id == app_id for a in org.apps)
    cat = _norm(category)
    if cat in OPEN_CATEGORIES:
        # Billing and account help: every customer of the organisation; the app does not matter.
        return Eligibility(
            True,
            None,
            f"{cat} help is open to every customer of the organisation",
            "open a ticket (or write to the support e-mail from the account's address)",
            tier=tier,
            org_id=org.org_id,
            app_id=app_id if known_app else None,
        )
    if app_id is not None and not known_app:
        return Eligibility(
            False,
            "unknown_app",
            f"app {app_id} is not in organisation {org.org_id}",
            "choose an app of this organisation, or leave the app empty",
            tier=tier,
            org_id=org.org_id,
            app_id=app_id,
        )
    ids = {"tier": tier, "org_id": org.org_id, "app_id": app_id}
    if out_of_scope or cat in _norm_set(policy.not_covered):
        return Eligibility(
            False,
            "out_of_scope",
            "debugging or rewriting the requester's own app code, or patching third-party software, is not covered",
            "ask the community with a minimal reproduction",
            **ids,
        )
    if cat not in _norm_set(policy.covered_categories):
        return Eligibility(
            False,
            "category",
            f"request category {category!r} is not covered by official support",
            "read the support policy; ask the community instead",
            **ids,
        )
    if not is_paid(org, policy):
        return Eligibility(
            False,
            "not_paid",
            f"organisation {org.org_id} has no paid plan or add-on "
            f"(plan {tier or 'none'}, status {_norm(org.subscription_status) or 'none'})",
            "upgrade the plan in the console or add a paid support option; the community can help meanwhile",
            **ids,
        )
    if not has_developer_access(org, app_id, policy):
        where = f"app {app_id}" if app_id else f"organisation {org.org_id}"
        return Eligibility(
            False,
            "role",
            f"the requester has no Developer-or-higher role on {where}",
            "ask an organisation admin for Developer access to the app",
            **ids,
        )
    quota = "; the organisation is over its plan's limits (updates are paused)" if org.over_quota else ""
    return Eligibility(
        True,
        None,
        f"paid organisation, covered category {cat}, Developer access{quota}",
        "open a ticket",
        **ids,
    )


# --- SLA ---------------------------------------------------------------------------------------------------

# Business hours, Mon-Fri. The SLA page says "6am-6pm local time"; the bot has no reliable time zone for a
# customer, so it counts them in UTC. The deadline is a target shown to people, not a contract enforcer.
BUSINESS_START = time(6, 0)
BUSINESS_END = time(18, 0)
BUSINESS_DAY = timedelta(hours=BUSINESS_END.hour - BUSINESS_START.hour)  # one business day = 12 business hours

_SLA_TEXT = re.compile(
    r"^\s*(?P<n>\d+(?:[.,]\d+)?)\s*(?P<business>business\s+|working\s+)?"
    r"(?P<unit>minutes?|mins?|hours?|hrs?|h|days?|d)\b\s*(?P<always>,?\s*24\s*/\s*7)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SlaDuration:
    """A parsed first-response target: an amount of wall time, or of business time."""

    amount: timedelta
    business: bool


def parse_sla(text: str) -> SlaDuration:
    """Parse "1 hour, 24/7", "24 h", "2 business hours", "1 business day"...; ValueError if not understood."""
    m = _SLA_TEXT.match(text or "")
    if not m:
        raise ValueError(f"unparseable SLA response time: {text!r}")
    business = bool(m["business"])
    if business and m["always"]:
        raise ValueError(f"SLA response time cannot be both business time and 24/7: {text!r}")
    n = float(m["n"].replace(",", "."))
    unit = m["unit"].lower()
    if unit.startswith("min"):
        amount = timedelta(minutes=n)
    elif unit.startswith("h"):
        amount = timedelta(hours=n)
    else:
        amount = n * BUSINESS_DAY if business else timedelta(days=n)
    return SlaDuration(amount, business)


def sla_for(tier: str | None, severity: int, policy: Policy) -> str | None:
    """First-response target of a plan for a severity (1 urgent .. 4 low), as configured; None = no SLA."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    if not tier:
        return None
    table = policy.sla.get(_norm(tier))
    if table is None:
        table = next((t for plan, t in policy.sla.items() if _norm(plan) == _norm(tier)), None)
    return None if table is None else table.get(severity)


def add_business_time(start: datetime, amount: timedelta) -> datetime:
    """Add business time (Mon-Fri, BUSINESS_START..BUSINESS_END, in the timezone of `start`) to `start`."""
    cursor, remaining = start, amount
    while True:
        day_start = cursor.replace(hour=BUSINESS_START.hour, minute=0, second=0, microsecond=0)
        day_end = cursor.replace(hour=BUSINESS_END.hour, minute=0, second=0, microsecond=0)
        if cursor.weekday() >= 5 or cursor >= day_end:
            cursor = day_start + timedelta(days=1)
            continue
        cursor = max(cursor, day_start)
        if remaining <= day_end - cursor:
            return cursor + remaining
        remaining -= day_end - cursor
        cursor = day_start + timedelta(days=1)


def sla_deadline(tier: str | None, severity: int, created_at: datetime, policy: Policy) -> datetime | None:
    """When the first response is due (UTC), or None when the plan has no SLA.

    24/7 (and plain "24 h") targets add wall time; business targets count Mon-Fri 06:00-18:00 UTC only.
    `created_at` must be timezone-aware. ValueError for an unparseable configured text.
    """
    text = sla_for(tier, severity, policy)
    if text is None:
        return None
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("created_at must be timezone-aware")
    duration = parse_sla(text)
    start = created_at.astimezone(UTC)
    return add_business_time(start, duration.amount) if duration.business else start + duration.amount
