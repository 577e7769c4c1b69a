"""Offline escalation demo for the console: the whole official-support path against an in-process sandbox.

`:escalate team@demo.test troubleshooting 1` in the console links the demo account (the sandbox "e-mails" the
code, the demo reads it back), reads its entitlements, checks eligibility with the policy, and queues a ticket
through the outbox: exactly what the Discord flow does, minus Discord.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.core.eligibility import REQUEST_CATEGORIES, check_eligibility, sla_for
from bot.core.render import RenderContext, default_escalation_texts, message
from bot.core.resources import EscalationTexts
from bot.sandbox import run_sandbox
from bot.services.escalations import NewEscalation
from bot.services.outbox import Outbox, ticket_request_from_payload
from bot.services.store import SqliteStore
from bot.services.support_api import HttpSupportApiClient, SupportApiError, to_access
from bot.settings import Settings


def run_demo(
    settings: Settings,
    ctx: RenderContext,
    email: str,
    category: str,
    severity: int,
    *,
    texts: EscalationTexts | None = None,
) -> str:
    """Return the transcript of one offline escalation (or the reason it is refused); `texts` default to the
    packaged escalation texts."""
    if category not in REQUEST_CATEGORIES:
        return f"category must be one of: {', '.join(REQUEST_CATEGORIES)}"
    if not 1 <= severity <= 4:
        return "severity must be 1 (urgent) .. 4 (low)"
    return asyncio.run(_demo(settings, ctx, texts or default_escalation_texts(), email, category, severity))


async def _demo(
    settings: Settings, ctx: RenderContext, texts: EscalationTexts, email: str, category: str, severity: int
) -> str:
    lines: list[str] = []
    now = datetime.now(UTC)
    async with run_sandbox(db=":memory:", api_key="demo") as sandbox, aiohttp.ClientSession() as session:
        client = HttpSupportApiClient(session, sandbox.base_url, "demo")
        verification = await client.start_verification(email, "1")
        codes = [code for address, code in sandbox.sent_codes if address == email.lower()]
        lines.append(f"sandbox: verification {verification.verification_id} started; e-mailed code: "
                     + (codes[-1] if codes else "(none: unknown address, and the API does not say so)"))  # fmt: skip
        try:
            account_id = await client.confirm_verification(verification.verification_id, codes[-1] if codes else "0")
        except SupportApiError as exc:
            return "\n".join([*lines, f"link refused: {type(exc).__name__}"])
        account = await client.get_account(account_id)
        org = account.organizations[0] if account.organizations else None
        app = org.apps[0] if org and org.apps else None
        lines.append(f"linked to {account_id}: org {org.org_id if org else '-'} plan {org.plan if org else '-'} "
                     f"({org.subscription_status if org else '-'}), app {app.app_id if app else '-'}")  # fmt: skip
        result = check_eligibility(to_access(account), org_id=org.org_id if org else None,
                                   app_id=app.app_id if app else None, category=category, out_of_scope=False,
                                   policy=settings.policy)  # fmt: skip
        if not result.eligible:
            text = message(f"refuse.{result.failed}", "en", ctx, table=texts.messages)
            return "\n".join([*lines, f"refused ({result.failed}): {text}"])
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqliteStore.open(Path(tmp) / "demo.db")
            outbox = Outbox(store, client, ticket_request_from_payload, clock=lambda: datetime.now(UTC))
            payload = {
                "account_id": account_id, "org_id": org.org_id, "app_id": app.app_id if app else None,
                "category": category, "severity": severity, "subject": "Offline demo escalation",
                "body": "Steps, error and versions would be here.", "transcript": [],
                "discord": {"guild_id": "1", "channel_id": "2", "thread_id": None,
                            "message_url": "https://discord.com/channels/1/2"},
            }  # fmt: skip
            row = await outbox.submit(NewEscalation(
                idempotency_key="demo-1", guild_id=1, channel_id=2, thread_id=None, source_message_id=None,
                requester_id=1, opened_by=1, account_id=account_id, org_id=org.org_id,
                app_id=app.app_id if app else None, tier=result.tier, category=category, severity=severity,
                lang="en", payload=payload, created_at=now,
            ))  # fmt: skip
            await store.close()
        sla = sla_for(result.tier, severity, settings.policy) or "no SLA on this plan"
        lines.append(f"ticket {row.ticket_id} ({row.status}) at {row.ticket_url}; expected first response: {sla}")
    return "\n".join(lines)
