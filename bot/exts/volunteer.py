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

from bot.core.analysis import detect_language
from bot.core.decision import Action, Decision
from bot.core.index import Match
from bot.core.render import neutralise_mentions, render_decision, truncate
from bot.exts._common import NO_MENTIONS, checked_config, config_of, is_helper
from bot.exts.feedback import feedback_view, reminder_view
from bot.services.store import BotReply

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot

log = logging.getLogger(__name__)

# A coroutine function, as app_commands.ContextMenu requires (an Awaitable-returning callable is not enough).
MenuCallback = Callable[[discord.Interaction, discord.Message], Coroutine[Any, Any, None]]


class Volunteer(commands.Cog):
    """Volunteer commands; see the module docstring."""

    def __init__(self, bot: commands.Bot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps
        self._menus = [
            app_commands.ContextMenu(name="Answer with FAQ", callback=self._helpers_only(self.answer_with_faq)),
            app_commands.ContextMenu(
                name="Ask for reproduction details", callback=self._helpers_only(self.ask_for_details)
            ),
            app_commands.ContextMenu(name="Triage: why", callback=self._helpers_only(self.why_menu)),
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
    @app_commands.command(name="faq", description="Post an FAQ answer or docs page in this channel")
    @app_commands.describe(query="What to look for (pick a suggestion)", user="Address the answer to this user")
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
        text = self._answer_text(match, lang)
        mentions = NO_MENTIONS
        if user is not None:
            text = f"{user.mention} {text}"
            mentions = discord.AllowedMentions(users=[user], everyone=False, roles=False, replied_user=False)
        # The post answers no message: its feedback buttons are keyed by this interaction's id (a snowflake, unique
        # like a message id), and the person it is addressed to (else the volunteer) counts as the asker.
        source_id = interaction.id
        sent = await interaction.response.send_message(
            truncate(text), view=feedback_view(source_id), allowed_mentions=mentions
        )
        if sent.message_id is None:
            log.warning("/faq post for interaction %s has no message id: its buttons are not tracked", source_id)
            return
        asker = user.id if user is not None else interaction.user.id
        channel = interaction.channel
        await self._record_answer(
            reply_id=sent.message_id,
            guild_id=interaction.guild_id or 0,
            channel_id=interaction.channel_id or 0,
            thread_id=channel.id if isinstance(channel, discord.Thread) else None,
            source_id=source_id,
            asker_id=asker,
            match=match,
            lang=lang,
        )

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

    def _answer_text(self, match: Match, lang: str) -> str:
        ctx = self.deps.engine.render_context
        entry = self.deps.engine.index.entry(match.entry_id) if match.entry_id else None
        decision = Decision(Action.ANSWER, "posted by a volunteer", lang, match=match)
        text = render_decision(decision, ctx, entry)
        return neutralise_mentions(text)

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
        view = AnswerPicker(self, target, matches, lang, interaction.user.id)
        await interaction.response.send_message("Pick the answer to post:", view=view, ephemeral=True)

    async def ask_for_details(self, interaction: discord.Interaction, target: discord.Message) -> None:
        """Post a reminder listing the reproduction details the message lacks."""
        analysis = self.deps.engine.analyser.analyse(target.content)
        if not analysis.missing:
            await interaction.response.send_message("That message already has every detail.", ephemeral=True)
            return
        decision = Decision(Action.REMIND, "asked by a volunteer", analysis.lang, missing=analysis.missing)
        text = neutralise_mentions(render_decision(decision, self.deps.engine.render_context))
        await interaction.response.defer(ephemeral=True)
        sent = await target.reply(
            text, view=reminder_view(target.id), mention_author=False, allowed_mentions=NO_MENTIONS
        )
        now = self.deps.clock()
        await self.deps.store.replies.record_reply(
            BotReply(
                reply_message_id=sent.id,
                guild_id=interaction.guild.id,  # type: ignore[union-attr]
                channel_id=sent.channel.id,
                thread_id=target.channel.id if isinstance(target.channel, discord.Thread) else None,
                source_message_id=target.id,
                author_id=target.author.id,
                kind="remind",
                url=None,
                entry_id=None,
                confidence=0.0,
                missing=analysis.missing,
                lang=analysis.lang,
                created_at=now,
                deleted_at=None,
            )
        )
        await interaction.followup.send("Reminder posted.", ephemeral=True)

    async def _record_answer(
        self,
        *,
        reply_id: int,
        guild_id: int,
        channel_id: int,
        thread_id: int | None,
        source_id: int,
        asker_id: int,
        match: Match,
        lang: str,
    ) -> None:
        """Record a volunteer's FAQ post as an answer, so its Solved / Not helpful / Dismiss buttons work (the
        feedback service finds answers by their source message) and `/stats` counts their feedback."""
        await self.deps.store.replies.record_reply(
            BotReply(
                reply_message_id=reply_id,
                guild_id=guild_id,
                channel_id=channel_id,
                thread_id=thread_id,
                source_message_id=source_id,
                author_id=asker_id,
                kind="answer",
                url=match.url,
                entry_id=match.entry_id,
                confidence=match.score,
                missing=(),
                lang=lang,
                created_at=self.deps.clock(),
                deleted_at=None,
            )
        )

    async def why_menu(self, interaction: discord.Interaction, target: discord.Message) -> None:
        """Explain privately what the bot decided for a message, and why."""
        await interaction.response.send_message(await self._why_text(target.id), ephemeral=True)

    @app_commands.command(name="triage-why", description="What the bot decided for a message, and why")
    @app_commands.describe(message_id="The message id (or its link)")
    @app_commands.guild_only()
    async def triage_why(self, interaction: discord.Interaction, message_id: str) -> None:
        """Explain a past decision, privately."""
        raw = message_id.rstrip("/").rsplit("/", 1)[-1]
        if not raw.isdigit():
            await interaction.response.send_message("Give a message id or a message link.", ephemeral=True)
            return
        await interaction.response.send_message(await self._why_text(int(raw)), ephemeral=True)

    async def _why_text(self, message_id: int) -> str:
        record = await self.deps.store.replies.get_decision(message_id)
        if record is None:
            return "The bot has no decision recorded for that message (not in a watched channel, or before it joined)."
        lines = [
            f"**Action:** {record.action} (`{record.rule}`)",
            f"**Reason:** {record.reason}",
            f"**Language / intent:** {record.lang} / {record.intent}",
        ]
        if record.top_url:
            lines.append(f"**Best match:** {record.top_title} ({record.confidence:.2f}) <{record.top_url}>")
        return neutralise_mentions("\n".join(lines))


class AnswerPicker(discord.ui.View):
    """Ephemeral picker of matches for "Answer with FAQ"; only the volunteer who opened it can use it."""

    def __init__(self, cog: Volunteer, target: discord.Message, matches: tuple[Match, ...], lang: str, owner: int):
        super().__init__(timeout=300)
        self.cog, self.target, self.matches, self.lang, self.owner = cog, target, matches, lang, owner
        self.select = _AnswerSelect(
            self,
            placeholder="Choose an answer",
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
        text = self.cog._answer_text(match, self.lang)
        await interaction.response.edit_message(content="Posted.", view=None)
        target = self.target
        view = feedback_view(target.id, ask_staff=self.cog.deps.escalation.enabled)  # as under the bot's answers
        sent = await target.reply(truncate(text), view=view, mention_author=False, allowed_mentions=NO_MENTIONS)
        await self.cog._record_answer(
            reply_id=sent.id,
            guild_id=target.guild.id if target.guild else (interaction.guild_id or 0),
            channel_id=sent.channel.id,
            thread_id=target.channel.id if isinstance(target.channel, discord.Thread) else None,
            source_id=target.id,
            asker_id=target.author.id,
            match=match,
            lang=self.lang,
        )
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
