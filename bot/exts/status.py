"""Status-page awareness: poll the brand's status source, keep the current incident, tell staff once.

During an incident the watcher routes "is it down?" messages and bug reports to the incident notice and the
escalation form holds tickets back (with a way out). If the status page itself is unreachable the bot carries on
as if there were no incident and says nothing wrong. When the incident is resolved, staff are told and threads
that got the incident notice are told too.

Several processes (shards) share the incident through the store: one leader at a time polls and notifies
(`deps.leadership`, retried every interval so a follower takes over when the leader stops); the others reload the
incident board from the store each interval, so their triage sees the incident too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.core.decision import Incident
from bot.exts._common import NO_MENTIONS, staff_log
from bot.services.status_page import StatusReport, diff_incidents

if TYPE_CHECKING:
    from bot.bot import Deps, SupportBot

log = logging.getLogger(__name__)

POLL_SECONDS = 60


class StatusWatch(commands.Cog):
    """Polls the status page every minute."""

    def __init__(self, bot: SupportBot, deps: Deps) -> None:
        self.bot = bot
        self.deps = deps
        self.previous: StatusReport | None = None

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
        """As the leader: fetch the status and react to changes. As a follower: read the incident the leader saved."""
        await self.tick()

    async def tick(self) -> None:
        """One interval: poll when this process leads, else refresh the incident board from the store."""
        if await self.deps.leadership.acquire():
            await self.check_once()
            return
        self.previous = None  # a later take-over starts from what the page says then
        try:
            await self.deps.incidents.restore()
        except Exception:  # the store's errors: keep the board as it was until the next interval
            log.warning("could not reload the incident board from the store", exc_info=True)

    @poll.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()

    async def check_once(self) -> None:
        """One poll: update the incident, notify staff on start and end (once each)."""
        status = self.deps.status
        if status is None:  # polling starts only with a status source (cog_load)
            return
        report = await status.fetch()
        if report is None:
            log.debug("status page unreachable: keeping the previous incident state")
            return
        started, resolved = diff_incidents(self.previous, report)
        self.previous = report
        if report.ok or not report.incidents:
            await self.deps.incidents.set(None)
        else:
            first = report.incidents[0]
            await self.deps.incidents.set(Incident(first.name, first.url or self.deps.settings.brand.status_url))
        for guild in self.bot.guilds:
            config = await self.deps.store.config.get_config(guild.id)
            for incident in started:
                await staff_log(self.bot, config, f"Status page reports an incident: **{incident.name}** "
                                                  f"({incident.status}) {incident.url}")  # fmt: skip
            for incident in resolved:
                await staff_log(self.bot, config, f"Incident resolved: **{incident.name}**.")
        if resolved and self.deps.incident is None:
            await self._tell_threads()

    async def _tell_threads(self) -> None:
        for channel_id in await self.deps.incidents.take_notified():
            channel = self.bot.get_channel(channel_id)
            if isinstance(channel, discord.abc.Messageable):
                try:
                    await channel.send("The platform incident is resolved. If your problem persists, please say so "
                                       "here.", allowed_mentions=NO_MENTIONS)  # fmt: skip
                except discord.HTTPException:
                    log.warning("could not tell channel %s that the incident is resolved", channel_id)


async def setup(bot: SupportBot) -> None:
    """Add the cog."""
    await bot.add_cog(StatusWatch(bot, bot.deps))
