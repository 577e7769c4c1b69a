"""Small helpers shared by the cogs: roles, watched-channel lookup, safe sending."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.app.triage_flow import Author, role_of
from bot.core.decision import Role

if TYPE_CHECKING:
    from bot.bot import Deps
    from bot.services.store import GuildConfig

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
_FORUM_TAG_FOR = {
    "answer": "forum_tag_answered",
    "remind": "forum_tag_needs_details",
    "escalate": "forum_tag_escalated",
}


def member_role(member: discord.abc.User | None, config: GuildConfig) -> Role:
    """Return the triage role of a message author or command user."""
    if member is None:
        return Role.MEMBER
    return role_of(author_of(member), config)


def author_of(member: discord.abc.User) -> Author:
    """The flow's view of a Discord user: id, role ids, Manage Server, bot or system account."""
    permissions = getattr(member, "guild_permissions", None)
    return Author(
        user_id=member.id,
        role_ids=tuple(role.id for role in getattr(member, "roles", ())),
        manages_guild=bool(permissions is not None and permissions.manage_guild),
        is_bot=bool(member.bot or getattr(member, "system", False)),
    )


NOT_IN_SERVER = "This command only works in a server."
NOT_STAFF = "This command is for staff only."
NOT_HELPER = "This command is for volunteers and staff."


async def checked_config(interaction: discord.Interaction, deps: Deps, *, staff_only: bool) -> GuildConfig | None:
    """The one permission check of staff and volunteer commands: the guild's config when the user may run it
    (also left in ``interaction.extras["config"]`` for the command), else None after telling them why, privately."""
    if interaction.guild is None:
        await interaction.response.send_message(NOT_IN_SERVER, ephemeral=True)
        return None
    config = await deps.store.config.get_config(interaction.guild.id)
    allowed = is_staff(interaction.user, config) if staff_only else is_helper(interaction.user, config)
    if not allowed:
        who = "staff" if staff_only else "volunteer"
        log.info("refused %s command to user %s in guild %s", who, interaction.user.id, interaction.guild.id)
        await interaction.response.send_message(NOT_STAFF if staff_only else NOT_HELPER, ephemeral=True)
        return None
    interaction.extras["config"] = config
    return config


def config_of(interaction: discord.Interaction) -> GuildConfig:
    """The guild config the cog's `interaction_check` read for this interaction."""
    config: GuildConfig = interaction.extras["config"]
    return config


def is_helper(member: discord.abc.User | None, config: GuildConfig) -> bool:
    """Return True for volunteers and staff."""
    return member_role(member, config) in (Role.VOLUNTEER, Role.STAFF)


def is_staff(member: discord.abc.User | None, config: GuildConfig) -> bool:
    """Return True for staff (staff roles, or Manage Server permission)."""
    return member_role(member, config) is Role.STAFF


def watch_root(channel: discord.abc.MessageableChannel) -> tuple[int, discord.Thread | None]:
    """Return (id of the channel whose watch setting applies, the thread if the message is in one)."""
    if isinstance(channel, discord.Thread):
        return channel.parent_id or channel.id, channel
    return channel.id, None


async def staff_log(bot: discord.Client, config: GuildConfig, content: str) -> discord.Message | None:
    """Post `content` to the guild's staff log channel, if one is configured and reachable."""
    if config.staff_log_channel_id is None:
        log.debug("skipped staff log message: no staff log channel configured for guild %s", config.guild_id)
        return None
    channel = bot.get_channel(config.staff_log_channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        log.warning("staff log channel %s not found", config.staff_log_channel_id)
        return None
    try:
        return await channel.send(content[:2000], allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not post to the staff log channel %s", config.staff_log_channel_id)
        return None


async def apply_forum_tag(thread: discord.Thread, config: GuildConfig, outcome: str) -> None:
    """Add the forum's tag for `outcome` (answer, remind, escalate) to a forum post, if staff configured one."""
    field = _FORUM_TAG_FOR.get(outcome)
    tag_name = getattr(config, field) if field else None
    parent = thread.parent
    if not tag_name or not isinstance(parent, discord.ForumChannel):
        return
    tag = next((t for t in parent.available_tags if t.name.lower() == tag_name.lower()), None)
    if tag is None:
        log.warning("forum %s has no tag named %r (configured for %s)", parent.id, tag_name, outcome)
        return
    if tag in thread.applied_tags or len(thread.applied_tags) >= 5:  # Discord allows 5 tags per post
        return
    try:
        await thread.add_tags(tag, reason=f"triage: {outcome}")
    except discord.HTTPException:
        log.exception("could not tag forum post %s", thread.id)
