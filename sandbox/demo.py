"""Demo data of the sandbox: organisations, apps and accounts covering every plan, status, add-on and role.

Ids are fixed (``acc_1``... in table order, ``org_1``...), so a persistent sandbox database keeps them across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass

PLANS = ("free", "trial", "solo", "maker", "team", "enterprise")
SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due", "cancelled", "none")
ADDONS = ("premium_support", "usage_credits")
ORG_ROLES = ("org_super_admin", "org_admin", "org_billing_admin", "org_member")
APP_ROLES = ("app_admin", "app_developer", "app_uploader", "app_reader", "app_preview")
#: Legacy app-role names older data still carries (write -> app_developer, upload -> app_uploader, ...).
LEGACY_APP_ROLES = ("read", "upload", "write", "admin", "super_admin")


@dataclass(frozen=True)
class DemoOrg:
    org_id: str
    name: str
    plan: str
    subscription_status: str
    addons: tuple[str, ...]
    over_quota: bool
    app_id: str
    app_name: str


@dataclass(frozen=True)
class DemoMembership:
    org_id: str
    org_role: str | None
    app_role: str | None  # role on the org's app; None: no app-level role (org-level role only)


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    email: str
    memberships: tuple[DemoMembership, ...]
    note: str


_OWNED = (
    # name, plan, status, addons, over_quota, note
    ("free", "free", "none", (), False, "Free plan, no subscription"),
    ("trial", "trial", "trialing", (), False, "15-day trial"),
    ("solo", "solo", "active", (), False, "Solo plan"),
    ("maker", "maker", "active", (), False, "Maker plan"),
    ("team", "team", "active", (), False, "Team plan"),
    ("enterprise", "enterprise", "active", (), False, "Enterprise plan (SLA)"),
    ("cancelled", "team", "cancelled", (), False, "Team plan, cancelled"),
    ("pastdue", "maker", "past_due", (), False, "Maker plan, payment past due"),
    ("credits", "free", "none", ("usage_credits",), False, "usage credits without a subscription"),
    ("premium", "team", "active", ("premium_support",), False, "Team plan + Premium Support"),
    ("overquota", "solo", "active", (), True, "Solo plan over its limits"),
)
ROLES_ORG_ID = f"org_{len(_OWNED) + 1}"
_ROLE_ACCOUNTS = (
    # name, org role, app role, note
    ("reader", "org_member", "app_reader", "Roles Inc: app reader"),
    ("uploader", "org_member", "app_uploader", "Roles Inc: app uploader"),
    ("developer", "org_member", "app_developer", "Roles Inc: app developer"),
    ("appadmin", "org_member", "app_admin", "Roles Inc: app admin"),
    ("orgadmin", "org_admin", None, "Roles Inc: org admin"),
    ("owner", "org_super_admin", None, "Roles Inc: org owner"),
    ("billing", "org_billing_admin", None, "Roles Inc: billing admin"),
    ("preview", "org_member", "app_preview", "Roles Inc: app preview"),
    ("legacy", "org_member", "write", "Roles Inc: legacy app role 'write'"),
)


def _build() -> tuple[tuple[DemoOrg, ...], tuple[DemoAccount, ...]]:
    orgs: list[DemoOrg] = []
    accounts: list[DemoAccount] = []
    for name, plan, status, addons, over_quota, note in _OWNED:
        org = DemoOrg(
            org_id=f"org_{len(orgs) + 1}",
            name=f"{name.capitalize()} Demo",
            plan=plan,
            subscription_status=status,
            addons=addons,
            over_quota=over_quota,
            app_id=f"com.demo.{name}",
            app_name=f"Demo {name.capitalize()}",
        )
        orgs.append(org)
        accounts.append(
            DemoAccount(
                account_id=f"acc_{len(accounts) + 1}",
                email=f"{name}@demo.test",
                memberships=(DemoMembership(org.org_id, "org_super_admin", "app_admin"),),
                note=note,
            )
        )
    roles_org = DemoOrg(ROLES_ORG_ID, "Roles Inc", "enterprise", "active", (), False, "com.demo.roles", "Demo Roles")
    orgs.append(roles_org)
    for name, org_role, app_role, note in _ROLE_ACCOUNTS:
        accounts.append(
            DemoAccount(
                account_id=f"acc_{len(accounts) + 1}",
                email=f"{name}@demo.test",
                memberships=(DemoMembership(roles_org.org_id, org_role, app_role),),
                note=note,
            )
        )
    # Two edge cases: a user in several organisations, and a registered user without any organisation.
    multi_org = DemoOrg(
        f"org_{len(orgs) + 1}", "Multi Demo", "solo", "active", (), False, "com.demo.multi", "Demo Multi"
    )
    orgs.append(multi_org)
    accounts.append(
        DemoAccount(
            account_id=f"acc_{len(accounts) + 1}",
            email="multi@demo.test",
            memberships=(
                DemoMembership(multi_org.org_id, "org_super_admin", "app_admin"),
                DemoMembership(roles_org.org_id, "org_member", "app_developer"),
            ),
            note="two orgs: owner of Multi Demo (solo) + developer in Roles Inc",
        )
    )
    accounts.append(
        DemoAccount(
            account_id=f"acc_{len(accounts) + 1}",
            email="noorg@demo.test",
            memberships=(),
            note="registered, member of no organisation",
        )
    )
    return tuple(orgs), tuple(accounts)


DEMO_ORGS, DEMO_ACCOUNTS = _build()
_ORGS_BY_ID = {org.org_id: org for org in DEMO_ORGS}


def demo_table() -> str:
    """The demo accounts as a plain-text table (module docstring, ``--help`` epilog, start-up banner)."""
    rows = [("e-mail", "account", "org", "plan", "status", "add-ons", "org role", "app role")]
    for account in DEMO_ACCOUNTS:
        if not account.memberships:
            rows.append((account.email, account.account_id, "-", "-", "-", "-", "-", "-"))
        for index, membership in enumerate(account.memberships):
            org = _ORGS_BY_ID[membership.org_id]
            extras = ",".join([*org.addons, *(["over_quota"] if org.over_quota else [])]) or "-"
            first = index == 0
            rows.append(
                (
                    account.email if first else "",
                    account.account_id if first else "",
                    org.org_id,
                    org.plan,
                    org.subscription_status,
                    extras,
                    membership.org_role or "null",
                    membership.app_role or "null",
                )
            )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    roles, multi = _ORGS_BY_ID[ROLES_ORG_ID], DEMO_ORGS[-1]
    lines += [
        "",
        "Each org has one app, com.demo.<e-mail name>: org_1 'Free Demo' has com.demo.free, and so on;",
        f"{roles.org_id} {roles.name!r} has {roles.app_id}; {multi.org_id} {multi.name!r} has {multi.app_id}.",
        "App role null: no role on the app itself (the org-level role applies).",
    ]
    return "\n".join(lines)
