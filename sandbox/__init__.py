"""Sandbox of the support API: a local, SQLite-backed implementation of ``docs/support-api.openapi.yaml``.

A development and test tool of the repository, not part of the installed ``bot`` package (the wheel ships ``bot*``
only): the tests, the outbox benchmark and the offline console's ``:escalate`` demo (run from a checkout) use it.

Run it::

    python -m sandbox [--host 127.0.0.1] [--port 8765] [--db data/sandbox.sqlite3] [--api-key sandbox-key]

then set ``SUPPORT_API_URL=http://127.0.0.1:8765/v1`` and ``SUPPORT_API_KEY=sandbox-key``. Nothing is e-mailed: every
verification code is logged at INFO as ``e-mail to <address>: your code is 123456``.

In tests::

    async with run_sandbox(db=":memory:", api_key="k", port=0) as sandbox:
        sandbox.base_url           # "http://127.0.0.1:<port>/v1"
        sandbox.api_key            # "k"
        sandbox.sent_codes         # [(email, code), ...]; sandbox.last_code(email)
        sandbox.account_id(email)  # "acc_5" for team@demo.test
        sandbox.tickets()          # [StoredTicket(ticket_id="T-1001", status="open", request={...}, ...)]
        sandbox.set_ticket_status("T-1001", "solved")
        sandbox.advance_time(601)  # the sandbox clock: codes expire after 10 min, rate limits span one hour

Behaviour: codes have 6 digits and expire after 10 minutes; the 5th wrong code burns a verification (429
``too_many_attempts``, also for the right code afterwards); at most 5 verification requests per hour per e-mail and per
Discord user (429 ``rate_limited`` with Retry-After); an unknown e-mail gets the same 202 and then every code is
``invalid_code``. Tickets are numbered ``T-1001``, ``T-1002``... and replayed by Idempotency-Key.

Demo accounts (the ids are fixed)::

    e-mail                account  org     plan        status     add-ons          org role           app role
    free@demo.test        acc_1    org_1   free        none       -                org_super_admin    app_admin
    trial@demo.test       acc_2    org_2   trial       trialing   -                org_super_admin    app_admin
    solo@demo.test        acc_3    org_3   solo        active     -                org_super_admin    app_admin
    maker@demo.test       acc_4    org_4   maker       active     -                org_super_admin    app_admin
    team@demo.test        acc_5    org_5   team        active     -                org_super_admin    app_admin
    enterprise@demo.test  acc_6    org_6   enterprise  active     -                org_super_admin    app_admin
    cancelled@demo.test   acc_7    org_7   team        cancelled  -                org_super_admin    app_admin
    pastdue@demo.test     acc_8    org_8   maker       past_due   -                org_super_admin    app_admin
    credits@demo.test     acc_9    org_9   free        none       usage_credits    org_super_admin    app_admin
    premium@demo.test     acc_10   org_10  team        active     premium_support  org_super_admin    app_admin
    overquota@demo.test   acc_11   org_11  solo        active     over_quota       org_super_admin    app_admin
    reader@demo.test      acc_12   org_12  enterprise  active     -                org_member         app_reader
    uploader@demo.test    acc_13   org_12  enterprise  active     -                org_member         app_uploader
    developer@demo.test   acc_14   org_12  enterprise  active     -                org_member         app_developer
    appadmin@demo.test    acc_15   org_12  enterprise  active     -                org_member         app_admin
    orgadmin@demo.test    acc_16   org_12  enterprise  active     -                org_admin          null
    owner@demo.test       acc_17   org_12  enterprise  active     -                org_super_admin    null
    billing@demo.test     acc_18   org_12  enterprise  active     -                org_billing_admin  null
    preview@demo.test     acc_19   org_12  enterprise  active     -                org_member         app_preview
    legacy@demo.test      acc_20   org_12  enterprise  active     -                org_member         write
    multi@demo.test       acc_21   org_13  solo        active     -                org_super_admin    app_admin
                                   org_12  enterprise  active     -                org_member         app_developer
    noorg@demo.test       acc_22   -       -           -          -                -                  -

    Each org has one app, com.demo.<e-mail name>: org_1 'Free Demo' has com.demo.free, and so on;
    org_12 'Roles Inc' has com.demo.roles; org_13 'Multi Demo' has com.demo.multi.
    App role null: no role on the app itself (the org-level role applies).
"""

from .app import Sandbox, run_sandbox
from .demo import DEMO_ACCOUNTS, DEMO_ORGS, demo_table
from .store import StoredTicket

__all__ = ["DEMO_ACCOUNTS", "DEMO_ORGS", "Sandbox", "StoredTicket", "demo_table", "run_sandbox"]
