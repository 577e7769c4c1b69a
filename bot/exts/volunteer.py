"""Volunteer tools: /faq, "Answer with FAQ", "Ask for reproduction details" and "Triage: why".

Every command checks that the user is a volunteer or staff member; results only the volunteer needs are
ephemeral; what is posted for the asker is public and pings nobody but the person explicitly addressed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.volunteer import Posted
from bot.core.analysis import detect_language
from bot.core.index import Match
from bot.core.render import truncate
from bot.exts._common import NO_MENTIONS, checked_config, config_of, is_helper
from bot.exts.feedback import feedback_view, reminder_view
from bot.exts.translator import lang_of_locale

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot

log = logging.getLogger(__name__)

# A coroutine function, as app_commands.ContextMenu requires (an Awaitable-returning callable is not enough).
MenuCallback = Callable[[discord.Interaction, discord.Message], Coroutine[Any, Any, None]]
# Descriptions and menu names are localised from bot/resources/ui/ at /sync (bot/exts/translator.py).
_T = app_commands.locale_str


class Volunteer(commands.Cog):
    """Volunteer commands; see the module docstring."""

    def __init__(self, bot: commands.Bot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps
        self._menus = [
            app_commands.ContextMenu(
                name=_T("Answer with FAQ", key="menus.answer_with_faq"),
                callback=self._helpers_only(self.answer_with_faq),
            ),
            app_commands.ContextMenu(
                name=_T("Ask for reproduction details", key="menus.ask_for_details"),
                callback=self._helpers_only(self.ask_for_details),
            ),
            app_commands.ContextMenu(
                name=_T("Triage: why", key="menus.triage_why"), callback=self._helpers_only(self.why_menu)
            ),
        ]

    async def cog_load(self) -> None:
        """Register the message context menus."""
        for menu in self._menus:
            self.bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        """Remove the message context menus."""
        for menu in self._menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Every slash command of this cog is for volunteers and staff."""
        return await checked_config(interaction, self.deps, staff_only=False) is not None

    def _helpers_only(self, menu: MenuCallback) -> MenuCallback:
        """The same check for the message menus (tree commands, which the cog's check does not cover)."""

        async def checked(interaction: discord.Interaction, target: discord.Message) -> None:
            if await checked_config(interaction, self.deps, staff_only=False) is not None:
                await menu(interaction, target)

        return checked

    # ------------------------------------------------------------------------------------------------------
    # /faq
    # ------------------------------------------------------------------------------------------------------
    @app_commands.command(
        name="faq", description=_T("Post an FAQ answer or docs page in this channel", key="commands.faq")
    )
    @app_commands.describe(
        query=_T("What to look for (pick a suggestion)", key="commands.faq.query"),
        user=_T("Address the answer to this user", key="commands.faq.user"),
    )
    @app_commands.guild_only()
    async def faq(self, interaction: discord.Interaction, query: str, user: discord.Member | None = None) -> None:
        """Post the chosen FAQ answer (or docs page) publicly, optionally addressed to a user."""
        match = self._resolve_choice(query)
        if match is None:
            await interaction.response.send_message(
                f"Nothing in the FAQ or docs matches {query[:80]!r} well enough; try another wording.", ephemeral=True
            )
            return
        lang = config_of(interaction).default_language
        text = self.deps.volunteers.answer_text(match, lang)
        mentions = NO_MENTIONS
        if user is not None:
            text = f"{user.mention} {text}"
            mentions = discord.AllowedMentions(users=[user], everyone=False, roles=False, replied_user=False)
        # The post answers no message: its feedback buttons are keyed by this interaction's id (a snowflake, unique
        # like a message id), and the person it is addressed to (else the volunteer) counts as the asker.
        source_id = interaction.id
        sent = await interaction.response.send_message(
            truncate(text), view=feedback_view(source_id, self.deps.ui, lang), allowed_mentions=mentions
        )
        if sent.message_id is None:
            log.warning("/faq post for interaction %s has no message id: its buttons are not tracked", source_id)
            return
        asker = user.id if user is not None else interaction.user.id
        channel = interaction.channel
        thread_id = channel.id if isinstance(channel, discord.Thread) else None
        where = Posted(
            sent.message_id, interaction.guild_id or 0, interaction.channel_id or 0, thread_id, source_id, asker
        )
        await self.deps.volunteers.record_answer(where, match, lang)

    @faq.autocomplete("query")
    async def faq_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Suggest FAQ entries and docs pages for what the volunteer typed (helpers only, like the command)."""
        if interaction.guild is None:
            return []
        config = await self.deps.store.config.get_config(interaction.guild.id)
        if not is_helper(interaction.user, config):
            log.debug("faq autocomplete skipped: user %s is not a volunteer or staff member", interaction.user.id)
            return []
        index = self.deps.engine.index
        if not current.strip():
            return [app_commands.Choice(name=e.title[:100], value=f"faq:{e.id}") for e in index.entries[:25]]
        lang, _ = detect_language(current)
        choices: list[app_commands.Choice[str]] = []
        for match in index.search(current, lang, limit=10).matches:
            value = f"faq:{match.entry_id}" if match.entry_id else f"url:{match.url}"
            if len(value) > 100:
                continue
            label = f"{match.title} ({match.score:.2f})"
            choices.append(app_commands.Choice(name=label[:100], value=value))
        return choices[:25]

    def _resolve_choice(self, query: str) -> Match | None:
        index = self.deps.engine.index
        if query.startswith("faq:"):
            entry = index.entry(query[4:])
            if entry is not None:
                return Match(index.canonical_link(entry), entry.title, 1.0, "faq", entry.id)
        if query.startswith("url:"):
            url = query[4:]
            return Match(url, index.title_of(url) or url, 1.0, "docs")
        lang, _ = detect_language(query)
        best = index.search(query, lang).best
        return best if best is not None and best.score >= self.deps.settings.triage.suggest_threshold else None

    # ------------------------------------------------------------------------------------------------------
    # Message context menus
    # ------------------------------------------------------------------------------------------------------
    async def answer_with_faq(self, interaction: discord.Interaction, target: discord.Message) -> None:
        """Show the best matches for a message privately; the chosen one is posted as a reply to it."""
        lang, _ = detect_language(target.content)
        matches = self.deps.engine.index.search(target.content, lang).matches
        if not matches:
            await interaction.response.send_message("No FAQ entry or docs page matches this message.", ephemeral=True)
            return
        placeholder = self.deps.ui.label("selects.answer", lang_of_locale(interaction.locale))  # the volunteer's
        view = AnswerPicker(self, target, matches, lang, interaction.user.id, placeholder=placeholder)
        await interaction.response.send_message("Pick the answer to post:", view=view, ephemeral=True)

    async def ask_for_details(self, interaction: discord.Interaction, target: discord.Message) -> None:
        """Post a reminder listing the reproduction details the message lacks."""
        request = self.deps.volunteers.details_request(target.content)
        if request is None:
            await interaction.response.send_message("That message already has every detail.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True)
        view = reminder_view(target.id, self.deps.ui, request.lang)
        sent = await target.reply(request.text, view=view, mention_author=False, allowed_mentions=NO_MENTIONS)
        thread_id = target.channel.id if isinstance(target.channel, discord.Thread) else None
        guild_id = interaction.guild_id or 0
        posted = Posted(sent.id, guild_id, sent.channel.id, thread_id, target.id, target.author.id)
        await self.deps.volunteers.record_request(posted, request)
        await interaction.followup.send("Reminder posted.", ephemeral=True)

    async def why_menu(self, interaction: discord.Interaction, target: discord.Message) -> None:
        """Explain privately what the bot decided for a message, and why."""
        await interaction.response.send_message(await self.deps.volunteers.why(target.id), ephemeral=True)

    @app_commands.command(
        name="triage-why", description=_T("What the bot decided for a message, and why", key="commands.triage-why")
    )
    @app_commands.describe(message_id=_T("The message id (or its link)", key="commands.triage-why.message_id"))
    @app_commands.guild_only()
    async def triage_why(self, interaction: discord.Interaction, message_id: str) -> None:
        """Explain a past decision, privately."""
        raw = message_id.rstrip("/").rsplit("/", 1)[-1]
        if not raw.isdigit():
            await interaction.response.send_message("Give a message id or a message link.", ephemeral=True)
            return
        await interaction.response.send_message(await self.deps.volunteers.why(int(raw)), ephemeral=True)


class AnswerPicker(discord.ui.View):
    """Ephemeral picker of matches for "Answer with FAQ"; only the volunteer who opened it can use it. `lang` is
    the asker's (the posted answer and its buttons); `placeholder`, in the volunteer's language."""

    def __init__(self, cog: Volunteer, target: discord.Message, matches: tuple[Match, ...], lang: str, owner: int,
                 *, placeholder: str = "Choose an answer") -> None:  # fmt: skip
        super().__init__(timeout=300)
        self.cog, self.target, self.matches, self.lang, self.owner = cog, target, matches, lang, owner
        self.select = _AnswerSelect(
            self,
            placeholder=placeholder,
            options=[
                discord.SelectOption(label=m.title[:100] or m.url[:100], value=str(i), description=f"{m.score:.2f}")
                for i, m in enumerate(matches[:25])
            ],
        )
        self.add_item(self.select)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the volunteer who opened the picker may use it."""
        return interaction.user.id == self.owner

    async def _chosen(self, interaction: discord.Interaction) -> None:
        match = self.matches[int(self.select.values[0])]
        text = self.cog.deps.volunteers.answer_text(match, self.lang)
        await interaction.response.edit_message(content="Posted.", view=None)
        target = self.target
        deps = self.cog.deps
        view = feedback_view(target.id, deps.ui, self.lang, ask_staff=deps.escalation.enabled)  # as the bot's answers
        sent = await target.reply(truncate(text), view=view, mention_author=False, allowed_mentions=NO_MENTIONS)
        guild_id = target.guild.id if target.guild else (interaction.guild_id or 0)
        thread_id = target.channel.id if isinstance(target.channel, discord.Thread) else None
        posted = Posted(sent.id, guild_id, sent.channel.id, thread_id, target.id, target.author.id)
        await deps.volunteers.record_answer(posted, match, self.lang)
        self.stop()


class _AnswerSelect(discord.ui.Select[AnswerPicker]):
    """The picker's drop-down: hands the choice to the picker."""

    def __init__(self, picker: AnswerPicker, *, placeholder: str, options: list[discord.SelectOption]) -> None:
        super().__init__(placeholder=placeholder, options=options)
        self.picker = picker

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer with the chosen match."""
        await self.picker._chosen(interaction)


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(Volunteer(bot, bot.deps))
