"""Official support: account linking, eligibility, the escalation form, the outbox worker and staff notices.

Entry points: the "Ask staff" button under bot answers, `/escalate` in a thread or channel, and the volunteers'
message menu "Escalate for the author", which asks the author (the account owner, whose eligibility applies) to
open the form themselves: a volunteer never sees another member's account, plan or refusal. Every refusal is
private, in the requester's language, and says which condition failed and what to do next. No e-mail address or
plan is ever shown publicly; the public notice in the thread only says that the conversation went to the support
team.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.core.analysis import detect_language
from bot.core.eligibility import check_eligibility, sla_deadline, sla_for
from bot.core.redact import redact
from bot.core.render import message, neutralise_mentions
from bot.exts._common import NO_MENTIONS, apply_forum_tag, is_helper, is_staff, staff_log
from bot.services.escalations import Escalation, NewEscalation
from bot.services.support_api import (
    InvalidCode,
    NotFound,
    RateLimited,
    SupportApiError,
    TooManyAttempts,
    to_access,
)

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot

log = logging.getLogger(__name__)

LINK_REQUESTS_PER_HOUR = 3
CODE_ATTEMPTS_PER_HOUR = 5
ACCOUNT_CACHE_TTL = timedelta(hours=24)
TRANSCRIPT_MESSAGES = 50
TECHNICAL = ("live_updates", "app_management", "analytics", "configuration", "troubleshooting")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text(deps: Deps, key: str, lang: str, **values: str) -> str:
    """Return a localised escalation text with brand placeholders and `values` filled in."""
    return message(key, lang, deps.engine.render_context, table=deps.escalation_texts.messages, **values)


class Escalations(commands.Cog):
    """Linking, escalation and the background work that keeps tickets and threads in step."""

    def __init__(self, bot: SupportBot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps
        self._accounts: dict[str, tuple[Any, Any]] = {}  # account id -> (Account, fetched_at)
        self._menu = app_commands.ContextMenu(name="Escalate for the author", callback=self.escalate_for_author)

    async def cog_load(self) -> None:
        """Register the menu and start the background loops."""
        self.bot.tree.add_command(self._menu)
        if self.deps.outbox is not None:
            self.deps.outbox.on_sent = self.announce_ticket
            self.deps.outbox.on_failed = self.announce_failure
            self._worker = self.bot.loop.create_task(self.deps.outbox.run(), name="outbox")
        self.housekeeping.start()

    async def cog_unload(self) -> None:
        """Stop the loops and remove the menu."""
        self.housekeeping.cancel()
        worker = getattr(self, "_worker", None)
        if worker is not None:
            worker.cancel()
        self.bot.tree.remove_command(self._menu.name, type=self._menu.type)

    # ------------------------------------------------------------------------------------------------------
    # Account linking
    # ------------------------------------------------------------------------------------------------------
    @app_commands.command(name="link", description="Link your Discord account to your customer account (private)")
    async def link(self, interaction: discord.Interaction) -> None:
        """Open the private e-mail form."""
        if self.deps.support is None:
            await interaction.response.send_message("Official support is not configured here.", ephemeral=True)
            return
        await interaction.response.send_modal(LinkModal(self))

    async def start_link(self, interaction: discord.Interaction, email: str) -> None:
        """Ask the API to e-mail a code; never reveal whether the address exists."""
        lang = _lang_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.deps.clock()
        user_id = interaction.user.id
        if not EMAIL.match(email.strip()):
            await interaction.followup.send("That does not look like an e-mail address.", ephemeral=True)
            return
        if await self.deps.store.count_link_attempts(user_id, "request", now - timedelta(hours=1)) >= (
            LINK_REQUESTS_PER_HOUR
        ):
            await interaction.followup.send(text(self.deps, "link.too_many", lang), ephemeral=True)
            return
        await self.deps.store.note_link_attempt(user_id, "request", now)

        try:
            verification = await self.deps.support.start_verification(email.strip(), str(user_id))
        except RateLimited:
            await interaction.followup.send(text(self.deps, "link.too_many", lang), ephemeral=True)
            return
        except SupportApiError as exc:
            log.warning("link request for user %s failed: %s", user_id, type(exc).__name__)
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
            return
        view = discord.ui.View(timeout=600)
        view.add_item(EnterCodeButton(verification.verification_id))
        await interaction.followup.send(text(self.deps, "link.code_sent", lang), view=view, ephemeral=True)

    async def confirm_link(self, interaction: discord.Interaction, verification_id: str, code: str) -> None:
        """Check the code and store the link (the account id, never the e-mail)."""
        lang = _lang_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.deps.clock()
        user_id = interaction.user.id
        if await self.deps.store.count_link_attempts(user_id, "confirm", now - timedelta(hours=1)) >= (
            CODE_ATTEMPTS_PER_HOUR
        ):
            await interaction.followup.send(text(self.deps, "link.too_many", lang), ephemeral=True)
            return
        await self.deps.store.note_link_attempt(user_id, "confirm", now)

        try:
            account_id = await self.deps.support.confirm_verification(verification_id, code.strip())
        except (InvalidCode, NotFound):
            await interaction.followup.send(text(self.deps, "link.invalid_code", lang), ephemeral=True)
            return
        except TooManyAttempts:
            await interaction.followup.send(text(self.deps, "link.too_many", lang), ephemeral=True)
            return
        except SupportApiError as exc:
            log.warning("code confirmation for user %s failed: %s", user_id, type(exc).__name__)
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
            return
        await self.deps.store.link_account(user_id, account_id, now)
        log.info("user %s linked to account %s", user_id, account_id)
        await interaction.followup.send(text(self.deps, "link.done", lang), ephemeral=True)

    @app_commands.command(name="unlink", description="Remove the link to your customer account")
    async def unlink(self, interaction: discord.Interaction) -> None:
        """Forget the user's link."""
        await self.deps.store.unlink_account(interaction.user.id)
        await interaction.response.send_message(text(self.deps, "unlink.done", _lang_of(interaction)), ephemeral=True)

    @app_commands.command(name="whoami", description="Which customer account you are linked to (private)")
    async def whoami(self, interaction: discord.Interaction) -> None:
        """Show the linked account's organisations, plans and roles, privately."""
        lang = _lang_of(interaction)
        account_id = await self.deps.store.linked_account(interaction.user.id)
        if account_id is None:
            await interaction.response.send_message(text(self.deps, "whoami.not_linked", lang), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        account = await self._account(account_id)
        if account is None:
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
            return
        lines = []
        for org in account.organizations:
            apps = ", ".join(f"{a.name or a.app_id} ({a.role or '-'})" for a in org.apps) or "-"
            lines.append(
                f"- **{org.name}**: {org.plan} ({org.subscription_status}), role {org.role or '-'}; apps: {apps}"
            )
        details = "\n".join(lines) or "-"
        await interaction.followup.send(
            neutralise_mentions(text(self.deps, "whoami.linked", lang, details=details)), ephemeral=True
        )

    async def _account(self, account_id: str) -> Any | None:

        now = self.deps.clock()
        try:
            account = await self.deps.support.get_account(account_id)
        except SupportApiError as exc:
            cached = self._accounts.get(account_id)
            if cached is not None and now - cached[1] < ACCOUNT_CACHE_TTL:
                log.info("support API unavailable (%s): using the account snapshot from %s", type(exc).__name__,
                         cached[1].isoformat())  # fmt: skip
                return cached[0]
            log.warning("account %s could not be read: %s", account_id, type(exc).__name__)
            return None
        self._accounts[account_id] = (account, now)
        return account

    # ------------------------------------------------------------------------------------------------------
    # Escalation entry points
    # ------------------------------------------------------------------------------------------------------
    @app_commands.command(name="escalate", description="Ask the official support team (eligible customers)")
    @app_commands.guild_only()
    async def escalate(self, interaction: discord.Interaction) -> None:
        """Escalate the current thread or channel conversation for yourself."""
        await self.open_form(interaction, requester=interaction.user, source=None)

    async def escalate_for_author(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Volunteers: offer a message's author the escalation form (the author's eligibility applies).

        Whether the author is linked, their organisations, apps, plan and any refusal are theirs alone, so the
        volunteer never sees the form: the bot asks the author under their message (a notice that says nothing
        about the account) with an "Ask staff" button only the author can use; the form and its outcome are then
        private to the author. The volunteer is only told that the author was asked.
        """
        config = await self.deps.store.get_config(interaction.guild_id or 0)
        if not is_helper(interaction.user, config):
            await interaction.response.send_message("This command is for volunteers and staff.", ephemeral=True)
            return
        author = message.author
        if author.id == interaction.user.id:  # their own message: they are the account owner
            await self.open_form(interaction, requester=interaction.user, source=message)
            return
        if author.bot:
            await interaction.response.send_message("That message is from a bot.", ephemeral=True)
            return
        if self.deps.support is None or self.deps.outbox is None:
            await interaction.response.send_message(text(self.deps, "billing.where", _lang_of(interaction)),
                                                    ephemeral=True)  # fmt: skip
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = discord.ui.View(timeout=None)
        view.add_item(AskStaffButton(message.id))
        note = text(self.deps, "author.asked", _lang_of(interaction, message))
        only_author = discord.AllowedMentions(
            users=[discord.Object(author.id)], everyone=False, roles=False, replied_user=False
        )
        try:
            await message.reply(f"<@{author.id}> {note}", view=view, allowed_mentions=only_author)
        except discord.HTTPException as exc:
            log.warning("could not ask the author of message %s: %s", message.id, exc)
            await interaction.followup.send(
                "I couldn't post under that message; ask the author to use `/escalate` themselves.", ephemeral=True
            )
            return
        log.info("volunteer %s offered escalation to the author of message %s", interaction.user.id, message.id)
        await interaction.followup.send(
            text(self.deps, "author.asked_volunteer", _lang_of(interaction)),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def open_form(
        self, interaction: discord.Interaction, *, requester: discord.abc.User, source: discord.Message | None
    ) -> None:
        """Check what can be checked before the form, then show the private form."""
        lang = _lang_of(interaction, source)
        if self.deps.support is None or self.deps.outbox is None:
            await interaction.response.send_message(text(self.deps, "billing.where", lang), ephemeral=True)
            return
        account_id = await self.deps.store.linked_account(requester.id)
        if account_id is None:
            await interaction.response.send_message(text(self.deps, "refuse.not_linked", lang), ephemeral=True)
            return
        incident = self.deps.incident
        if incident is not None and not getattr(interaction, "_unrelated", False):
            view = discord.ui.View(timeout=300)
            view.add_item(UnrelatedButton(self, requester, source))
            await interaction.response.send_message(text(self.deps, "incident.hold", lang), view=view, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        account = await self._account(account_id)
        if account is None:
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
            return
        apps = [(org, app) for org in account.organizations for app in org.apps]
        view = EscalationForm(self, requester, source, account, apps, lang, opener=interaction.user.id)
        await interaction.followup.send(view.prompt(), view=view, ephemeral=True)

    async def submit(self, interaction: discord.Interaction, form: EscalationForm, summary: str, details: str) -> None:
        """Check eligibility with the form's answers, queue the ticket, and tell everyone what happened."""
        lang = form.lang
        await interaction.response.defer(ephemeral=True, thinking=True)
        org, app = form.chosen_target()
        source_text = form.source.content if form.source is not None else details
        out_of_scope = self.deps.engine.analyser.analyse(f"{summary}\n{source_text}").route == "out_of_scope"
        result = check_eligibility(
            to_access(form.account),
            org_id=org.org_id if org else None,
            app_id=app.app_id if app else None,
            category=form.category,
            out_of_scope=out_of_scope,
            policy=self.deps.settings.policy,
        )
        if not result.eligible:
            log.info("escalation refused for user %s: %s", form.requester.id, result.failed)
            await interaction.followup.send(text(self.deps, f"refuse.{result.failed}", lang), ephemeral=True)
            return
        channel = interaction.channel
        thread_id = channel.id if isinstance(channel, discord.Thread) else None
        now = self.deps.clock()
        transcript = await self._transcript(channel, form)
        key = await self._idempotency_key(
            request_key(
                guild_id=interaction.guild_id or 0,
                channel_id=interaction.channel_id or 0,
                source_id=form.source.id if form.source is not None else None,
                requester_id=form.requester.id,
                org_id=org.org_id if org else None,
                app_id=app.app_id if app else None,
                category=form.category,
                severity=form.severity,
                summary=summary,
                details=details,
            )
        )
        message_url = form.source.jump_url if form.source is not None else getattr(channel, "jump_url", "")
        payload = {
            "account_id": form.account.account_id,
            "org_id": org.org_id,
            "app_id": app.app_id if app else None,
            "category": form.category,
            "severity": form.severity,
            "subject": redact(summary)[:200],
            "body": redact(details)[:20000],
            "transcript": transcript,
            "discord": {
                "guild_id": str(interaction.guild_id),
                "channel_id": str(channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id),
                "thread_id": str(thread_id) if thread_id else None,
                "message_url": message_url,
            },
        }
        row = await self.deps.outbox.submit(
            NewEscalation(
                idempotency_key=key,
                guild_id=interaction.guild_id or 0,
                channel_id=interaction.channel_id or 0,
                thread_id=thread_id,
                source_message_id=form.source.id if form.source is not None else None,
                requester_id=form.requester.id,
                opened_by=interaction.user.id,
                account_id=form.account.account_id,
                org_id=org.org_id,
                app_id=app.app_id if app else None,
                tier=result.tier,
                category=form.category,
                severity=form.severity,
                lang=lang,
                payload=payload,
                created_at=now,
            )
        )
        if row.status == "sent":
            await interaction.followup.send(self._created_text(row), ephemeral=True)
        elif row.status == "failed":
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
        else:
            await interaction.followup.send(text(self.deps, "ticket.queued", lang), ephemeral=True)

    async def _idempotency_key(self, base: str) -> str:
        """Return the outbox key of a submission whose request key is `base`.

        The same submission again (a retry after an error or a lost answer, a double submit, a second volunteer's
        click) keeps the key, so it stays one ticket. Only once that ticket is solved or closed is an identical
        submission a new request: it gets the next key of the series instead of "ticket T-... is open".
        """
        key = base
        for generation in range(2, 100):
            row = await self.deps.store.escalation_by_key(key)
            if row is None or row.status != "sent" or (row.ticket_status or "open") not in ("solved", "closed"):
                return key
            key = hashlib.sha256(f"{base}:{generation}".encode()).hexdigest()
        return key

    def _created_text(self, row: Escalation) -> str:
        where = "<#" + str(row.thread_id or row.channel_id) + ">"
        sla = sla_for(row.tier, row.severity, self.deps.settings.policy)
        sla_text = sla if sla else text(self.deps, "ticket.no_sla", row.lang)
        return text(self.deps, "ticket.created", row.lang, ticket_id=row.ticket_id or "?", where=where, sla=sla_text)

    async def _transcript(self, channel: Any, form: EscalationForm) -> list[dict[str, str]]:
        lines: list[dict[str, str]] = []
        # A thread is one conversation: all of it goes. In a shared text channel only the requester's own messages
        # do (other members' unrelated talk is not theirs to send to a vendor).
        own_only = not isinstance(channel, discord.Thread)
        if isinstance(channel, discord.Thread | discord.TextChannel):
            try:
                async for message in channel.history(limit=TRANSCRIPT_MESSAGES, oldest_first=True):
                    if own_only and message.author.id != form.requester.id:
                        continue
                    if message.content:
                        lines.append({
                            "author": message.author.display_name,
                            "at": message.created_at.isoformat(),
                            "content": redact(message.content)[:4000],
                        })  # fmt: skip
            except discord.HTTPException:
                log.warning("could not read the history of channel %s for a transcript", channel.id)
        if not lines and form.source is not None:
            lines.append({"author": form.source.author.display_name, "at": form.source.created_at.isoformat(),
                          "content": redact(form.source.content)[:4000]})  # fmt: skip
        return lines

    # ------------------------------------------------------------------------------------------------------
    # Notices (outbox callbacks and housekeeping)
    # ------------------------------------------------------------------------------------------------------
    async def announce_ticket(self, row: Escalation) -> None:
        """Tell the thread and the staff channel about a new ticket (once each, across restarts)."""
        channel = self.bot.get_channel(row.thread_id or row.channel_id)
        if isinstance(channel, discord.abc.Messageable) and await self.deps.store.mark_escalation_notice(
            row.id, "user", self.deps.clock()
        ):
            # Queued first (the API was down): the requester waited, so say their saved request went through.
            key = "ticket.sent_later" if row.attempts > 1 else "ticket.public"
            note = text(self.deps, key, row.lang, ticket_id=row.ticket_id or "?")
            mentions = discord.AllowedMentions(users=[discord.Object(row.requester_id)], everyone=False, roles=False)
            await channel.send(f"<@{row.requester_id}> {note}", allowed_mentions=mentions)
        config = await self.deps.store.get_config(row.guild_id)
        if isinstance(channel, discord.Thread):
            await apply_forum_tag(channel, config, "escalate")
        if not await self.deps.store.mark_escalation_notice(row.id, "staff", self.deps.clock()):
            return
        deadline = sla_deadline(row.tier, row.severity, row.sent_at or row.created_at, self.deps.settings.policy)
        severity = self.deps.escalation_texts.severity[row.severity]["en"]
        lines = [
            f"**New ticket {row.ticket_id}** ({row.ticket_url})",
            f"Tier: {row.tier or '-'} · severity {row.severity} ({severity}) · category {row.category}",
            "SLA first response by: " + (discord.utils.format_dt(deadline) if deadline else "no SLA on this plan"),
            f"Thread: <#{row.thread_id or row.channel_id}> · requester <@{row.requester_id}>",
        ]
        await staff_log(self.bot, config, "\n".join(lines))

    async def announce_failure(self, row: Escalation) -> None:
        """Tell staff that the API rejected an escalation for good."""
        config = await self.deps.store.get_config(row.guild_id)
        await staff_log(
            self.bot,
            config,
            f"Escalation #{row.id} from <@{row.requester_id}> in <#{row.thread_id or row.channel_id}> was rejected "
            f"by the support API: {row.last_error or 'unknown error'}. Please follow up by hand.",
        )

    @tasks.loop(seconds=30)
    async def housekeeping(self) -> None:
        """Owed notices, stuck alerts, solved tickets."""
        store = self.deps.store
        for row in await store.escalations_needing_notice("user"):
            await self.announce_ticket(row)
        stuck_after = timedelta(minutes=self.deps.settings.escalation_alert_minutes)
        for row in await store.stuck_escalations(self.deps.clock() - stuck_after):
            config = await store.get_config(row.guild_id)
            if await store.mark_escalation_notice(row.id, "stuck", self.deps.clock()):
                await staff_log(
                    self.bot, config,
                    f"Escalation #{row.id} (<#{row.thread_id or row.channel_id}>) is still not accepted by the "
                    f"support API after {row.attempts} attempt(s): {row.last_error or '-'}",
                )  # fmt: skip
        await self.poll_ticket_statuses()

    async def poll_ticket_statuses(self) -> None:
        """Tell threads whose ticket the API reports as solved."""
        if self.deps.support is None:
            return

        for row in await self.deps.store.open_tickets(limit=20):
            try:
                ticket = await self.deps.support.get_ticket(row.ticket_id)
            except SupportApiError:
                return  # the API is unavailable: try again on the next pass
            if ticket.status != row.ticket_status:
                await self.deps.store.set_ticket_status(row.id, ticket.status)
            if ticket.status in ("solved", "closed") and await self.deps.store.mark_escalation_notice(
                row.id, "solved", self.deps.clock()
            ):
                channel = self.bot.get_channel(row.thread_id or row.channel_id)
                if isinstance(channel, discord.abc.Messageable):
                    await channel.send(
                        text(self.deps, "ticket.solved", row.lang, ticket_id=row.ticket_id or "?"),
                        allowed_mentions=NO_MENTIONS,
                    )

    @housekeeping.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()

    @app_commands.command(name="escalations", description="Pending, failed and recent escalations (staff)")
    @app_commands.guild_only()
    async def escalations(self, interaction: discord.Interaction) -> None:
        """List the escalation queue for staff."""
        config = await self.deps.store.get_config(interaction.guild_id or 0)
        if not is_staff(interaction.user, config):
            await interaction.response.send_message("This command is for staff only.", ephemeral=True)
            return
        store = self.deps.store
        lines = []
        for status in ("pending", "failed", "sent"):
            rows = await store.list_escalations(config.guild_id, status=status, limit=8)  # type: ignore[arg-type]
            lines.append(f"**{status.capitalize()}** ({len(rows)})")
            for row in rows:
                ticket = f"ticket {row.ticket_id}" if row.ticket_id else f"{row.attempts} attempt(s)"
                lines.append(
                    f"- #{row.id} <#{row.thread_id or row.channel_id}> sev {row.severity} · {ticket}"
                    + (f" · {row.last_error[:80]}" if row.last_error and status != "sent" else "")
                )
        breaker = getattr(self.deps.support, "breaker", None)
        if breaker is not None:
            lines.append(f"Support API circuit: {breaker.state}")
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS)


