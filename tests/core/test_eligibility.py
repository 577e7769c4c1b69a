import dataclasses
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.eligibility import (
    FAILURES,
    REQUEST_CATEGORIES,
    SEVERITIES,
    AccountAccess,
    AppAccess,
    Eligibility,
    OrgAccess,
    check_eligibility,
    parse_sla,
    precheck,
    sla_deadline,
    sla_for,
)
from bot.core.faq import LEFTOVER_MARKER
from bot.core.render import RenderContext, message
from bot.core.resources import ESCALATION_EXTRA_PLACEHOLDERS, load_escalation_texts
from bot.core.vocabulary import LANGS
from bot.settings import load_settings

POLICY = load_settings({}, env_file=None).policy
REFUSALS = load_escalation_texts().messages

PLANS = ("free", "trial", "solo", "maker", "team", "enterprise")
STATUSES = ("active", "trialing", "past_due", "cancelled", None)
ORG_ROLES = ("org_super_admin", "org_admin", "org_billing_admin", "org_member", None)
APP_ROLES = (
    "app_admin",
    "app_developer",
    "app_uploader",
    "app_reader",
    "app_preview",
    "write",
    "admin",
    "super_admin",
    "upload",
    "read",
    None,
)
ADDONS = ((), ("usage_credits",), ("premium_support",))

# --- An independent, literal reading of the support policy (capgo-facts.md), not the code under test ---------
# "Limited technical support is for customers using paid resources and/or paid add-ons": the four paid plans
# with an active subscription; trial and free are not paid. past_due is not paying: the policy's "Service disruption
# and plan ending" says that once payment stops no new updates are served, so no paid resource is in use (billing
# help, which is what a past-due customer needs, is open to everyone).
SPEC_PAID_PLANS = {"solo", "maker", "team", "enterprise"}
SPEC_PAYING_STATUSES = {"active"}
SPEC_PAID_ADDONS = {"usage_credits", "premium_support"}
# "Developer or higher access" = app_developer, app_admin, org_admin, org_super_admin (legacy write, admin,
# super_admin). Not enough: uploader, reader, preview, org member, billing admin.
SPEC_DEVELOPER = {"app_developer", "app_admin", "org_admin", "org_super_admin", "write", "admin", "super_admin"}
# Scope: configuration and troubleshooting of Live Updates, App Management, Analytics.
SPEC_COVERED = {"live_updates", "app_management", "analytics", "configuration", "troubleshooting"}
# "Billing and account-management help is available to all customers."
SPEC_OPEN = {"billing", "account"}


def spec(plan, status, addons, org_role, app_role, category, out_of_scope) -> str | None:
    if category in SPEC_OPEN:
        return None
    if out_of_scope:
        return "out_of_scope"
    if category not in SPEC_COVERED:
        return "category"
    paid = (plan in SPEC_PAID_PLANS and status in SPEC_PAYING_STATUSES) or bool(set(addons) & SPEC_PAID_ADDONS)
    if not paid:
        return "not_paid"
    if org_role not in SPEC_DEVELOPER and app_role not in SPEC_DEVELOPER:
        return "role"
    return None


def account(plan="team", status="active", addons=(), org_role=None, app_role="app_developer", *, extra_apps=()):
    org = OrgAccess("org-1", plan, status, tuple(addons), False, org_role, (AppAccess("app-1", app_role), *extra_apps))
    return AccountAccess("acct-1", (org,))


def test_the_real_policy_is_what_the_spec_reads() -> None:
    assert set(POLICY.paid_plans) == SPEC_PAID_PLANS
    assert set(POLICY.paid_statuses) == SPEC_PAYING_STATUSES
    assert set(POLICY.paid_addons) == SPEC_PAID_ADDONS
    assert set(POLICY.developer_roles) == SPEC_DEVELOPER
    assert set(POLICY.covered_categories) == SPEC_COVERED
    assert set(REQUEST_CATEGORIES) == SPEC_COVERED | SPEC_OPEN


