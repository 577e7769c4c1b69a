"""TicketWatch: the outbox worker and everything the bot says about tickets after they are queued.

The requester's notice in the thread and the staff notice when the support API accepts a ticket (once each, across
restarts), staff's line when it rejects one, an alert for escalations the API has not accepted in time, word in the
thread when a ticket is solved, and `/escalations` (the queue, for staff). What is due comes from `TicketDesk`
(`bot/app/tickets.py`); this cog only posts it, and only in the guilds this process has (shards: see `housekeeping`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.exts._common import NO_MENTIONS, apply_forum_tag, checked_config, staff_log
from bot.exts.escalation import text

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot
    from bot.services.escalations import Escalation

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 30


class TicketWatch(commands.Cog):
    """See the module docstring."""

    def __init__(self, bot: SupportBot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps
        self.desk = deps.tickets
        self._worker: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        """Start the outbox worker (when official support is configured) and the housekeeping loop."""
        outbox = self.deps.outbox
        if outbox is not None:
            outbox.on_sent = self.announce_ticket
            outbox.on_failed = self.announce_failure
            self._worker = asyncio.get_running_loop().create_task(outbox.run(), name="outbox")
        self.housekeeping.start()

    async def cog_unload(self) -> None:
        """Stop the loops."""
        self.housekeeping.cancel()
        if self._worker is not None:
            self._worker.cancel()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """`/escalations` is for staff."""
        return await checked_config(interaction, self.deps, staff_only=True) is not None

    def has_guild(self, guild_id: int) -> bool:
        """Whether this process can post in the guild: it is in the cache (one of this process's shards) and
        available (not only announced by READY, nor in an outage)."""
        guild = self.bot.get_guild(guild_id)
        return guild is not None and not guild.unavailable

    def served_guild_ids(self) -> list[int]:
        """The available guilds of this process: its housekeeping handles their rows only (other processes, theirs)."""
        return [g.id for g in self.bot.guilds if not g.unavailable]

    async def announce_ticket(self, row: Escalation) -> None:
        """Tell the thread and the staff channel about a new ticket (once each, across restarts).

        Only a process that sees the row's guild claims its notices. The outbox worker sends tickets from any
        process: one whose shards do not own the guild, or this one at start before the guild has arrived (the worker
        starts before the gateway connects). A claim there would be spent on a channel it cannot post to; instead
        the notices stay owed, and the housekeeping of the process that has the guild posts them.
        """
        if not self.has_guild(row.guild_id):
            log.debug("ticket %s: guild %s is not available in this process; its notices stay owed",
                      row.ticket_id, row.guild_id)  # fmt: skip
            return
        channel = self.bot.get_channel(row.thread_id or row.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            if row.user_notified_at is None:  # gone or archived: behind the other owed notices, given up in the end
                await self.desk.user_notice_unreachable(row)
        elif await self.desk.claim(row, "user"):
            # Queued first (the API was down): the requester waited, so say their saved request went through.
            key = "ticket.sent_later" if row.attempts > 1 else "ticket.public"
            note = text(self.deps, key, row.lang, ticket_id=row.ticket_id or "?")
            mentions = discord.AllowedMentions(users=[discord.Object(row.requester_id)], everyone=False, roles=False)
            await channel.send(f"<@{row.requester_id}> {note}", allowed_mentions=mentions)
        if isinstance(channel, discord.Thread):
            await apply_forum_tag(channel, await self.desk.guild_config(row.guild_id), "escalate")
        notice = await self.desk.staff_notice(row)
        if notice is None:
            return
        severity = self.deps.escalation_texts.severity[row.severity]["en"]
        deadline = notice.deadline
        lines = [
            f"**New ticket {row.ticket_id}** ({row.ticket_url})",
            f"Tier: {row.tier or '-'} · severity {row.severity} ({severity}) · category {row.category}",
            "SLA first response by: " + (discord.utils.format_dt(deadline) if deadline else "no SLA on this plan"),
            f"Thread: <#{row.thread_id or row.channel_id}> · requester <@{row.requester_id}>",
        ]
        await staff_log(self.bot, notice.config, "\n".join(lines))

    async def announce_failure(self, row: Escalation) -> None:
        """Tell staff that the API rejected an escalation for good (once, across restarts).

        As in `announce_ticket`, only a process that has the row's guild claims it: a rejection met by another
        shard's outbox worker, or by this one before the guild arrived, stays owed to the housekeeping of the process
        that has the guild.
        """
        if not self.has_guild(row.guild_id):
            log.debug("escalation %s: guild %s is not available in this process; the rejection notice stays owed",
                      row.id, row.guild_id)  # fmt: skip
            return
        if not await self.desk.claim(row, "failed"):
            return
        await staff_log(
            self.bot,
            await self.desk.guild_config(row.guild_id),
            f"Escalation #{row.id} from <@{row.requester_id}> in <#{row.thread_id or row.channel_id}> was rejected "
            f"by the support API: {row.last_error or 'unknown error'}. Please follow up by hand.",
        )

    @tasks.loop(seconds=HOUSEKEEPING_SECONDS)
    async def housekeeping(self) -> None:
        """Owed notices, stuck alerts, solved tickets, of this process's guilds only.

        Every process runs this loop; with several (shards) each handles the rows of the guilds it has, so no notice
        is claimed where it cannot be posted and no ticket's status is read from the API twice.
        """
        guild_ids = self.served_guild_ids()
        if not guild_ids:
            log.debug("housekeeping skipped: no guild in this process yet")
            return
        for row in await self.desk.owed_user_notices(guild_ids=guild_ids):
            await self.announce_ticket(row)
        for row in await self.desk.owed_failure_notices(guild_ids=guild_ids):
            await self.announce_failure(row)
        for row, config in await self.desk.newly_stuck(guild_ids=guild_ids):
            await staff_log(
                self.bot, config,
                f"Escalation #{row.id} (<#{row.thread_id or row.channel_id}>) is still not accepted by the "
                f"support API after {row.attempts} attempt(s): {row.last_error or '-'}",
            )  # fmt: skip
        await self.poll_ticket_statuses(guild_ids)

    async def poll_ticket_statuses(self, guild_ids: Collection[int]) -> None:
        """Tell threads of `guild_ids` whose ticket the API reports as solved."""
        for row in await self.desk.newly_solved(guild_ids=guild_ids):
            channel = self.bot.get_channel(row.thread_id or row.channel_id)
            if isinstance(channel, discord.abc.Messageable):
                await channel.send(
                    text(self.deps, "ticket.solved", row.lang, ticket_id=row.ticket_id or "?"),
                    allowed_mentions=NO_MENTIONS,
                )

    @housekeeping.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()

    @app_commands.command(
        name="escalations",
        # Localised from bot/resources/ui/ at /sync (bot/exts/translator.py); the name stays English.
        description=app_commands.locale_str(
            "Pending, failed and recent escalations (staff)", key="commands.escalations"
        ),
    )
    @app_commands.guild_only()
    async def escalations(self, interaction: discord.Interaction) -> None:
        """List the escalation queue for staff."""
        overview = await self.desk.overview(interaction.guild_id or 0)
        lines = []
        for status, rows in overview.rows.items():
            lines.append(f"**{status.capitalize()}** ({len(rows)})")
            for row in rows:
                ticket = f"ticket {row.ticket_id}" if row.ticket_id else f"{row.attempts} attempt(s)"
                lines.append(
                    f"- #{row.id} <#{row.thread_id or row.channel_id}> sev {row.severity} · {ticket}"
                    + (f" · {row.last_error[:80]}" if row.last_error and status != "sent" else "")
                )
        if overview.circuit is not None:
            lines.append(f"Support API circuit: {overview.circuit}")
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(TicketWatch(bot, bot.deps))