def request_key(
    *,
    guild_id: int,
    channel_id: int,
    source_id: int | None,
    requester_id: int,
    org_id: str | None,
    app_id: str | None,
    category: str,
    severity: int,
    summary: str,
    details: str,
) -> str:
    """Return the idempotency key of one submitted escalation form: who, where, about which message, for which
    app, and what was asked (category, severity, summary, details; whitespace-insensitive).

    The key identifies the request, not the place: a second, different problem from the same member in the same
    channel is a second ticket, while the same submission sent again is the same ticket.
    """
    parts = [
        str(guild_id), str(channel_id), str(source_id or ""), str(requester_id), org_id or "", app_id or "",
        category, str(severity), " ".join(summary.split()), " ".join(details.split()),
    ]  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _lang_of(interaction: discord.Interaction, source: discord.Message | None = None) -> str:
    if source is not None and source.content:
        return detect_language(source.content)[0]
    locale = str(getattr(interaction, "locale", "en") or "en").split("-")[0]
    return locale if locale in ("en", "fr", "es", "it", "de", "pt", "id", "zh") else "en"


class LinkModal(discord.ui.Modal, title="Link your account"):
    """Private e-mail form (the address goes to the support API only)."""

    email = discord.ui.TextInput(
        label="Account e-mail", placeholder="you@company.com", max_length=254, custom_id="link:email"
    )

    def __init__(self, cog: Escalations) -> None:
        super().__init__(timeout=600, custom_id="link:email-form")
        self.cog = cog

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Start the verification."""
        await self.cog.start_link(interaction, self.email.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """Apologise privately and log the cause."""
        log.error("link form failed for user %s", interaction.user.id, exc_info=error)
        if not interaction.response.is_done():
            await interaction.response.send_message("Sorry, something went wrong. Please try again.", ephemeral=True)


class CodeModal(discord.ui.Modal, title="Enter your code"):
    """The one-time code from the e-mail."""

    code = discord.ui.TextInput(label="Code", min_length=4, max_length=12, custom_id="link:code")

    def __init__(self, cog: Escalations, verification_id: str) -> None:
        super().__init__(timeout=600, custom_id="link:code-form")
        self.cog = cog
        self.verification_id = verification_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Confirm the code."""
        await self.cog.confirm_link(interaction, self.verification_id, self.code.value)


