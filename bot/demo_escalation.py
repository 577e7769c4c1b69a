"""Offline escalation demo for the console: the whole official-support path against an in-process sandbox.

`:escalate team@demo.test troubleshooting 1` in the console links the demo account (the sandbox "e-mails" the
code, the demo reads it back), reads its entitlements, and submits a ticket through the same composition and
`EscalationService` the Discord cog uses (eligibility, redaction, idempotency key, outbox): only Discord is missing.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.app.composition import build_deps
from bot.app.escalation import EscalationRequest, LinkOutcome, Message
from bot.core.eligibility import REQUEST_CATEGORIES, sla_for
from bot.core.render import message
from bot.core.triage import TriageEngine
from bot.services.store import SqliteStore
from bot.settings import Secret, Settings

SANDBOX_MISSING = (
    "escalation demo skipped: the support-API sandbox lives in the repository (sandbox/), not in the installed "
    "package; run the console from a checkout (python3 dev.py start)"
)


def run_demo(settings: Settings, engine: TriageEngine, email: str, category: str, severity: int) -> str:
    """Return the transcript of one offline escalation (or the reason it is refused)."""
    if category not in REQUEST_CATEGORIES:
        return f"category must be one of: {', '.join(REQUEST_CATEGORIES)}"
    if not 1 <= severity <= 4:
        return "severity must be 1 (urgent) .. 4 (low)"
    try:
        from sandbox import run_sandbox
    except ImportError:
        return SANDBOX_MISSING
    return asyncio.run(_demo(run_sandbox, settings, engine, email, category, severity))


async def _demo(
    run_sandbox: object, settings: Settings, engine: TriageEngine, email: str, category: str, severity: int
) -> str:
    lines: list[str] = []
    user_id = 1
    async with run_sandbox(db=":memory:", api_key="demo") as sandbox, aiohttp.ClientSession() as session:  # type: ignore[operator]
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqliteStore.open(Path(tmp) / "demo.db")
            try:
                local = replace(settings, support_api_url=sandbox.base_url, support_api_key=Secret("demo"))
                deps = build_deps(local, engine, store, session)
                service = deps.escalation
                step = await service.start_link(user_id, email)
                codes = [code for address, code in sandbox.sent_codes if address == email.lower()]
                lines.append(
                    f"sandbox: verification {step.verification_id or '-'} started; e-mailed code: "
                    + (codes[-1] if codes else "(none: unknown address, and the API does not say so)")
                )
                if step.verification_id is None:
                    return "\n".join([*lines, f"link refused: {step.outcome.value}"])
                confirmed = await service.confirm_link(user_id, step.verification_id, codes[-1] if codes else "0")
                account_id = await service.linked_account(user_id)
                if confirmed.outcome is not LinkOutcome.DONE or account_id is None:
                    return "\n".join([*lines, f"link refused: {confirmed.outcome.value}"])
                account = await service.account(account_id)
                if account is None:
                    return "\n".join([*lines, "the sandbox did not return the account"])
                org = account.organizations[0] if account.organizations else None
                app = org.apps[0] if org and org.apps else None
                plan = f"{org.plan} ({org.subscription_status})" if org else "-"
                where = f"org {org.org_id if org else '-'} plan {plan}, app {app.app_id if app else '-'}"
                lines.append(f"linked to {account_id}: {where}")
                now = datetime.now(UTC)
                submission = await service.submit(
                    EscalationRequest(
                        guild_id=1, channel_id=2, thread_id=None, parent_id=None, source_message_id=None,
                        message_url="https://discord.com/channels/1/2", requester_id=user_id, opened_by=user_id,
                        account=account, org_id=org.org_id if org else None, app_id=app.app_id if app else None,
                        category=category, severity=severity, summary="Offline demo escalation",
                        details="Steps, error and versions would be here.", lang="en",
                        conversation=(Message("demo", now, "Offline demo escalation"),),
                    )
                )  # fmt: skip
            finally:
                await store.close()
        verdict, row = submission.eligibility, submission.row
        if row is None:
            texts = deps.escalation_texts.messages
            text = message(f"refuse.{verdict.failed}", "en", engine.render_context, table=texts)
            return "\n".join([*lines, f"refused ({verdict.failed}): {text}"])
        sla = sla_for(verdict.tier, severity, settings.policy) or "no SLA on this plan"
        lines.append(f"ticket {row.ticket_id} ({row.status}) at {row.ticket_url}; expected first response: {sla}")
    return "\n".join(lines)