@pytest.mark.parametrize("plan", PLANS)
def test_every_combination_matches_the_policy(plan: str) -> None:
    mismatches = []
    combos = itertools.product(STATUSES, ADDONS, ORG_ROLES, APP_ROLES, REQUEST_CATEGORIES, (False, True))
    count = 0
    for status, addons, org_role, app_role, category, oos in combos:
        acct = account(plan, status, addons, org_role, app_role)
        expected = spec(plan, status, addons, org_role, app_role, category, oos)
        for org_id, app_id in (("org-1", "app-1"), (None, "app-1"), ("org-1", None)):
            result = check_eligibility(
                acct, org_id=org_id, app_id=app_id, category=category, out_of_scope=oos, policy=POLICY
            )
            count += 1
            ok = (
                result.failed == expected
                and result.eligible is (expected is None)
                and result.tier == plan
                and result.org_id == "org-1"
                and result.reason
                and result.next_step
            )
            if not ok:
                mismatches.append((status, addons, org_role, app_role, category, oos, app_id, expected, result))
    assert count == 5 * 3 * 5 * 11 * 7 * 2 * 3
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:3]}"


# --- One explicit example per failure ---------------------------------------------------------------------


def check(acct, category="troubleshooting", org_id="org-1", app_id="app-1", oos=False, policy=POLICY):
    return check_eligibility(acct, org_id=org_id, app_id=app_id, category=category, out_of_scope=oos, policy=policy)


def test_not_linked() -> None:
    result = check(None)
    assert (result.eligible, result.failed, result.tier, result.message_key) == (
        False,
        "not_linked",
        None,
        "refuse.not_linked",
    )
    assert check(None, category="billing").failed == "not_linked"


def test_unknown_org() -> None:
    assert check(account(), org_id="org-2").failed == "unknown_org"
    two = AccountAccess("a", (OrgAccess("o1", "team", "active"), OrgAccess("o2", "solo", "active")))
    assert check(two, org_id=None, app_id=None).failed == "unknown_org"  # several orgs: must choose
    assert check(two, org_id="o2", app_id=None, category="billing").eligible
    # no organisation at all is its own failure, with its own message (there is nothing to pick from)
    assert check(AccountAccess("a", ()), org_id=None, category="billing").failed == "no_org"
    assert check(AccountAccess("a", ()), org_id="org-1").message_key == "refuse.no_org"


def test_unknown_app() -> None:
    result = check(account(), app_id="app-9")
    assert (result.failed, result.org_id, result.app_id, result.tier) == ("unknown_app", "org-1", "app-9", "team")
    # an app id from another organisation of the same account is still unknown in this one
    other = OrgAccess("org-2", "team", "active", apps=(AppAccess("app-2", "app_admin"),))
    acct = AccountAccess("a", (*account().orgs, other))
    assert check(acct, app_id="app-2").failed == "unknown_app"
    # billing does not care about the app
    billing = check(account(), app_id="app-9", category="billing")
    assert billing.eligible and billing.app_id is None


def test_out_of_scope() -> None:
    assert check(account(), oos=True).failed == "out_of_scope"
    assert check(account(), category="app_debugging").failed == "out_of_scope"  # a policy.not_covered category
    # beats not_paid and role: no upgrade would make it eligible
    assert check(account("free", None, app_role="app_reader"), oos=True).failed == "out_of_scope"


def test_category() -> None:
    assert check(account(), category="marketing").failed == "category"
    narrow = dataclasses.replace(POLICY, covered_categories=("live_updates",))
    assert check(account(), category="analytics", policy=narrow).failed == "category"
    assert check(account(), category="live_updates", policy=narrow).eligible
    assert check(account("free", None), category="marketing").failed == "category"  # before not_paid


def test_not_paid() -> None:
    for plan, status in (
        ("free", "active"),
        ("trial", "trialing"),
        ("team", "cancelled"),
        ("solo", None),
        ("maker", "past_due"),
    ):
        result = check(account(plan, status))
        assert result.failed == "not_paid" and result.message_key == "refuse.not_paid", (plan, status)
    assert check(account("free", None, app_role="app_reader")).failed == "not_paid"  # before role
    assert check(account("free", None, addons=("usage_credits",))).eligible
    trial_paid = dataclasses.replace(POLICY, paid_plans=(*POLICY.paid_plans, "trial"), paid_statuses=("trialing",))
    assert check(account("trial", "trialing"), policy=trial_paid).eligible