class EnterCodeButton(discord.ui.DynamicItem[discord.ui.Button], template=r"link:code:(?P<vid>[\w-]{1,80})"):
    """Opens the code form; works after a restart (the verification id is in the custom id)."""

    def __init__(self, verification_id: str) -> None:
        super().__init__(discord.ui.Button(label="Enter code", style=discord.ButtonStyle.primary,
                                           custom_id=f"link:code:{verification_id}"))  # fmt: skip
        self.verification_id = verification_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        """Rebuild from the custom id."""
        return cls(match["vid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the code form."""
        cog = interaction.client.get_cog("Escalations")  # type: ignore[attr-defined]
        await interaction.response.send_modal(CodeModal(cog, self.verification_id))


class AskStaffButton(discord.ui.DynamicItem[discord.ui.Button], template=r"esc:ask:(?P<source>[0-9]{1,20})"):
    """ "Ask staff" under a bot answer: escalate the asker's question (asker only)."""

    def __init__(self, source_id: int) -> None:
        super().__init__(discord.ui.Button(label="Ask staff", style=discord.ButtonStyle.secondary,
                                           custom_id=f"esc:ask:{source_id}"))  # fmt: skip
        self.source_id = source_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]):
        """Rebuild from the custom id."""
        return cls(int(match["source"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the escalation form for the asker."""
        cog: Escalations = interaction.client.get_cog("Escalations")  # type: ignore[attr-defined,assignment]
        source = None
        if isinstance(interaction.channel, discord.abc.Messageable):
            try:
                source = await interaction.channel.fetch_message(self.source_id)  # type: ignore[union-attr]
            except discord.HTTPException:
                source = None
        if source is not None and source.author.id != interaction.user.id:
            await interaction.response.send_message("Only the person who asked can use this button.", ephemeral=True)
            return
        await cog.open_form(interaction, requester=interaction.user, source=source)


class UnrelatedButton(discord.ui.Button):
    """'My issue is unrelated' to the ongoing incident: continue to the form."""

    def __init__(self, cog: Escalations, requester: discord.abc.User, source: discord.Message | None) -> None:
        super().__init__(label="My issue is unrelated", style=discord.ButtonStyle.secondary)
        self.cog, self.requester, self.source = cog, requester, source

    async def callback(self, interaction: discord.Interaction) -> None:
        """Skip the incident hold."""
        interaction._unrelated = True  # type: ignore[attr-defined]
        await self.cog.open_form(interaction, requester=self.requester, source=self.source)


class EscalationForm(discord.ui.View):
    """Private form, step 1: app, category, severity; then 'Continue' opens the text form (step 2)."""

    def __init__(self, cog: Escalations, requester: discord.abc.User, source: discord.Message | None,
                 account: Any, apps: list[tuple[Any, Any]], lang: str, *, opener: int) -> None:  # fmt: skip
        super().__init__(timeout=900)
        self.cog, self.requester, self.source, self.account, self.apps, self.lang = (
            cog,
            requester,
            source,
            account,
            apps,
            lang,
        )
        self.opener = opener
        self.category = "troubleshooting"
        self.severity = 3
        self.app_index = 0 if apps else -1
        if apps:
            app_select = discord.ui.Select(
                placeholder="App", custom_id="esc:app", options=[
                    discord.SelectOption(label=(app.name or app.app_id)[:100], value=str(i),
                                         description=f"{org.name}"[:100], default=i == 0)
                    for i, (org, app) in enumerate(apps[:25])
                ],
            )  # fmt: skip
            app_select.callback = self._app_chosen
            self.app_select = app_select
            self.add_item(app_select)
        category_select = discord.ui.Select(
            placeholder="Category",
            custom_id="esc:category",
            options=[
                discord.SelectOption(label=labels.get(lang, labels["en"])[:100], value=code,
                                     default=code == self.category)
                for code, labels in cog.deps.escalation_texts.detail_categories.items()
            ],
        )  # fmt: skip
        category_select.callback = self._category_chosen
        self.category_select = category_select
        self.add_item(category_select)
        severity_select = discord.ui.Select(
            placeholder="Severity",
            custom_id="esc:severity",
            options=[
                discord.SelectOption(label=f"{level} - {labels.get(lang, labels['en'])}"[:100], value=str(level),
                                     default=level == self.severity)
                for level, labels in cog.deps.escalation_texts.severity.items()
            ],
        )  # fmt: skip
        severity_select.callback = self._severity_chosen
        self.severity_select = severity_select
        self.add_item(severity_select)
        go = discord.ui.Button(label="Continue", style=discord.ButtonStyle.primary, custom_id="esc:continue")
        go.callback = self._continue
        self.add_item(go)

    def prompt(self) -> str:
        """Return the text above the form."""
        return "Choose the app, the category and the severity, then press **Continue**."

    def chosen_target(self) -> tuple[Any, Any]:
        """Return (organisation, app) chosen in the form (the account's only organisation when it has no apps)."""
        if self.app_index >= 0:
            return self.apps[self.app_index]
        orgs = self.account.organizations
        return (orgs[0] if orgs else None), None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the person who opened the form may use it."""
        return interaction.user.id == self.opener

    async def _app_chosen(self, interaction: discord.Interaction) -> None:
        self.app_index = int(self.app_select.values[0])
        await interaction.response.defer()

    async def _category_chosen(self, interaction: discord.Interaction) -> None:
        self.category = self.category_select.values[0]
        await interaction.response.defer()

    async def _severity_chosen(self, interaction: discord.Interaction) -> None:
        self.severity = int(self.severity_select.values[0])
        await interaction.response.defer()

    async def _continue(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(EscalationModal(self))


class EscalationModal(discord.ui.Modal, title="Ask the support team"):
    """Step 2: summary and details, pre-filled from the thread."""

    def __init__(self, form: EscalationForm) -> None:
        super().__init__(timeout=900, custom_id="esc:form")
        self.form = form
        source = form.source.content if form.source is not None else ""
        analysis = form.cog.deps.engine.analyser.analyse(source) if source else None
        summary_default = " ".join(source.split())[:100] if source else ""
        missing = ", ".join(analysis.missing) if analysis and analysis.missing else ""
        details_default = redact(source)[:3500] + (f"\n\n(still missing: {missing})" if missing else "")
        self.summary = discord.ui.TextInput(
            label="Summary", max_length=200, default=summary_default or None, custom_id="esc:summary"
        )
        self.details = discord.ui.TextInput(
            label="Steps, error, versions", style=discord.TextStyle.paragraph, max_length=4000,
            default=details_default or None, required=True, custom_id="esc:details",
        )  # fmt: skip
        self.add_item(self.summary)
        self.add_item(self.details)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Hand over to the cog."""
        await self.form.cog.submit(interaction, self.form, self.summary.value, self.details.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """Apologise privately and log the cause."""
        log.error("escalation form failed for user %s", interaction.user.id, exc_info=error)
        send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
        await send("Sorry, something went wrong; your request was not lost if you saw 'queued'.", ephemeral=True)


async def setup(bot: SupportBot) -> None:
    """Register the dynamic buttons and the cog."""
    bot.add_dynamic_items(EnterCodeButton, AskStaffButton)
    await bot.add_cog(Escalations(bot, bot.deps))
