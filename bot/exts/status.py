"""Status-page awareness: poll the brand's status source, keep the current incident, tell staff once per guild.

During an incident the watcher routes "is it down?" messages and bug reports to the incident notice and the
escalation form holds tickets back (with a way out). If the status page itself is unreachable the bot carries on
as if there were no incident and says nothing wrong. When the incident is resolved, staff are told and threads
that got the incident notice are told too.

Several processes (shards) share the incident through the store: one leader at a time polls the status page and
records its incidents (`deps.leadership`, retried every interval so a follower takes over when the leader stops); the
others reload the incident board from the store each interval, so their triage sees the incident too. The notices
are every process's, for the guilds it has: each interval it claims in the store the staff lines owed there (an
incident's start, its end) and, once no incident is in progress, the threads to tell, and posts what it claimed. So
each guild is told once, by the process that has it, whoever polls; a restart or a take-over finds the claims and
says nothing again, and a guild that was never told (a new one) is told.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.core.decision import Incident
from bot.exts._common import NO_MENTIONS, staff_log

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot
    from bot.services.store import OwedIncidentNotice

log = logging.getLogger(__name__)

POLL_SECONDS = 60


class StatusWatch(commands.Cog):
    """Polls the status page every minute (as the leader) and posts the incident notices of this process's guilds."""

    def __init__(self, bot: SupportBot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps

    async def cog_load(self) -> None:
        """Start polling when a status source is configured."""
        if self.deps.status is not None:
            self.poll.start()

    async def cog_unload(self) -> None:
        """Stop polling and give up the leadership (another process takes over at its next interval)."""
        self.poll.cancel()
        await self.deps.leadership.release()

    @tasks.loop(seconds=POLL_SECONDS)
    async def poll(self) -> None:
        """As the leader: fetch the status and record it. Every process: post the notices of its guilds."""
        await self.tick()

    async def tick(self) -> None:
        """One interval: poll when this process leads, else refresh the incident board from the store; then post the
        notices owed in this process's guilds. A store error skips the interval (the loop goes on)."""
        try:
            if await self.deps.leadership.acquire():
                await self.check_once()
                return
            await self.deps.incidents.restore()
            await self.announce()
        except Exception:  # the store's errors: keep the board and the owed notices as they are until the next interval
            log.warning("incident interval skipped: the store failed; trying again in %d s", POLL_SECONDS,
                        exc_info=True)  # fmt: skip

    @poll.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()

    async def check_once(self) -> None:
        """One poll as the leader: record what the status page reports, then post the notices owed here."""
        status = self.deps.status
        if status is None:  # polling starts only with a status source (cog_load)
            return
        report = await status.fetch()
        if report is None:
            log.debug("status page unreachable: keeping the previous incident state")
        else:
            incidents = () if report.ok else report.incidents
            first = incidents[0] if incidents else None
            await self.deps.incidents.set(
                Incident(first.name, first.url or self.deps.settings.brand.status_url) if first else None
            )
            await self.deps.incidents.record([(i.name, i.url, i.status) for i in incidents])
        await self.announce()

    async def announce(self) -> None:
        """Post the notices owed in the guilds this process has (available ones): the staff line of each incident
        that started or ended, claimed in the store first (once across processes and restarts), and, once no incident
        is in progress, word to the threads that got the incident notice."""
        guild_ids = [guild.id for guild in self.bot.guilds if not guild.unavailable]
        if not guild_ids:
            log.debug("incident notices skipped: no guild available in this process yet")
            return
        board = self.deps.incidents
        for notice in await board.owed_notices(guild_ids):
            config = await self.deps.store.config.get_config(notice.guild_id)
            if not await board.claim(notice):
                log.debug("incident %s: %s notice of guild %s skipped: claimed already (another process)",
                          notice.incident.id, notice.kind, notice.guild_id)  # fmt: skip
                continue
            await staff_log(self.bot, config, staff_line(notice))
        if self.deps.incident is None:
            await self._tell_threads(guild_ids)

    async def _tell_threads(self, guild_ids: list[int]) -> None:
        for channel_id in await self.deps.incidents.take_notified(guild_ids):
            channel = self.bot.get_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.info("channel %s not told that the incident is resolved: not found (deleted?)", channel_id)
                continue
            try:
                await channel.send("The platform incident is resolved. If your problem persists, please say so "
                                   "here.", allowed_mentions=NO_MENTIONS)  # fmt: skip
            except discord.HTTPException:
                log.warning("could not tell channel %s that the incident is resolved", channel_id)


def staff_line(notice: OwedIncidentNotice) -> str:
    """Staff's line about an incident that started or ended (its status on the page when it was first seen)."""
    incident = notice.incident
    if notice.kind == "resolved":
        return f"Incident resolved: **{incident.name}**."
    status = f" ({incident.status})" if incident.status else ""  # unknown for an incident recorded by an upgrade
    return f"Status page reports an incident: **{incident.name}**{status} {incident.url}"


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(StatusWatch(bot, bot.deps))