def test_role() -> None:
    assert check(account(app_role="app_uploader")).failed == "role"
    assert check(account(org_role="org_billing_admin", app_role=None)).failed == "role"
    assert check(account(org_role="org_member", app_role="app_developer")).eligible
    assert check(account(org_role="org_admin", app_role=None)).eligible
    # the role counts on the app concerned, not on another app of the organisation
    other = (AppAccess("app-2", "app_admin"),)
    assert check(account(app_role="app_reader", extra_apps=other), app_id="app-1").failed == "role"
    assert check(account(app_role="app_reader", extra_apps=other), app_id="app-2").eligible
    assert check(account(app_role="app_reader", extra_apps=other), app_id=None).eligible  # developer in the org
    # billing admins still get billing and account help
    assert check(account("free", None, org_role="org_billing_admin", app_role=None), category="billing").eligible


def test_names_are_case_insensitive_and_eligible_has_no_message() -> None:
    result = check(account("Enterprise", "Active", org_role="ORG_ADMIN", app_role=None))
    assert result.eligible and result.failed is None and result.message_key is None
    assert result.tier == "enterprise"


def test_every_failure_has_a_refusal_message() -> None:
    for failed in FAILURES:
        assert f"refuse.{failed}" in REFUSALS
    assert Eligibility(False, "role", "r", "n").message_key == "refuse.role"


# --- precheck: the account-level rules, before any form -------------------------------------------------------


def org(org_id="o1", plan="team", status="active", addons=(), role=None, app_roles=("app_developer",)):
    apps = tuple(AppAccess(f"{org_id}-app{i}", r) for i, r in enumerate(app_roles))
    return OrgAccess(org_id, plan, status, tuple(addons), False, role, apps)


@pytest.mark.parametrize(
    ("orgs", "failed", "org_id"),
    [
        (None, "not_linked", None),
        ((), "no_org", None),
        ((org(plan="free", status=None),), "not_paid", "o1"),
        ((org(plan="trial", status="trialing"),), "not_paid", "o1"),
        ((org(plan="maker", status="past_due"),), "not_paid", "o1"),
        ((org(plan="team", status="cancelled"),), "not_paid", "o1"),
        ((org(plan="free", status=None, addons=("usage_credits",)),), None, "o1"),  # a paid add-on is enough
        ((org(app_roles=("app_reader", "app_uploader")),), "role", "o1"),
        ((org(role="org_billing_admin", app_roles=()),), "role", "o1"),
        ((org(role="org_member", app_roles=("app_preview",)),), "role", "o1"),
        ((org(role="org_admin", app_roles=()),), None, "o1"),
        ((org(app_roles=("app_reader", "app_developer")),), None, "o1"),  # Developer on one of the org's apps
        ((org(app_roles=("write",)),), None, "o1"),  # legacy role name
        ((org(plan="Enterprise", status="ACTIVE", role="ORG_SUPER_ADMIN"),), None, "o1"),  # case-insensitive
        # several organisations: the form is shown when one of them qualifies; the refusal names none of them
        ((org("o1", plan="free", status=None), org("o2")), None, "o2"),
        ((org("o1", plan="free", status=None), org("o2", plan="solo", status="past_due")), "not_paid", None),
        ((org("o1", plan="free", status=None), org("o2", app_roles=("app_reader",))), "role", None),
        # Developer only in the unpaid organisation, a reader in the paid one: nowhere both
        ((org("o1", plan="free", status=None), org("o2", role="org_member", app_roles=("app_reader",))), "role", None),
        ((org("o1"), org("o2", plan="enterprise")), None, None),  # two qualify: the form asks which
    ],
)
def test_precheck_table(orgs, failed, org_id) -> None:
    account = None if orgs is None else AccountAccess("acct-1", orgs)
    result = precheck(account, POLICY)
    assert (result.eligible, result.failed, result.org_id) == (failed is None, failed, org_id)
    assert result.reason and result.next_step
    assert result.message_key == (f"refuse.{failed}" if failed else None)


