"""Official support: account linking, eligibility, the escalation form, the outbox worker and staff notices.

Entry points: the "Ask staff" button under bot answers, `/escalate` in a thread or channel, and the volunteers'
message menu "Escalate for the author", which asks the author (the account owner, whose eligibility applies) to
open the form themselves: a volunteer never sees another member's account, plan or refusal. Every refusal is
private, in the requester's language, and says which condition failed and what to do next. No e-mail address or
plan is ever shown publicly; the public notice in the thread only says that the conversation went to the support
team.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.escalation import EscalationRequest, LinkOutcome, Message
from bot.bot import cog_of
from bot.core.analysis import detect_language
from bot.core.eligibility import precheck
from bot.core.redact import redact
from bot.core.render import message, neutralise_mentions
from bot.core.vocabulary import LANGS, TECHNICAL_CATEGORIES
from bot.exts._common import NO_MENTIONS, checked_config
from bot.exts.translator import lang_of_locale
from bot.services.escalations import Escalation
from bot.services.support_api import to_access

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot
    from bot.services.support_api import Account

log = logging.getLogger(__name__)

TRANSCRIPT_MESSAGES = 50
TECHNICAL = TECHNICAL_CATEGORIES
# Descriptions and menu names are localised from bot/resources/ui/ at /sync (bot/exts/translator.py).
_T = app_commands.locale_str


def text(deps: Deps, key: str, lang: str, **values: str) -> str:
    """Return a localised escalation text with brand placeholders and `values` filled in."""
    return message(key, lang, deps.engine.render_context, table=deps.escalation_texts.messages, **values)


class Escalations(commands.Cog):
    """Linking, the escalation entry points and the form (tickets' notices: `bot/exts/tickets.py`)."""

    def __init__(self, bot: SupportBot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps
        self.service = deps.escalation
        self._menu = app_commands.ContextMenu(
            name=_T("Escalate for the author", key="menus.escalate_for_author"), callback=self.escalate_for_author
        )

    async def cog_load(self) -> None:
        """Register the message menu."""
        self.bot.tree.add_command(self._menu)

    async def cog_unload(self) -> None:
        """Remove the message menu."""
        self.bot.tree.remove_command(self._menu.name, type=self._menu.type)

    @app_commands.command(
        name="link",
        description=_T("Link your Discord account to your customer account (private)", key="commands.link"),
    )
    async def link(self, interaction: discord.Interaction) -> None:
        """Open the private e-mail form (in the member's language)."""
        if self.deps.support is None:
            await interaction.response.send_message("Official support is not configured here.", ephemeral=True)
            return
        await interaction.response.send_modal(LinkModal(self, _lang_of(interaction)))

    async def start_link(self, interaction: discord.Interaction, email: str) -> None:
        """Ask the API to e-mail a code; never reveal whether the address exists."""
        lang = _lang_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        step = await self.service.start_link(interaction.user.id, email)
        if step.outcome is LinkOutcome.BAD_EMAIL:
            await interaction.followup.send("That does not look like an e-mail address.", ephemeral=True)
            return
        view = None
        if step.verification_id is not None:
            view = discord.ui.View(timeout=600)
            view.add_item(EnterCodeButton(step.verification_id, label=self.deps.ui.label("buttons.enter_code", lang)))
        reply = text(self.deps, f"link.{step.outcome.value}", lang)
        await (interaction.followup.send(reply, view=view, ephemeral=True) if view else
               interaction.followup.send(reply, ephemeral=True))  # fmt: skip

    async def confirm_link(self, interaction: discord.Interaction, verification_id: str, code: str) -> None:
        """Check the code and store the link (the account id, never the e-mail)."""
        lang = _lang_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        step = await self.service.confirm_link(interaction.user.id, verification_id, code)
        await interaction.followup.send(text(self.deps, f"link.{step.outcome.value}", lang), ephemeral=True)

    @app_commands.command(
        name="unlink", description=_T("Remove the link to your customer account", key="commands.unlink")
    )
    async def unlink(self, interaction: discord.Interaction) -> None:
        """Forget the user's link."""
        await self.service.unlink(interaction.user.id)
        await interaction.response.send_message(text(self.deps, "unlink.done", _lang_of(interaction)), ephemeral=True)

    @app_commands.command(
        name="whoami", description=_T("Which customer account you are linked to (private)", key="commands.whoami")
    )
    async def whoami(self, interaction: discord.Interaction) -> None:
        """Show the linked account's organisations, plans and roles, privately."""
        lang = _lang_of(interaction)
        account_id = await self.service.linked_account(interaction.user.id)
        if account_id is None:
            await interaction.response.send_message(text(self.deps, "whoami.not_linked", lang), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        account = await self.service.account(account_id)
        if account is None:
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
            return
        details = account_lines(account)
        await interaction.followup.send(
            neutralise_mentions(text(self.deps, "whoami.linked", lang, details=details)), ephemeral=True
        )

    @app_commands.command(
        name="escalate",
        description=_T("Ask the official support team (eligible customers)", key="commands.escalate"),
    )
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
        if await checked_config(interaction, self.deps, staff_only=False) is None:
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
        lang = _lang_of(interaction, message)  # the author's: the notice and its button are for them
        view = discord.ui.View(timeout=None)
        view.add_item(AskStaffButton(message.id, label=self.deps.ui.label("buttons.ask_staff", lang)))
        note = text(self.deps, "author.asked", lang)
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
        self,
        interaction: discord.Interaction,
        *,
        requester: discord.abc.User,
        source: discord.Message | None,
        unrelated: bool = False,
    ) -> None:
        """Check what can be checked before the form, then show the private form (`unrelated`: the requester said
        their problem is unrelated to the ongoing incident)."""
        lang = _lang_of(interaction, source)
        if self.deps.support is None or self.deps.outbox is None:
            await interaction.response.send_message(text(self.deps, "billing.where", lang), ephemeral=True)
            return
        account_id = await self.service.linked_account(requester.id)
        if account_id is None:
            await interaction.response.send_message(text(self.deps, "refuse.not_linked", lang), ephemeral=True)
            return
        incident = self.deps.incident
        if incident is not None and not unrelated:
            view = discord.ui.View(timeout=300)
            view.add_item(UnrelatedButton(self, requester, source, label=self.deps.ui.label("buttons.unrelated", lang)))
            await interaction.response.send_message(text(self.deps, "incident.hold", lang), view=view, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        account = await self.service.account(account_id)
        if account is None:
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
            return
        # The account-level rules (organisation, paid resources, Developer role) cannot change by filling in the
        # form: refuse now rather than after it. The request itself is checked again when it is submitted.
        verdict = precheck(to_access(account), self.deps.settings.policy)
        if not verdict.eligible:
            log.info("escalation form not shown to user %s: %s", requester.id, verdict.failed)
            await interaction.followup.send(
                refusal_text(self.deps, verdict.failed or "not_linked", lang), ephemeral=True
            )
            return
        apps = [(org, app) for org in account.organizations for app in org.apps]
        view = EscalationForm(self, requester, source, account, apps, lang, opener=interaction.user.id)
        await interaction.followup.send(view.prompt(), view=view, ephemeral=True)

    async def submit(self, interaction: discord.Interaction, form: EscalationForm, summary: str, details: str) -> None:
        """Hand the form to the escalation service and tell the requester what happened (privately)."""
        lang = form.lang
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = await escalation_request(interaction, form, summary, details)
        outcome = await self.service.submit(request)
        row = outcome.row
        if row is None:
            failed = outcome.eligibility.failed
            reply = refusal_text(self.deps, failed, lang) if failed else text(self.deps, "link.unavailable", lang)
            await interaction.followup.send(reply, ephemeral=True)
        elif row.status == "sent":
            await interaction.followup.send(
                created_text(self.deps, row, f"<#{row.thread_id or row.channel_id}>"), ephemeral=True
            )
        elif row.status == "failed":
            await interaction.followup.send(text(self.deps, "link.unavailable", lang), ephemeral=True)
        else:
            await interaction.followup.send(text(self.deps, "ticket.queued", lang), ephemeral=True)


async def escalation_request(
    interaction: discord.Interaction, form: EscalationForm, summary: str, details: str
) -> EscalationRequest:
    """The service's request from a submitted form: where it was asked, by whom, about what (and the conversation)."""
    org, app = form.chosen_target()
    channel = interaction.channel
    thread_id = channel.id if isinstance(channel, discord.Thread) else None
    source = form.source
    return EscalationRequest(
        guild_id=interaction.guild_id or 0,
        channel_id=interaction.channel_id or 0,
        thread_id=thread_id,
        parent_id=channel.parent_id if isinstance(channel, discord.Thread) else None,
        source_message_id=source.id if source is not None else None,
        message_url=source.jump_url if source is not None else getattr(channel, "jump_url", ""),
        requester_id=form.requester.id,
        opened_by=interaction.user.id,
        account=form.account,
        org_id=org.org_id if org else None,
        app_id=app.app_id if app else None,
        category=form.category,
        severity=form.severity,
        summary=summary,
        details=details,
        lang=form.lang,
        conversation=await conversation(channel, form),
        source_text=source.content if source is not None else "",
    )


def refusal_text(deps: Deps, failed: str, lang: str) -> str:
    """The localised refusal for a failed rule; billing and account help stays open when the plan or role is what
    failed (the policy: for every customer), so those refusals say where to get it."""
    refusal = text(deps, f"refuse.{failed}", lang)
    if failed in ("not_paid", "role"):
        refusal += "\n" + text(deps, "billing.where", lang)
    return refusal


def created_text(deps: Deps, row: Escalation, where: str) -> str:
    """The private confirmation of a created ticket, with the first-response target of its plan and severity.

    The template ends its sentence after {sla}, so the value carries no final stop of its own (a configured SLA
    text such as "2 business hours." would otherwise end the message with "..").
    """
    sla = deps.tickets.sla_text(row)
    sla_text = sla.strip().rstrip(".。") if sla else text(deps, "ticket.no_sla", row.lang).rstrip(".。")
    return text(deps, "ticket.created", row.lang, ticket_id=row.ticket_id or "?", where=where, sla=sla_text)


async def conversation(channel: object, form: EscalationForm) -> list[Message]:
    """The conversation that goes with the ticket (the service redacts it).

    A thread is one conversation: all of it goes. In a shared text channel only the requester's own messages
    do (other members' unrelated talk is not theirs to send to a vendor).
    """
    lines: list[Message] = []
    own_only = not isinstance(channel, discord.Thread)
    if isinstance(channel, discord.Thread | discord.TextChannel):
        try:
            async for message in channel.history(limit=TRANSCRIPT_MESSAGES, oldest_first=True):
                if own_only and message.author.id != form.requester.id:
                    continue
                if message.content:
                    lines.append(Message(message.author.display_name, message.created_at, message.content))
        except discord.HTTPException:
            log.warning("could not read the history of channel %s for a transcript", channel.id)
    if not lines and form.source is not None:
        source = form.source
        lines.append(Message(source.author.display_name, source.created_at, source.content))
    return lines


def account_lines(account: Account) -> str:
    """The linked account's organisations, plans, roles and apps, one line each (shown to its owner only)."""
    lines = []
    for org in account.organizations:
        apps = ", ".join(f"{a.name or a.app_id} ({a.role or '-'})" for a in org.apps) or "-"
        lines.append(f"- **{org.name}**: {org.plan} ({org.subscription_status}), role {org.role or '-'}; apps: {apps}")
    return "\n".join(lines) or "-"


def _lang_of(interaction: discord.Interaction, source: discord.Message | None = None) -> str:
    """The language to answer in: the source message's when there is one, else the member's Discord locale's."""
    if source is not None and source.content:
        lang = detect_language(source.content)[0]
        return lang if lang in LANGS else "en"
    return lang_of_locale(getattr(interaction, "locale", None))


class LinkModal(discord.ui.Modal, title="Link your account"):
    """Private e-mail form (the address goes to the support API only), in the member's language."""

    def __init__(self, cog: Escalations, lang: str = "en") -> None:
        ui = cog.deps.ui
        super().__init__(title=ui.label("modals.link", lang), timeout=600, custom_id="link:email-form")
        self.cog = cog
        self.email: discord.ui.TextInput[LinkModal] = discord.ui.TextInput(
            label=ui.label("inputs.email", lang), placeholder="you@company.com", max_length=254, custom_id="link:email"
        )
        self.add_item(self.email)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Start the verification."""
        await self.cog.start_link(interaction, self.email.value)

    # discord.py's Modal.on_error has this signature but narrows BaseView.on_error's, which mypy reports here.
    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        """Apologise privately and log the cause."""
        log.error("link form failed for user %s", interaction.user.id, exc_info=error)
        if not interaction.response.is_done():
            await interaction.response.send_message("Sorry, something went wrong. Please try again.", ephemeral=True)


class CodeModal(discord.ui.Modal, title="Enter your code"):
    """The one-time code from the e-mail, in the member's language."""

    def __init__(self, cog: Escalations, verification_id: str, lang: str = "en") -> None:
        ui = cog.deps.ui
        super().__init__(title=ui.label("modals.code", lang), timeout=600, custom_id="link:code-form")
        self.cog = cog
        self.verification_id = verification_id
        self.code: discord.ui.TextInput[CodeModal] = discord.ui.TextInput(
            label=ui.label("inputs.code", lang), min_length=4, max_length=12, custom_id="link:code"
        )
        self.add_item(self.code)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Confirm the code."""
        await self.cog.confirm_link(interaction, self.verification_id, self.code.value)


class EnterCodeButton(discord.ui.DynamicItem[discord.ui.Button], template=r"link:code:(?P<vid>[\w-]{1,80})"):
    """Opens the code form; works after a restart (the verification id is in the custom id). `label`: in the
    member's language when sent (the English default is for a button rebuilt from its custom id, never shown)."""

    def __init__(self, verification_id: str, *, label: str = "Enter code") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary,
                                           custom_id=f"link:code:{verification_id}"))  # fmt: skip
        self.verification_id = verification_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]):
        """Rebuild from the custom id."""
        return cls(match["vid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the code form, in the member's language."""
        cog = cog_of(interaction.client, Escalations)
        await interaction.response.send_modal(CodeModal(cog, self.verification_id, _lang_of(interaction)))


class AskStaffButton(discord.ui.DynamicItem[discord.ui.Button], template=r"esc:ask:(?P<source>[0-9]{1,20})"):
    """ "Ask staff" under a bot answer: escalate the asker's question (asker only). `label`: in the language of
    the reply it is sent under (the English default is for a button rebuilt from its custom id, never shown)."""

    def __init__(self, source_id: int, *, label: str = "Ask staff") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"esc:ask:{source_id}"))  # fmt: skip
        self.source_id = source_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]):
        """Rebuild from the custom id."""
        return cls(int(match["source"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the escalation form for the asker."""
        cog = cog_of(interaction.client, Escalations)
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

    def __init__(self, cog: Escalations, requester: discord.abc.User, source: discord.Message | None, *,
                 label: str = "My issue is unrelated") -> None:  # fmt: skip
        super().__init__(label=label, style=discord.ButtonStyle.secondary)
        self.cog, self.requester, self.source = cog, requester, source

    async def callback(self, interaction: discord.Interaction) -> None:
        """Skip the incident hold."""
        await self.cog.open_form(interaction, requester=self.requester, source=self.source, unrelated=True)


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
        ui = cog.deps.ui
        self.category = "troubleshooting"
        self.severity = 3
        self.app_index = 0 if apps else -1
        if apps:
            self.app_select = _Choice(
                self._app_chosen, placeholder=ui.label("selects.app", lang), custom_id="esc:app", options=[
                    discord.SelectOption(label=(app.name or app.app_id)[:100], value=str(i),
                                         description=f"{org.name}"[:100], default=i == 0)
                    for i, (org, app) in enumerate(apps[:25])
                ],
            )  # fmt: skip
            self.add_item(self.app_select)
        self.category_select = _Choice(
            self._category_chosen,
            placeholder=ui.label("selects.category", lang),
            custom_id="esc:category",
            options=[
                discord.SelectOption(label=labels.get(lang, labels["en"])[:100], value=code,
                                     default=code == self.category)
                for code, labels in cog.deps.escalation_texts.detail_categories.items()
            ],
        )  # fmt: skip
        self.add_item(self.category_select)
        self.severity_select = _Choice(
            self._severity_chosen,
            placeholder=ui.label("selects.severity", lang),
            custom_id="esc:severity",
            options=[
                discord.SelectOption(label=f"{level} - {labels.get(lang, labels['en'])}"[:100], value=str(level),
                                     default=level == self.severity)
                for level, labels in cog.deps.escalation_texts.severity.items()
            ],
        )  # fmt: skip
        self.add_item(self.severity_select)
        self.add_item(_ContinueButton(self, label=ui.label("buttons.continue", lang)))

    def prompt(self) -> str:
        """Return the text above the form (it names the Continue button by its label in the same language)."""
        return self.cog.deps.ui.label("prompts.form", self.lang)

    def chosen_target(self) -> tuple[Any, Any]:
        """Return (organisation, app) chosen in the form (the account's only organisation when it has no apps)."""
        if self.app_index >= 0:
            return self.apps[self.app_index]
        orgs = self.account.organizations
        return (orgs[0] if orgs else None), None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the person who opened the form may use it."""
        return interaction.user.id == self.opener

    async def _app_chosen(self, interaction: discord.Interaction, value: str) -> None:
        self.app_index = int(value)
        await interaction.response.defer()

    async def _category_chosen(self, interaction: discord.Interaction, value: str) -> None:
        self.category = value
        await interaction.response.defer()

    async def _severity_chosen(self, interaction: discord.Interaction, value: str) -> None:
        self.severity = int(value)
        await interaction.response.defer()


class _Choice(discord.ui.Select["EscalationForm"]):
    """A select of the form that hands the chosen value to the form."""

    def __init__(self, chosen: Callable[[discord.Interaction, str], Awaitable[None]], **options: Any) -> None:
        super().__init__(**options)
        self._chosen = chosen

    async def callback(self, interaction: discord.Interaction) -> None:
        """Pass the choice on."""
        await self._chosen(interaction, self.values[0])


class _ContinueButton(discord.ui.Button["EscalationForm"]):
    """Step 1 done: open the text form (step 2)."""

    def __init__(self, form: EscalationForm, *, label: str = "Continue") -> None:
        super().__init__(label=label, style=discord.ButtonStyle.primary, custom_id="esc:continue")
        self.form = form

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the modal."""
        await interaction.response.send_modal(EscalationModal(self.form))


class EscalationModal(discord.ui.Modal, title="Ask the support team"):
    """Step 2: summary and details, pre-filled from the thread; in the form's language."""

    def __init__(self, form: EscalationForm) -> None:
        ui, lang = form.cog.deps.ui, form.lang
        super().__init__(title=ui.label("modals.escalation", lang), timeout=900, custom_id="esc:form")
        self.form = form
        source = form.source.content if form.source is not None else ""
        analysis = form.cog.deps.engine.analyser.analyse(source) if source else None
        summary_default = " ".join(source.split())[:100] if source else ""
        missing = ", ".join(analysis.missing) if analysis and analysis.missing else ""
        details_default = redact(source)[:3500] + (f"\n\n(still missing: {missing})" if missing else "")
        self.summary: discord.ui.TextInput[EscalationModal] = discord.ui.TextInput(
            label=ui.label("inputs.summary", lang),
            max_length=200,
            default=summary_default or None,
            custom_id="esc:summary",
        )
        self.details: discord.ui.TextInput[EscalationModal] = discord.ui.TextInput(
            label=ui.label("inputs.details", lang), style=discord.TextStyle.paragraph, max_length=4000,
            default=details_default or None, required=True, custom_id="esc:details",
        )  # fmt: skip
        self.add_item(self.summary)
        self.add_item(self.details)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Hand over to the cog."""
        await self.form.cog.submit(interaction, self.form, self.summary.value, self.details.value)

    # discord.py's Modal.on_error has this signature but narrows BaseView.on_error's, which mypy reports here.
    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        """Apologise privately and log the cause."""
        log.error("escalation form failed for user %s", interaction.user.id, exc_info=error)
        send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
        await send("Sorry, something went wrong; your request was not lost if you saw 'queued'.", ephemeral=True)


async def setup(bot: SupportBot) -> None:
    """Register the dynamic buttons and the cog."""
    bot.add_dynamic_items(EnterCodeButton, AskStaffButton)
    await bot.add_cog(Escalations(bot, bot.deps))