@pytest.mark.parametrize("plan", PLANS)
def test_precheck_never_refuses_what_the_final_check_would_accept(plan: str) -> None:
    """A technical request the final check accepts is never refused before the form (and the precheck's refusals
    are the final check's verdict for every covered technical request of a single-organisation account)."""
    for status, addons, org_role, app_role in itertools.product(STATUSES, ADDONS, ORG_ROLES, APP_ROLES):
        acct = account(plan, status, addons, org_role, app_role)
        before = precheck(acct, POLICY)
        after = check(acct, category="troubleshooting", app_id=None)
        assert before.failed == after.failed, (plan, status, addons, org_role, app_role, before, after)


# --- every escalation text, rendered with realistic values ---------------------------------------------------


def realistic_values(lang: str) -> list[dict[str, str]]:
    """The values the bot passes to the texts, in the shapes it really passes them (see bot/exts)."""
    no_sla = REFUSALS["ticket.no_sla"][lang]
    slas = [text for table in POLICY.sla.values() for text in table.values()] + [no_sla]
    return [
        {"ticket_id": "T-1001", "where": "<#123456789012345678>", "sla": sla, "details": "- **Acme**: team (active)"}
        for sla in slas
    ]


@pytest.mark.parametrize("brand", ["capgo", "codepushgo"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_escalation_text_renders_without_double_stops_or_placeholders(brand: str, lang: str) -> None:
    settings = load_settings({"BRAND": brand}, env_file=None)
    ctx = RenderContext(settings.brand.placeholders(settings.docs_site.docs_url), settings.docs_site.base_url, ())
    for key in REFUSALS:
        declared = ESCALATION_EXTRA_PLACEHOLDERS.get(key, frozenset())
        for values in realistic_values(lang):
            text = message(key, lang, ctx, table=REFUSALS, **{k: v for k, v in values.items() if k in declared})
            for refusal_with_billing in (text, text + "\n" + message("billing.where", lang, ctx, table=REFUSALS)):
                assert ".." not in refusal_with_billing.replace("...", ""), (key, lang, text)
                assert "。。" not in refusal_with_billing and "。." not in refusal_with_billing, (key, lang, text)
            assert not LEFTOVER_MARKER.search(text) and "{" not in text and "}" not in text, (key, lang, text)
            assert text == text.strip() and "  " not in text, (key, lang, text)


def test_the_sla_values_are_phrases_that_fit_the_confirmation() -> None:
    # The confirmation ends its sentence after {sla}: a value ending with a stop would make "..".
    for table in POLICY.sla.values():
        assert all(not text.rstrip().endswith((".", "。")) for text in table.values())
    for lang in LANGS:
        assert not REFUSALS["ticket.no_sla"][lang].rstrip().endswith((".", "。")), lang
    assert set(SEVERITIES) == {1, 2, 3, 4}


# --- SLA ------------------------------------------------------------------------------------------------------


def test_sla_for_reads_the_policy() -> None:
    assert sla_for("enterprise", 1, POLICY) == "1 hour, 24/7"
    assert sla_for("Enterprise", 4, POLICY) == "2 business days"
    assert sla_for("team", 1, POLICY) is None  # the support policy: SLAs are Enterprise-only by default
    assert sla_for(None, 2, POLICY) is None
    with pytest.raises(ValueError):
        sla_for("enterprise", 5, POLICY)


@pytest.mark.parametrize(
    ("text", "amount", "business"),
    [
        ("1 hour, 24/7", timedelta(hours=1), False),
        ("24 h", timedelta(hours=24), False),
        ("24h, 24/7", timedelta(hours=24), False),
        ("2 business hours", timedelta(hours=2), True),
        ("1 business day", timedelta(hours=12), True),
        ("2 business days", timedelta(hours=24), True),
        ("30 minutes", timedelta(minutes=30), False),
        ("1.5 hours", timedelta(hours=1.5), False),
        ("3 days", timedelta(days=3), False),
    ],
)
def test_parse_sla(text: str, amount: timedelta, business: bool) -> None:
    parsed = parse_sla(text)
    assert (parsed.amount, parsed.business) == (amount, business)


@pytest.mark.parametrize("text", ["", "soon", "1 fortnight", "2 business hours, 24/7", "hour", "-1 hour", "1 h 30"])
def test_parse_sla_rejects_unparseable_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_sla(text)


def test_sla_deadline_raises_for_an_unparseable_configured_text() -> None:
    bad = dataclasses.replace(POLICY, sla={"enterprise": {1: "as fast as we can"}})
    with pytest.raises(ValueError):
        sla_deadline("enterprise", 1, datetime(2026, 3, 2, 10, tzinfo=UTC), bad)


# 2026-03-06 is a Friday, 2026-03-07/08 the weekend, 2026-03-09 a Monday.
@pytest.mark.parametrize(
    ("severity", "created", "due"),
    [
        (1, datetime(2026, 3, 7, 23, 30, tzinfo=UTC), datetime(2026, 3, 8, 0, 30, tzinfo=UTC)),  # 24/7: wall time
        (2, datetime(2026, 3, 6, 10, 0, tzinfo=UTC), datetime(2026, 3, 6, 12, 0, tzinfo=UTC)),
        (2, datetime(2026, 3, 6, 17, 0, tzinfo=UTC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),  # over the weekend
        (2, datetime(2026, 3, 7, 12, 0, tzinfo=UTC), datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),  # from a Saturday
        (2, datetime(2026, 3, 9, 3, 0, tzinfo=UTC), datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),  # before opening
        (2, datetime(2026, 3, 9, 16, 0, tzinfo=UTC), datetime(2026, 3, 9, 18, 0, tzinfo=UTC)),  # ends at closing
        (2, datetime(2026, 3, 9, 19, 0, tzinfo=UTC), datetime(2026, 3, 10, 8, 0, tzinfo=UTC)),  # after closing
        (3, datetime(2026, 3, 9, 10, 0, tzinfo=UTC), datetime(2026, 3, 10, 10, 0, tzinfo=UTC)),
        (3, datetime(2026, 3, 6, 10, 0, tzinfo=UTC), datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),
        (4, datetime(2026, 3, 5, 10, 0, tzinfo=UTC), datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),  # Thu -> Mon
        (4, datetime(2026, 3, 7, 10, 0, tzinfo=UTC), datetime(2026, 3, 10, 18, 0, tzinfo=UTC)),
    ],
)
def test_sla_deadline(severity: int, created: datetime, due: datetime) -> None:
    assert sla_deadline("enterprise", severity, created, POLICY) == due


def test_sla_deadline_converts_to_utc_and_needs_an_aware_time() -> None:
    paris = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 9, 11, 0, tzinfo=paris)  # 10:00 UTC
    due = sla_deadline("enterprise", 2, created, POLICY)
    assert due == datetime(2026, 3, 9, 12, 0, tzinfo=UTC) and due.utcoffset() == timedelta(0)
    with pytest.raises(ValueError):
        sla_deadline("enterprise", 2, datetime(2026, 3, 9, 10, 0), POLICY)  # noqa: DTZ001


def test_no_sla_no_deadline() -> None:
    assert sla_deadline("team", 1, datetime(2026, 3, 9, tzinfo=UTC), POLICY) is None
    assert sla_deadline(None, 1, datetime(2026, 3, 9, tzinfo=UTC), POLICY) is None
    team = {1: "24 h, 24/7", 2: "1 business day", 3: "1 business day", 4: "2 business days"}
    with_team = dataclasses.replace(POLICY, sla={**POLICY.sla, "team": team})
    created = datetime(2026, 3, 9, 10, tzinfo=UTC)
    assert sla_deadline("team", 1, created, with_team) == created + timedelta(hours=24)
