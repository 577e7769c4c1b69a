# ruff: noqa: ASYNC109 - the wait helpers take a timeout on purpose
"""A strict fake Discord (REST API v10 + gateway) for end-to-end tests of a discord.py 2.7 bot.

The fake is a small aiohttp app on 127.0.0.1 (ephemeral port). An unmodified discord.py client talks to it:

In-process (one event loop for the fake, the bot and the test)::

    fake = FakeDiscord()
    await fake.start()
    with point_discord_py_at(fake):           # sets Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY
        async with run_bot(bot, fake.token, fake=fake):
            sent = await fake.user_sends(fake.channel_id("general"), fake.user_id("alice"), "hello")
            reply = await fake.wait_for_message(fake.channel_id("general"))
    fake.assert_clean()
    await fake.stop()

Another process (the real entry point): start the fake, then run the bot with ``env={**os.environ, **fake.env()}``,
i.e. ``DISCORD_API_BASE=http://127.0.0.1:PORT/api/v10`` and ``DISCORD_GATEWAY_URL=ws://127.0.0.1:PORT/gateway``
(the bot applies both itself) and ``fake.token`` as its token. ``await fake.wait_until_connected()`` waits for the
IDENTIFY; ``fake.watch(asyncio.ensure_future(proc.wait()))`` makes every wait helper fail at once if the process dies.

Strictness: unknown routes (``unmatched``), a wrong ``Authorization`` header (``auth_failures``), payloads Discord would
reject with a 400 (``bad_requests``), a crashed bot task and errors logged under the ``discord`` logger all make the
test fail (``assert_clean()``, the ``wait_*`` helpers and ``run_bot``). Injected events and recorded requests use the
real payload shapes of API v10 as read by discord.py 2.7 (ids are strings in payloads, ints in this Python API).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import discord
import yarl
from aiohttp import WSMsgType, web

API = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
GUILDS, GUILD_MEMBERS, GUILD_PRESENCES = 1 << 0, 1 << 1, 1 << 8
GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS, MESSAGE_CONTENT = 1 << 9, 1 << 10, 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
EPHEMERAL, LOADING, COMPONENTS_V2 = 1 << 6, 1 << 7, 1 << 15
#: Gateway events and the intent a session needs to receive them (others are always sent).
EVENT_INTENTS = {
    **dict.fromkeys(("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"), GUILD_MESSAGES),
    **dict.fromkeys(("CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "THREAD_CREATE", "THREAD_UPDATE"), GUILDS),
    **dict.fromkeys(("THREAD_DELETE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE"), GUILDS),
    **dict.fromkeys(("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"), GUILD_MEMBERS),
    **dict.fromkeys(("MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"), GUILD_MESSAGE_REACTIONS),
}
_OPTION_TYPES = {bool: 5, int: 4, float: 10, str: 3}
_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class RecordedRequest(NamedTuple):
    """One REST call made by the bot; ``path`` is relative to ``/api/v10`` and has no query string."""

    method: str
    path: str
    json: Any


class MessageWrite(NamedTuple):
    """A message created or edited by the bot (REST, interaction callback or webhook); ``payload`` is what it sent."""

    kind: str  # "create" | "edit"
    channel_id: int
    message_id: int
    payload: dict

    @property
    def allowed_mentions(self) -> dict | None:
        return self.payload.get("allowed_mentions")


class BotCrashed(AssertionError):  # noqa: N818
    """The bot task (or watched process) ended, or discord.py logged an error, while the test was running."""


class _Reject(Exception):  # noqa: N818
    def __init__(self, status: int, message: str, code: int) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py compares the header verbatim (json_response would add a charset).
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


def _iso(dt: datetime | None = None) -> str:
    return (dt or datetime.now(UTC)).isoformat()


class Snowflakes:
    """Time-based, strictly increasing snowflakes ``((ms - 1420070400000) << 22) | n``."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        self._last = max((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22, self._last + 1)
        return self._last


@dataclass(eq=False)
class _Conn:
    ws: web.WebSocketResponse
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: dict | str) -> None:
        frame = payload if isinstance(payload, str) else json.dumps(payload)
        async with self.lock:
            if not self.ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.send_str(frame)


@dataclass(eq=False)
class _Session:
    id: str
    intents: int
    shard: tuple[int, int]
    conn: _Conn | None
    seq: int = 0
    buffer: deque = field(default_factory=lambda: deque(maxlen=5000))

    def owns(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.shard[1] == self.shard[0]


class FakeInteraction:
    """An interaction injected by the test. Await the bot's answers through it.

    ``responses``: callback bodies ``{"type": 4|5|6|7|8|9, "data": ...}``; ``followups``: messages created through
    ``POST /webhooks/{app}/{token}``; ``edits``: bodies of ``PATCH .../messages/@original``.
    """

    def __init__(self, fake: FakeDiscord, payload: dict, message_id: int | None = None) -> None:
        self.fake, self.payload = fake, payload
        self.id, self.token = int(payload["id"]), payload["token"]
        self.message_id = message_id  # the message a component was used on
        self.original_message_id: int | None = None  # message created by a type 4/5 callback
        self.responses: list[dict] = []
        self.followups: list[dict] = []
        self.edits: list[dict] = []

    @property
    def original_message(self) -> dict | None:
        """The stored ``@original`` message (the response message, or the component's message)."""
        mid = self.original_message_id or self.message_id
        return None if mid is None else self.fake.messages.get(mid)

    async def wait_response(self, timeout: float = 5.0) -> dict:
        """The callback body (``type`` 4 message, 5 defer, 6 deferred update, 7 update, 8 autocomplete, 9 modal)."""
        return await self.fake.wait_until(lambda: self.responses[0] if self.responses else None, timeout, "callback")

    async def wait_followup(self, index: int = 0, timeout: float = 5.0) -> dict:
        """The ``index``-th followup message (a dict as stored)."""
        return await self.fake.wait_until(
            lambda: self.followups[index] if len(self.followups) > index else None, timeout, f"followup #{index}"
        )

    async def wait_edit(self, index: int = 0, timeout: float = 5.0) -> dict:
        """The body of the ``index``-th ``PATCH @original``."""
        return await self.fake.wait_until(
            lambda: self.edits[index] if len(self.edits) > index else None, timeout, f"@original edit #{index}"
        )


class FakeDiscord:
    """A guild (``guild_id``), its roles, members, channels, threads and messages, served over REST and the gateway.

    More guilds: ``add_guild(name)`` (before the bot connects), then ``add_text_channel(name, guild_id=...)`` etc.
    Each guild has its own channels and threads and its own @everyone role (id = guild id); every other role and
    every member is shared by all guilds (a simplification: one member list, each member with the same roles in every
    guild). A gateway session gets READY with, and a GUILD_CREATE for, each guild its shard owns
    (``(guild_id >> 22) % shard_count``), and only the events of those guilds (the event's ``guild_id``; the first
    guild when it has none). Messages, interactions and commands belong to the guild of their channel.

    ``dispatch_own_messages``: send MESSAGE_CREATE/UPDATE/DELETE and THREAD_CREATE for the bot's own actions, as
    Discord does. ``populate``: create roles Volunteer and Staff, users owner, alice, vera (Volunteer), sam (Staff), a
    text channel ``general`` and a forum ``help`` (tags bug, question, solved). ``allowed_intents``: privileged intents
    enabled for the application; IDENTIFY asking for more is closed with 4014.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        guild_id: int | None = None,
        guild_name: str = "Test Guild",
        bot_name: str = "TestBot",
        dispatch_own_messages: bool = True,
        populate: bool = True,
        heartbeat_interval_ms: int = 41250,
        allowed_intents: int = PRIVILEGED_INTENTS,
    ) -> None:
        self.snowflake = Snowflakes()
        self.token = token
        self.dispatch_own_messages, self.heartbeat_interval_ms = dispatch_own_messages, heartbeat_interval_ms
        self.allowed_intents = allowed_intents
        self.app_id = self.bot_id = self.snowflake()
        self.guild_id = guild_id or self.snowflake()
        self.guilds: dict[int, str] = {self.guild_id: guild_name}  # id -> name; the first is ``guild_id``
        self.users: dict[int, dict] = {}
        self.members: dict[int, dict] = {}
        self.roles: dict[int, dict] = {}
        self.channels: dict[int, dict] = {}
        self.messages: dict[int, dict] = {}  # every message by id (insertion order = id order)
        self.deleted_messages: dict[int, dict] = {}
        self.commands: dict[int | None, list[dict]] = {}  # None = global, else guild id
        self.interactions: dict[str, FakeInteraction] = {}  # by token
        self.modals: dict[str, dict] = {}  # custom_id -> last modal the bot opened
        self.reactions: list[tuple[str, int, str, int]] = []  # ("add"|"remove", message id, emoji, user id)
        # Records for assertions.
        self.requests: list[RecordedRequest] = []
        self.unmatched: list[RecordedRequest] = []
        self.auth_failures: list[RecordedRequest] = []
        self.bad_requests: list[tuple[RecordedRequest, str]] = []
        self.message_writes: list[MessageWrite] = []
        self.uploads: dict[str, bytes] = {}  # the bytes of every file the bot uploaded, by file name (last wins)
        self.dispatched: list[tuple[str, dict]] = []  # events sent to at least one session
        self.filtered: list[tuple[str, dict]] = []  # events a session did not get for lack of intents
        self.identifies: list[dict] = []
        self.intents: int | None = None  # intents of the last IDENTIFY
        self.blanked_message_ids: list[int] = []  # messages dispatched with content blanked (no MESSAGE_CONTENT)
        self.gateway_closes: list[int] = []  # close codes the fake sent
        self.resumes = 0  # successful RESUMEs
        self.bot_errors: list[str] = []  # errors logged by discord.py (filled by run_bot)
        self.sessions: dict[str, _Session] = {}
        self._changed = asyncio.Event()
        self._watched: list[asyncio.Future] = []
        self._conns: set[_Conn] = set()
        self._write_mark = self._request_mark = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        perms = discord.Permissions.general() | discord.Permissions.text()
        elevated = discord.Permissions.elevated().value | discord.Permissions(mention_everyone=True).value
        everyone = perms.value & ~elevated
        self.add_role("@everyone", permissions=everyone, role_id=self.guild_id)
        bot_role = self.add_role(bot_name, permissions=perms.value & ~discord.Permissions(administrator=True).value)
        self.add_user(bot_name, bot=True, roles=[bot_role], user_id=self.bot_id)
        self.owner_id = self.add_user("owner")
        if populate:
            volunteer, staff = self.add_role("Volunteer"), self.add_role("Staff", permissions=perms.value)
            self.add_user("alice")
            self.add_user("vera", roles=[volunteer])
            self.add_user("sam", roles=[staff])
            self.add_text_channel("general")
            self.add_forum_channel("help", tags=("bug", "question", "solved"))
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any], bool]] = []
        for method, pattern, handler in (
            ("GET", r"/users/@me", self._users_me),
            ("GET", r"/users/(\d+)", self._get_user),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("GET", r"/gateway", self._gateway_info),
            ("GET", r"/gateway/bot", self._gateway_info),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("GET", r"/channels/(\d+)/messages", self._history),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)", self._delete_message),
            ("PUT", r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", self._reaction),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/(@me|\d+)", self._reaction),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._create_thread),
            ("POST", r"/channels/(\d+)/threads", self._create_thread),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("PATCH", r"/channels/(\d+)", self._patch_channel),
            ("POST", r"/channels/(\d+)/typing", self._no_content),
            ("PUT", r"/channels/(\d+)/thread-members/@me", self._no_content),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_message),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_message),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_message),
            ("GET", r"/applications/(\d+)/commands", self._commands),
            ("PUT", r"/applications/(\d+)/commands", self._commands),
            ("GET", r"/applications/(\d+)/guilds/(\d+)/commands", self._commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._commands),
            ("GET", r"/guilds/(\d+)", self._get_guild),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._get_member),
            ("GET", r"/guilds/(\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(\d+)/roles", self._get_roles),
        ):
            no_auth = pattern.startswith(("/interactions/", "/webhooks/"))
            self._routes.append((method, re.compile(pattern), handler, not no_auth))

    # ------------------------------------------------------------------ state
    def add_guild(self, name: str, *, guild_id: int | None = None) -> int:
        """Add another guild (call before the bot connects) with its @everyone role; returns its id.

        It starts with no channels; its members and other roles are those of every guild (see the class)."""
        gid = guild_id or self.snowflake()
        if gid in self.guilds or gid in self.roles or gid in self.channels:
            raise ValueError(f"id {gid} is already taken")
        self.guilds[gid] = name
        self.add_role("@everyone", permissions=int(self.roles[self.guild_id]["permissions"]), role_id=gid)
        return gid

    def add_role(self, name: str, *, permissions: int = 0, role_id: int | None = None) -> int:
        """Add a role (call before the bot connects); returns its id."""
        rid = role_id or self.snowflake()
        position = 0 if rid in self.guilds else len(self.roles)  # a guild's @everyone is at the bottom
        self.roles[rid] = {
            "id": str(rid), "name": name, "permissions": str(permissions), "position": position,
            "color": 0, "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False, "managed": False, "mentionable": False, "icon": None, "unicode_emoji": None, "flags": 0,
        }  # fmt: skip
        return rid

    def add_user(
        self, name: str, *, roles: Iterable[int | str] = (), bot: bool = False, user_id: int | None = None
    ) -> int:
        """Add a user who is a guild member with ``roles`` (ids or names); returns the user id."""
        uid = user_id or self.snowflake()
        user = {"id": str(uid), "username": name, "global_name": name, "discriminator": "0", "avatar": None, "bot": bot}
        self.users[uid] = user
        role_ids = [str(r if isinstance(r, int) else self.role_id(r)) for r in roles]
        self.members[uid] = {
            "user": user, "roles": role_ids, "joined_at": _iso(), "nick": None, "avatar": None,
            "deaf": False, "mute": False, "flags": 0, "pending": False,
        }  # fmt: skip
        return uid

    def add_text_channel(self, name: str, *, channel_id: int | None = None, guild_id: int | None = None) -> int:
        """Add a text channel (type 0) to ``guild_id`` (default: the first guild); returns its id."""
        data = {"type": 0, "name": name, "topic": None, "last_message_id": None}
        return self._add_channel(data, channel_id, guild_id)

    def add_forum_channel(
        self, name: str, tags: Iterable[str] = ("bug", "question"), *, channel_id: int | None = None,
        guild_id: int | None = None,
    ) -> int:  # fmt: skip
        """Add a forum channel (type 15) with ``available_tags`` to ``guild_id`` (default: the first guild)."""
        available = [
            {"id": str(self.snowflake()), "name": t, "moderated": False, "emoji_id": None, "emoji_name": None}
            for t in tags
        ]
        data = {"type": 15, "name": name, "topic": None, "available_tags": available, "default_reaction_emoji": None,
                "default_thread_rate_limit_per_user": 0, "default_sort_order": None, "default_forum_layout": 0,
                "last_message_id": None}  # fmt: skip
        return self._add_channel(data, channel_id, guild_id)

    def _add_channel(self, data: dict, channel_id: int | None, guild_id: int | None = None) -> int:
        gid = guild_id or self.guild_id
        if gid not in self.guilds:
            raise KeyError(f"unknown guild {gid}: add it with fake.add_guild()")
        cid = channel_id or self.snowflake()
        self.channels[cid] = {"id": str(cid), "guild_id": str(gid), "position": len(self.channels),
                              "parent_id": None, "nsfw": False, "rate_limit_per_user": 0, "permission_overwrites": [],
                              "flags": 0, **data}  # fmt: skip
        return cid

    def user_id(self, name: str) -> int:
        """Id of the user called ``name`` (KeyError if none)."""
        return _lookup(self.users.values(), "username", name)

    def role_id(self, name: str) -> int:
        return _lookup(self.roles.values(), "name", name)

    def channel_id(self, name: str, guild_id: int | None = None) -> int:
        """Id of the channel or thread called ``name`` (in ``guild_id``; default: the first found in any guild)."""
        channels = [c for c in self.channels.values() if guild_id is None or int(c["guild_id"]) == guild_id]
        return _lookup(channels, "name", name)

    def tag_id(self, forum_id: int, name: str) -> int:
        return _lookup(self.channels[forum_id]["available_tags"], "name", name)

    def channel_messages(self, channel_id: int) -> list[dict]:
        """Stored messages of a channel or thread, oldest first (ephemeral ones included)."""
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def guild_of(self, channel_id: int | str) -> int:
        """Id of the guild of a channel or thread."""
        return int(self._channel(channel_id)["guild_id"])

    def permissions_of(self, user_id: int, guild_id: int | None = None) -> int:
        """Guild permissions of a member in ``guild_id`` (default: the first guild)."""
        value = int(self.roles[guild_id or self.guild_id]["permissions"])
        for rid in self.members[user_id]["roles"]:
            value |= int(self.roles[int(rid)]["permissions"])
        if user_id == self.owner_id or value & discord.Permissions(administrator=True).value:
            return discord.Permissions.all().value
        return value

    def _member(self, user_id: int, *, with_user: bool = True, permissions_in: int | None = None) -> dict:
        """The member payload; ``permissions_in``: a guild id, to add the member's ``permissions`` there."""
        if user_id not in self.members:
            raise KeyError(f"unknown user {user_id}: add it with fake.add_user()")
        member = dict(self.members[user_id])
        if not with_user:
            member.pop("user")
        if permissions_in is not None:
            member["permissions"] = str(self.permissions_of(user_id, permissions_in))
        return member

    def _channel(self, channel_id: int | str) -> dict:
        try:
            return self.channels[int(channel_id)]
        except KeyError:
            raise _Reject(404, "Unknown Channel", 10003) from None

    def _message(self, message_id: int | str, channel_id: int | str | None = None, *, ephemeral: bool = True) -> dict:
        msg = self.messages.get(int(message_id))
        if (
            msg is None
            or (channel_id is not None and msg["channel_id"] != str(channel_id))
            or (not ephemeral and msg["flags"] & EPHEMERAL)
        ):
            raise _Reject(404, "Unknown Message", 10008)
        return msg

    def _guild_channels(self, guild_id: int) -> list[dict]:
        return [c for c in self.channels.values() if c["guild_id"] == str(guild_id)]

    def _guild_roles(self, guild_id: int) -> list[dict]:
        """The roles of a guild: its own @everyone and the shared roles (not the other guilds' @everyone)."""
        return [r for rid, r in self.roles.items() if rid == guild_id or rid not in self.guilds]

    def _guild_payload(self, guild_id: int) -> dict:
        channels = self._guild_channels(guild_id)
        plain = [c for c in channels if c["type"] not in (10, 11, 12)]
        threads = [c for c in channels if c["type"] in (10, 11, 12) and not c["thread_metadata"]["archived"]]
        return {
            "id": str(guild_id), "name": self.guilds[guild_id], "owner_id": str(self.owner_id), "icon": None,
            "splash": None, "discovery_splash": None, "banner": None, "description": None, "features": [],
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0, "preferred_locale": "en-US", "afk_timeout": 300,
            "afk_channel_id": None, "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "public_updates_channel_id": None, "application_id": None, "unavailable": False, "large": False,
            "joined_at": _iso(), "member_count": len(self.members), "roles": self._guild_roles(guild_id),
            "emojis": [], "stickers": [], "channels": plain, "threads": threads,
            "members": [self._member(uid) for uid in self.members], "presences": [], "voice_states": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        }  # fmt: skip

    def _new_message(
        self, channel_id: int | str, author_id: int, content: str, *, embeds: Iterable[dict] = (),
        components: Iterable[dict] = (), flags: int = 0, referenced: dict | None = None,
        attachments: Iterable[dict] = (), mtype: int | None = None, message_id: int | None = None, **extra: Any,
    ) -> dict:  # fmt: skip
        channel = self._channel(channel_id)
        mentions = [
            {**self.users[int(u)], "member": self._member(int(u), with_user=False)}
            for u in dict.fromkeys(_MENTION.findall(content))
            if int(u) in self.users
        ]
        mid = message_id or self.snowflake()
        msg = {
            "id": str(mid), "channel_id": channel["id"], "guild_id": channel["guild_id"],
            "type": (19 if referenced else 0) if mtype is None else mtype, "content": content,
            "author": self.users[author_id], "timestamp": _iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": "@everyone" in content or "@here" in content, "mentions": mentions,
            "mention_roles": [r for r in _ROLE_MENTION.findall(content) if int(r) in self.roles],
            "attachments": list(attachments), "embeds": list(embeds), "components": list(components),
            "pinned": False, "flags": flags, **extra,
        }  # fmt: skip
        if referenced is not None:
            ids = {"message_id": referenced["id"], "channel_id": referenced["channel_id"]}
            msg["message_reference"] = {"type": 0, **ids, "guild_id": referenced["guild_id"]}
            msg["referenced_message"] = {k: v for k, v in referenced.items() if k != "referenced_message"}
        if channel["type"] in (10, 11, 12) and not flags & EPHEMERAL and mid != int(channel["id"]):
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        if not flags & EPHEMERAL:
            channel["last_message_id"] = str(mid)
        self.messages[mid] = msg
        return msg

    def _with_member(self, msg: dict) -> dict:
        uid = int(msg["author"]["id"])
        return {**msg, "member": self._member(uid, with_user=False)} if uid in self.members else msg

    def _new_thread(self, parent_id: int, owner_id: int, name: str, *, thread_id: int | None = None,
                    applied_tags: Iterable[int | str] = (), auto_archive: int = 4320) -> dict:  # fmt: skip
        parent = self._channel(parent_id)
        tag_ids = {t["id"]: t for t in parent.get("available_tags", [])}
        tags = [str(t if not isinstance(t, str) or t.isdigit() else self.tag_id(parent_id, t)) for t in applied_tags]
        if any(t not in tag_ids for t in tags) or len(tags) > 5:
            raise _Reject(400, f"Invalid Form Body: applied_tags: unknown tag in {tags}", 50035)
        tid = thread_id or self.snowflake()
        self._add_channel({"type": 11, "name": name, "parent_id": str(parent_id), "owner_id": str(owner_id),
                           "last_message_id": None, "message_count": 0, "member_count": 1, "total_message_sent": 0,
                           "applied_tags": tags, "thread_metadata": {"archived": False, "locked": False,
                           "auto_archive_duration": auto_archive, "archive_timestamp": _iso(),
                           "create_timestamp": _iso()}}, tid, int(parent["guild_id"]))  # fmt: skip
        return self.channels[tid]

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Serve on 127.0.0.1 with an ephemeral port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway_ws)
        app.router.add_get("/gateway/", self._gateway_ws)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for conn in list(self._conns):
            await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self) -> dict[str, str]:
        """Environment variables for a bot in another process."""
        return {"DISCORD_API_BASE": self.base_url, "DISCORD_GATEWAY_URL": self.gateway_url}

    # ------------------------------------------------------------------ waiting and strictness
    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def watch(self, future: asyncio.Future) -> None:
        """Fail every wait helper as soon as ``future`` (bot task, ``proc.wait()``...) finishes."""
        self._watched.append(future)
        future.add_done_callback(lambda _: self._notify())

    def unwatch(self, future: asyncio.Future) -> None:
        with contextlib.suppress(ValueError):
            self._watched.remove(future)

    def raise_if_bot_failed(self) -> None:
        for fut in self._watched:
            if fut.done():
                exc = None if fut.cancelled() else fut.exception()
                raise BotCrashed(f"the bot stopped while the test was waiting: {exc!r}") from exc
        if self.bot_errors:
            raise BotCrashed(f"discord.py logged an error:\n{self.bot_errors[0]}")

    async def wait_until(self, check: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        """Wait until ``check()`` returns something other than None: re-evaluated on every recorded change and every
        20 ms (so it may test the bot's own state). Fails at once if the bot crashed (see ``watch``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self.raise_if_bot_failed()
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(f"  {r.method} {r.path}" for r in self.requests[-10:])
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}; last requests:\n{recent}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.02))

    def _mark(self) -> None:
        self._write_mark, self._request_mark = len(self.message_writes), len(self.requests)

    async def wait_for_request(
        self, method: str, path_regex: str, timeout: float = 5.0, after: int | None = None
    ) -> RecordedRequest:
        """First request matching ``method`` and ``re.search(path_regex, path)`` with index >= ``after``
        (default: requests since the last injected event)."""
        start, rx = self._request_mark if after is None else after, re.compile(path_regex)
        return await self.wait_until(
            lambda: next((r for r in self.requests[start:] if r.method == method and rx.search(r.path)), None),
            timeout, f"{method} {path_regex}",
        )  # fmt: skip

    async def wait_for_message(
        self, channel_id: int | None, predicate: Callable[[dict], bool] | None = None, timeout: float = 5.0,
        after: int | None = None,
    ) -> dict:  # fmt: skip
        """First message the bot created (REST, interaction response, followup) in ``channel_id`` (None: any) that
        matches ``predicate``, among ``message_writes[after:]`` (default: since the last injected event).
        Returns the stored message as it is now (or as it was when deleted)."""
        start = self._write_mark if after is None else after

        def check() -> dict | None:
            for w in self.message_writes[start:]:
                if w.kind == "create" and (channel_id is None or w.channel_id == channel_id):
                    msg = self.messages.get(w.message_id) or self.deleted_messages.get(w.message_id)
                    if msg is not None and (predicate is None or predicate(msg)):
                        return msg
            return None

        return await self.wait_until(check, timeout, f"a bot message in channel {channel_id}")

    async def wait_until_connected(self, timeout: float = 10.0) -> _Session:
        """Wait for an identified gateway session (READY and GUILD_CREATE sent)."""
        return await self.wait_until(
            lambda: next((s for s in self.sessions.values() if s.conn), None), timeout, "IDENTIFY"
        )

    def assert_clean(self, *, allow_bad_requests: bool = False) -> None:
        """Raise AssertionError if the bot hit an unknown route, sent a wrong token or (by default) a bad payload."""
        problems = [f"unmatched route: {r.method} {r.path}" for r in self.unmatched]
        problems += [f"bad Authorization header: {r.method} {r.path}" for r in self.auth_failures]
        if not allow_bad_requests:
            problems += [f"rejected (400): {r.method} {r.path}: {why}" for r, why in self.bad_requests]
        problems += [f"discord.py error: {e}" for e in self.bot_errors]
        if problems:
            raise AssertionError("fake Discord saw problems:\n" + "\n".join(problems))

    # ------------------------------------------------------------------ gateway
    async def _gateway_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = _Conn(ws)
        self._conns.add(conn)
        session: _Session | None = None
        try:
            await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op, d = payload.get("op"), payload.get("d")
                if op == 1:
                    await conn.send({"op": 11})
                elif op == 2:
                    session = await self._identify(conn, d)
                elif op == 6:
                    session = await self._resume(conn, d)
                elif op == 8 and session is not None:
                    await self._member_chunks(session, d)
        finally:
            self._conns.discard(conn)
            if session is not None and session.conn is conn:
                session.conn = None
            self._notify()
        return ws

    async def _member_chunks(self, session: _Session, d: dict) -> None:
        """Answer REQUEST_GUILD_MEMBERS (op 8; ``guild_id`` one id or a list): one chunk per guild of the session's
        shard (others are ignored)."""
        requested = d.get("guild_id", self.guild_id)
        members = [self._member(uid) for uid in self.members]
        for gid in requested if isinstance(requested, list) else [requested]:
            if int(gid) in self.guilds and session.owns(int(gid)):
                chunk = {"guild_id": str(gid), "members": members, "chunk_index": 0, "chunk_count": 1}
                await self._send(session, "GUILD_MEMBERS_CHUNK", {**chunk, "nonce": d.get("nonce")})

    async def _close(self, conn: _Conn, code: int) -> None:
        self.gateway_closes.append(code)
        await conn.ws.close(code=code)

    async def _identify(self, conn: _Conn, d: dict) -> _Session | None:
        self.identifies.append(d)
        if d.get("token") != self.token:
            self.auth_failures.append(RecordedRequest("IDENTIFY", "/gateway", {**d, "token": "***"}))
            await self._close(conn, 4004)
            return None
        self.intents = intents = int(d.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
            await self._close(conn, 4014)
            return None
        shard = tuple(d.get("shard") or (0, 1))
        for old in [s for s in self.sessions.values() if s.shard == shard]:
            del self.sessions[old.id]
        session = _Session(f"session-{self.snowflake()}", intents, shard, conn)  # type: ignore[arg-type]
        self.sessions[session.id] = session
        owned = [gid for gid in self.guilds if session.owns(gid)]
        ready = {
            "v": 10, "user": {**self.users[self.bot_id], "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(gid), "unavailable": True} for gid in owned],
            "session_id": session.id, "resume_gateway_url": self.gateway_url, "private_channels": [],
            "relationships": [], "application": {"id": str(self.app_id), "flags": 0},
        }  # fmt: skip
        if d.get("shard"):
            ready["shard"] = list(shard)
        await self._send(session, "READY", ready)
        for gid in owned:
            await self._send(session, "GUILD_CREATE", self._guild_payload(gid))
        self._notify()
        return session

    async def _resume(self, conn: _Conn, d: dict) -> _Session | None:
        session = self.sessions.get(d.get("session_id", ""))
        if session is None or d.get("token") != self.token:
            await conn.send({"op": 9, "d": False})
            return None
        session.conn = conn
        self.resumes += 1
        for seq, frame in list(session.buffer):
            if seq > (d.get("seq") or 0):
                await conn.send(frame)
        await self._send(session, "RESUMED", {})
        self._notify()
        return session

    async def _send(self, session: _Session, event: str, data: dict) -> None:
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.buffer.append((session.seq, frame))
        if session.conn is not None:
            await session.conn.send(frame)

    def _visible(self, session: _Session, event: str, data: dict) -> dict:
        """Blank message content, as Discord does, for a session without the MESSAGE_CONTENT intent."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT:
            return data
        if data["author"]["id"] == str(self.bot_id) or any(u["id"] == str(self.bot_id) for u in data["mentions"]):
            return data
        self.blanked_message_ids.append(int(data["id"]))
        blank = {"content": "", "embeds": [], "attachments": [], "components": []}
        return {**{k: v for k, v in data.items() if k != "poll"}, **blank}

    async def dispatch(self, event: str, data: dict, *, required: bool = True) -> None:
        """Send a raw gateway event to every session that owns its guild (``data["guild_id"]``, default the first
        guild) and has the needed intent.

        With ``required``, raise if no bot is connected for that guild (an injected event would otherwise be lost)."""
        guild_id = int(data.get("guild_id") or self.guild_id)
        sessions = [s for s in self.sessions.values() if s.owns(guild_id)]
        if required and not any(s.conn for s in sessions):
            raise RuntimeError(f"cannot dispatch {event}: no bot is connected for guild {guild_id}")
        sent = False
        for session in sessions:
            needed = EVENT_INTENTS.get(event, 0)
            if (session.intents & needed) != needed:
                self.filtered.append((event, data))
                continue
            await self._send(session, event, self._visible(session, event, data))
            sent = True
        if sent:
            self.dispatched.append((event, data))

    def shards_sent(self, event: str, object_id: int | str) -> list[tuple[int, int]]:
        """The shards ``(shard_id, shard_count)`` whose gateway session was sent ``event`` with ``d.id`` ==
        ``object_id`` (among each session's last 5000 events, the ones kept for RESUME)."""

        def sent(session: _Session) -> bool:
            frames = (json.loads(frame) for _, frame in session.buffer)
            return any(f["t"] == event and f["d"].get("id") == str(object_id) for f in frames)

        return sorted(s.shard for s in self.sessions.values() if sent(s))

    async def disconnect_bot(self, code: int = 4000) -> None:
        """Close the gateway connections with ``code`` (4000: the client RESUMEs)."""
        for conn in list(self._conns):
            await self._close(conn, code)

    # ------------------------------------------------------------------ event injection
    async def user_sends(self, channel_id: int, author_id: int, content: str, *, reference: int | None = None,
                         embeds: list[dict] | None = None) -> dict:  # fmt: skip
        """A member posts a message (``reference``: id of the message it replies to); dispatches MESSAGE_CREATE."""
        self._mark()
        referenced = self._message(reference, ephemeral=False) if reference else None
        msg = self._new_message(channel_id, author_id, content, embeds=embeds or [], referenced=referenced)
        await self.dispatch("MESSAGE_CREATE", self._with_member(msg))
        return msg

    async def user_edits(self, channel_id: int, message_id: int, content: str) -> dict:
        """A member edits their message; dispatches MESSAGE_UPDATE with the full message."""
        self._mark()
        msg = self._message(message_id, channel_id)
        msg.update(content=content, edited_timestamp=_iso())
        await self.dispatch("MESSAGE_UPDATE", self._with_member(msg))
        return msg

    async def user_deletes(self, channel_id: int, message_id: int) -> None:
        """A member (or moderator) deletes a message; dispatches MESSAGE_DELETE."""
        self._mark()
        self._message(message_id, channel_id)
        self.deleted_messages[message_id] = self.messages.pop(message_id)
        await self.dispatch("MESSAGE_DELETE", {"id": str(message_id), "channel_id": str(channel_id),
                                               "guild_id": str(self.guild_of(channel_id))})  # fmt: skip

    async def create_forum_post(self, forum_id: int, author_id: int, title: str, content: str,
                                applied_tags: Iterable[int | str] = ()) -> dict:  # fmt: skip
        """A member opens a forum post (tags by id or name): THREAD_CREATE, then MESSAGE_CREATE of the starter
        message whose id is the thread id. Returns the thread with its starter ``message``."""
        self._mark()
        thread = self._new_thread(forum_id, author_id, title, applied_tags=applied_tags)
        msg = self._new_message(thread["id"], author_id, content, message_id=int(thread["id"]), position=0)
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        await self.dispatch("MESSAGE_CREATE", self._with_member(msg))
        return {**thread, "message": msg}

    async def create_thread(self, channel_id: int, author_id: int, name: str,
                            starter_message_id: int | None = None) -> dict:  # fmt: skip
        """A member starts a public thread (type 11) in a text channel, optionally from a message."""
        self._mark()
        if starter_message_id is not None:
            self._message(starter_message_id, channel_id)
        thread = self._new_thread(channel_id, author_id, name, thread_id=starter_message_id)
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    async def _interaction(self, itype: int, channel_id: int, user_id: int, data: dict,
                           message: dict | None = None) -> FakeInteraction:  # fmt: skip
        self._mark()
        iid, gid = self.snowflake(), self.guild_of(channel_id)
        channel = {**self._channel(channel_id), "permissions": str(self.permissions_of(user_id, gid))}
        payload = {
            "id": str(iid), "application_id": str(self.app_id), "type": itype, "token": f"itok-{iid}", "version": 1,
            "guild_id": str(gid), "guild": {"id": str(gid), "locale": "en-US", "features": []},
            "channel_id": str(channel_id), "channel": channel, "member": self._member(user_id, permissions_in=gid),
            "app_permissions": str(self.permissions_of(self.bot_id, gid)), "locale": "en-US", "guild_locale": "en-US",
            "entitlements": [], "authorizing_integration_owners": {"0": str(gid)}, "context": 0,
            "attachment_size_limit": 10485760, "data": data,
        }  # fmt: skip
        if message is not None:
            payload["message"] = message
        inter = FakeInteraction(self, payload, int(message["id"]) if message else None)
        self.interactions[inter.token] = inter
        await self.dispatch("INTERACTION_CREATE", payload)
        return inter

    def _find_command(self, name: str, ctype: int, guild_id: int) -> tuple[dict | None, bool]:
        for scope in (guild_id, None):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == ctype:
                    return cmd, scope is not None
        return None, False

    def _command_data(self, name: str, ctype: int, require_synced: bool, guild_id: int) -> dict:
        cmd, guild_scoped = self._find_command(name, ctype, guild_id)
        if cmd is None and require_synced:
            raise LookupError(f"command {name!r} (type {ctype}) was never synced to guild {guild_id}: {self.commands}")
        data = {"id": cmd["id"] if cmd else str(self.snowflake()), "name": name, "type": ctype}
        if guild_scoped:
            data["guild_id"] = str(guild_id)
        return {**data, "_definition": cmd or {}}

    def _options(self, definition: dict, options: dict[str, Any], subcommand: str | None,
                 focused: str | None, guild_id: int) -> tuple[list[dict], dict]:  # fmt: skip
        defs, path, resolved = definition.get("options"), (subcommand or "").split(), {}
        for part in path:
            sub = next((o for o in defs or [] if o["name"] == part), None)
            if defs is not None and sub is None:
                raise LookupError(f"no subcommand {part!r} in {definition.get('name')!r}")
            defs = (sub or {}).get("options", []) if defs is not None else None
        leaf = []
        for key, value in options.items():
            spec = next((o for o in defs or [] if o["name"] == key), None)
            if defs is not None and spec is None:
                raise LookupError(f"unknown option {key!r} for command {definition.get('name')!r}")
            otype = spec["type"] if spec else _OPTION_TYPES[type(value)]
            option = {"name": key, "type": otype, "value": str(value) if otype in (6, 7, 8, 9) else value}
            if key == focused:
                option["focused"] = True
            elif otype in (6, 9) and int(value) in self.users:
                resolved.setdefault("users", {})[str(value)] = self.users[int(value)]
                member = self._member(int(value), with_user=False, permissions_in=guild_id)
                resolved.setdefault("members", {})[str(value)] = member
            elif otype in (8, 9) and int(value) in self.roles:
                resolved.setdefault("roles", {})[str(value)] = self.roles[int(value)]
            elif otype == 7:
                perms = str(self.permissions_of(self.bot_id, guild_id))
                resolved.setdefault("channels", {})[str(value)] = {**self._channel(value), "permissions": perms}
            leaf.append(option)
        missing = [o["name"] for o in defs or [] if o.get("required") and o["name"] not in options]
        if missing and focused is None:
            raise LookupError(f"required options missing: {missing}")
        for part, wrapper_type in reversed(list(zip(path, (2, 1)[-len(path) :] if path else (), strict=False))):
            leaf = [{"name": part, "type": wrapper_type, "options": leaf}]
        return leaf, resolved

    async def slash_command(self, channel_id: int, user_id: int, name: str, options: dict[str, Any] | None = None, *,
                            subcommand: str | None = None, require_synced: bool = True) -> FakeInteraction:  # fmt: skip
        """A member runs ``/name [subcommand] options`` (``subcommand``: "sub" or "group sub"). Option types come
        from the synced definition (user/channel/role values are ids and get ``resolved`` data)."""
        return await self._app_command(2, channel_id, user_id, name, options or {}, subcommand, None, require_synced)

    async def autocomplete(self, channel_id: int, user_id: int, name: str, options: dict[str, Any], focused: str, *,
                           subcommand: str | None = None, require_synced: bool = True) -> FakeInteraction:  # fmt: skip
        """A member types in option ``focused`` (type 4 interaction); the bot answers with callback type 8."""
        return await self._app_command(4, channel_id, user_id, name, options, subcommand, focused, require_synced)

    async def _app_command(
        self,
        itype: int,
        channel_id: int,
        user_id: int,
        name: str,
        options: dict[str, Any],
        subcommand: str | None,
        focused: str | None,
        require_synced: bool,
    ) -> FakeInteraction:
        gid = self.guild_of(channel_id)
        data = self._command_data(name, 1, require_synced, gid)
        definition = data.pop("_definition")
        data["options"], resolved = self._options(definition, options, subcommand, focused, gid)
        if resolved:
            data["resolved"] = resolved
        return await self._interaction(itype, channel_id, user_id, data)

    async def context_menu(
        self,
        channel_id: int,
        user_id: int,
        name: str,
        target_message_id: int | None = None,
        *,
        target_user_id: int | None = None,
        require_synced: bool = True,
    ) -> FakeInteraction:
        """A member uses a message command (type 3) on a message, or a user command (type 2) on a member."""
        ctype, gid = 3 if target_message_id is not None else 2, self.guild_of(channel_id)
        data = self._command_data(name, ctype, require_synced, gid)
        data.pop("_definition")
        if ctype == 3:
            msg = self._message(target_message_id, channel_id)  # type: ignore[arg-type]
            data.update(target_id=msg["id"], resolved={"messages": {msg["id"]: self._with_member(msg)}})
        else:
            member = self._member(target_user_id, with_user=False, permissions_in=gid)  # type: ignore[arg-type]
            data.update(target_id=str(target_user_id), resolved={"users": {str(target_user_id): self.users[
                target_user_id]}, "members": {str(target_user_id): member}})  # type: ignore[index]  # fmt: skip
        return await self._interaction(2, channel_id, user_id, data)

    async def click_button(self, channel_id: int, user_id: int, message_id: int, custom_id: str) -> FakeInteraction:
        """A member clicks a button of a stored message (type 3 interaction with the message)."""
        return await self._component(channel_id, user_id, message_id, custom_id, None)

    async def select(self, channel_id: int, user_id: int, message_id: int, custom_id: str,
                     values: list[str]) -> FakeInteraction:  # fmt: skip
        """A member picks ``values`` in a select menu of a stored message."""
        return await self._component(channel_id, user_id, message_id, custom_id, values)

    async def _component(self, channel_id: int, user_id: int, message_id: int, custom_id: str,
                         values: list[str] | None) -> FakeInteraction:  # fmt: skip
        msg = self._message(message_id, channel_id)
        component = next((c for c in _walk(msg["components"]) if c.get("custom_id") == custom_id), None)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}: {msg['components']}")
        if component.get("disabled"):
            raise LookupError(f"component {custom_id!r} is disabled")
        data = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        return await self._interaction(3, channel_id, user_id, data, self._with_member(msg))

    async def submit_modal(
        self, channel_id: int, user_id: int, custom_id: str, fields: dict[str, str]
    ) -> FakeInteraction:
        """A member submits the modal ``custom_id`` the bot opened (callback type 9), ``fields``: custom_id -> value."""
        modal = self.modals.get(custom_id)
        if modal is None:
            raise LookupError(f"the bot never opened a modal {custom_id!r} (opened: {list(self.modals)})")
        known = {c.get("custom_id") for c in _walk(modal["components"])}
        if unknown := set(fields) - known:
            raise LookupError(f"modal {custom_id!r} has no inputs {unknown} (inputs: {known - {None}})")

        def answer(component: dict) -> dict:
            if component["type"] == 1:
                return {"type": 1, "components": [answer(c) for c in component["components"]]}
            if component["type"] == 18:
                return {"type": 18, "id": component.get("id", 0), "component": answer(component["component"])}
            value = fields.get(component.get("custom_id", ""), component.get("value") or "")
            if component["type"] == 4:
                return {"type": 4, "id": component.get("id", 0), "custom_id": component["custom_id"], "value": value}
            return {**component, "values": value if isinstance(value, list) else [value] if value else []}

        data = {"custom_id": custom_id, "components": [answer(c) for c in modal["components"]]}
        return await self._interaction(5, channel_id, user_id, data)

    # ------------------------------------------------------------------ REST
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        sub = request.path[len(API) :] if request.path.startswith(API + "/") else None
        try:
            body = await _read_body(request, self.uploads)
        except ValueError:
            body = None
        record = RecordedRequest(request.method, sub if sub is not None else request.path, body)
        try:
            for method, rx, handler, auth in self._routes if sub is not None else ():
                if method == request.method and (match := rx.fullmatch(sub)):
                    if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                        self.auth_failures.append(record)
                        return _json({"message": "401: Unauthorized", "code": 0}, 401)
                    try:
                        return await handler(request, body, *match.groups())
                    except _Reject as e:
                        if e.status == 400:
                            self.bad_requests.append((record, e.message))
                        return _json({"message": e.message, "code": e.code}, e.status)
            self.unmatched.append(record)
            return _json({"message": "404: Not Found", "code": 0}, 404)
        finally:
            self.requests.append(record)
            self._notify()

    async def _no_content(self, *_: Any) -> web.Response:
        return web.Response(status=204)

    async def _users_me(self, *_: Any) -> web.Response:
        return _json({**self.users[self.bot_id], "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_user(self, _r: web.Request, _b: Any, uid: str) -> web.Response:
        if int(uid) not in self.users:
            raise _Reject(404, "Unknown User", 10013)
        return _json(self.users[int(uid)])

    async def _application(self, *_: Any) -> web.Response:
        return _json({"id": str(self.app_id), "name": self.users[self.bot_id]["username"], "description": "",
                      "icon": None, "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                      "flags": 0, "owner": self.users[self.owner_id], "team": None})  # fmt: skip

    async def _gateway_info(self, *_: Any) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _get_guild(self, _r: web.Request, _b: Any, gid: str) -> web.Response:
        self._check_guild(gid)
        guild = self._guild_payload(int(gid))
        return _json({k: v for k, v in guild.items() if k not in ("channels", "threads", "members", "joined_at")})

    def _check_guild(self, gid: str) -> None:
        if int(gid) not in self.guilds:
            raise _Reject(404, "Unknown Guild", 10004)

    async def _get_member(self, _r: web.Request, _b: Any, gid: str, uid: str) -> web.Response:
        self._check_guild(gid)
        if int(uid) not in self.members:
            raise _Reject(404, "Unknown Member", 10007)
        return _json(self._member(int(uid)))

    async def _get_guild_channels(self, _r: web.Request, _b: Any, gid: str) -> web.Response:
        self._check_guild(gid)
        return _json([c for c in self._guild_channels(int(gid)) if c["type"] not in (10, 11, 12)])

    async def _get_roles(self, _r: web.Request, _b: Any, gid: str) -> web.Response:
        self._check_guild(gid)
        return _json(self._guild_roles(int(gid)))

    async def _get_channel(self, _r: web.Request, _b: Any, cid: str) -> web.Response:
        return _json(self._channel(cid))

    async def _patch_channel(self, _r: web.Request, body: dict, cid: str) -> web.Response:
        channel = self._channel(cid)
        if channel["type"] in (10, 11, 12):
            if "applied_tags" in body:
                tags = {t["id"] for t in self._channel(channel["parent_id"]).get("available_tags", [])}
                if len(body["applied_tags"]) > 5 or any(str(t) not in tags for t in body["applied_tags"]):
                    raise _Reject(400, f"Invalid Form Body: applied_tags: {body['applied_tags']}", 50035)
                channel["applied_tags"] = [str(t) for t in body["applied_tags"]]
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    channel["thread_metadata"][key] = body[key]
        for key in ("name", "topic", "rate_limit_per_user", "flags", "available_tags", "nsfw"):
            if key in body:
                channel[key] = body[key]
        is_thread = channel["type"] in (10, 11, 12)
        if self.dispatch_own_messages:
            await self.dispatch("THREAD_UPDATE" if is_thread else "CHANNEL_UPDATE", channel, required=False)
        return _json(channel)

    async def _create_thread(self, _r: web.Request, body: dict, cid: str, mid: str | None = None) -> web.Response:
        parent = self._channel(cid)
        if mid is not None:
            self._message(mid, cid, ephemeral=False)
        if parent["type"] not in (0, 5, 15):
            raise _Reject(400, "Cannot create a thread in this channel type", 50024)
        if not body or not body.get("name") or len(body["name"]) > 100:
            raise _Reject(400, "Invalid Form Body: name: must be 1-100 characters", 50035)
        forum = parent["type"] == 15
        if forum and not body.get("message"):
            raise _Reject(400, "Invalid Form Body: message: required for forum posts", 50035)
        tags = body.get("applied_tags") or () if forum else ()
        archive = body.get("auto_archive_duration") or 4320
        tid = int(mid) if mid else None
        thread = self._new_thread(int(cid), self.bot_id, body["name"], thread_id=tid, applied_tags=tags,
                                  auto_archive=archive)  # fmt: skip
        if not forum and mid is None and body.get("type") == 12:
            thread["type"] = 12
        created = {**thread, "member": {"id": thread["id"], "user_id": str(self.bot_id), "join_timestamp": _iso(),
                                        "flags": 1}}  # fmt: skip
        if self.dispatch_own_messages:
            await self.dispatch("THREAD_CREATE", {**created, "newly_created": True}, required=False)
        if not forum:
            return _json(created)
        _check_message(body["message"], creating=True)
        msg = self._bot_message(thread["id"], body["message"], message_id=int(thread["id"]), position=0)
        await self._store_write("create", msg, body["message"])
        return _json({**created, "message": msg})

    def _bot_message(self, channel_id: int | str, body: dict, **kw: Any) -> dict:
        return self._new_message(
            channel_id, self.bot_id, body.get("content") or "", embeds=body.get("embeds") or [],
            components=body.get("components") or [], flags=body.get("flags") or 0,
            attachments=body.get("attachments") or [], **kw,
        )  # fmt: skip

    async def _store_write(self, kind: str, msg: dict, body: dict) -> None:
        self.message_writes.append(MessageWrite(kind, int(msg["channel_id"]), int(msg["id"]), body))
        self._notify()
        if self.dispatch_own_messages and not msg["flags"] & EPHEMERAL:
            event = "MESSAGE_CREATE" if kind == "create" else "MESSAGE_UPDATE"
            await self.dispatch(event, self._with_member(msg), required=False)

    async def _create_message(self, _r: web.Request, body: dict, cid: str) -> web.Response:
        self._channel(cid)
        _check_message(body, creating=True)
        referenced, ref = None, body.get("message_reference")
        if ref:
            referenced = self.messages.get(int(ref["message_id"]))
            if referenced is None and ref.get("fail_if_not_exists", True):
                raise _Reject(400, "Invalid Form Body: message_reference: Unknown message", 50035)
        msg = self._bot_message(cid, body, referenced=referenced)
        await self._store_write("create", msg, body)
        return _json(msg)

    def _edit(self, msg: dict, body: dict) -> dict:
        _check_message(body, creating=False)
        for key in ("content", "embeds", "components", "attachments"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "flags" in body:
            msg["flags"] = (msg["flags"] & (EPHEMERAL | COMPONENTS_V2)) | (body["flags"] or 0)
        msg["flags"] &= ~LOADING
        msg["edited_timestamp"] = _iso()
        return msg

    async def _edit_message(self, _r: web.Request, body: dict, cid: str, mid: str) -> web.Response:
        msg = self._message(mid, cid, ephemeral=False)
        if msg["author"]["id"] != str(self.bot_id) and set(body) - {"flags"}:
            raise _Reject(403, "Cannot edit a message authored by another user", 50005)
        await self._store_write("edit", self._edit(msg, body), body)
        return _json(msg)

    async def _delete_message(self, _r: web.Request, _b: Any, cid: str, mid: str) -> web.Response:
        self._message(mid, cid, ephemeral=False)
        await self._delete(int(mid))
        return web.Response(status=204)

    async def _delete(self, mid: int) -> None:
        msg = self.deleted_messages[mid] = self.messages.pop(mid)
        if self.dispatch_own_messages and not msg["flags"] & EPHEMERAL:
            data = {"id": msg["id"], "channel_id": msg["channel_id"], "guild_id": msg["guild_id"]}
            await self.dispatch("MESSAGE_DELETE", data, required=False)

    async def _get_message(self, _r: web.Request, _b: Any, cid: str, mid: str) -> web.Response:
        return _json(self._message(mid, cid, ephemeral=False))

    async def _history(self, request: web.Request, _b: Any, cid: str) -> web.Response:
        self._channel(cid)
        limit = min(int(request.query.get("limit", 50)), 100)
        msgs = [m for m in self.channel_messages(int(cid)) if not m["flags"] & EPHEMERAL]
        if "after" in request.query:
            msgs = [m for m in msgs if int(m["id"]) > int(request.query["after"])][:limit][::-1]
        else:
            before = int(request.query.get("before", 1 << 63))
            msgs = [m for m in msgs if int(m["id"]) < before][::-1][:limit]
        return _json(msgs)

    async def _reaction(self, req: web.Request, _b: Any, cid: str, mid: str, emoji: str, who: str = "@me") -> Any:
        self._message(mid, cid, ephemeral=False)
        kind = "add" if req.method == "PUT" else "remove"
        self.reactions.append((kind, int(mid), emoji, self.bot_id if who == "@me" else int(who)))
        return web.Response(status=204)

    async def _commands(self, request: web.Request, body: Any, app: str, gid: str | None = None) -> web.Response:
        if int(app) != self.app_id or (gid is not None and int(gid) not in self.guilds):
            raise _Reject(403, "Missing Access", 50001)
        scope = int(gid) if gid else None
        if request.method == "GET":
            return _json(self.commands.get(scope, []))
        existing = {(c["name"], c["type"]): c["id"] for c in self.commands.get(scope, [])}
        stored = []
        for cmd in body:
            _check_command(cmd)
            ctype = cmd.get("type", 1)
            stored.append({
                "description": "", "options": [], "default_member_permissions": None, "nsfw": False, **cmd,
                "id": existing.get((cmd["name"], ctype)) or str(self.snowflake()), "type": ctype,
                "application_id": str(self.app_id), "version": str(self.snowflake()),
                **({"guild_id": gid} if gid else {}),
            })  # fmt: skip
        self.commands[scope] = stored
        return _json(stored)

    def _inter(self, app: str, token: str) -> FakeInteraction:
        inter = self.interactions.get(token)
        if inter is None or int(app) != self.app_id:
            raise _Reject(404, "Unknown Webhook", 10015)
        return inter

    async def _callback(self, request: web.Request, body: dict, iid: str, token: str) -> web.Response:
        inter = self.interactions.get(token)
        if inter is None or inter.id != int(iid):
            raise _Reject(404, "Unknown interaction", 10062)
        if inter.responses:
            raise _Reject(400, "Interaction has already been acknowledged.", 40060)
        rtype, data = body.get("type"), body.get("data") or {}
        _check_callback(rtype, data, inter.payload["type"])
        inter.responses.append(body)
        resource: dict | None = None
        if rtype in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if rtype == 5 else 0)
            user = self.users[int(inter.payload["member"]["user"]["id"])]
            meta = {"id": str(inter.id), "type": inter.payload["type"], "user": user,
                    "authorizing_integration_owners": {"0": inter.payload["guild_id"]}}  # fmt: skip
            msg = self._bot_message(inter.payload["channel_id"], {**data, "flags": flags},
                                    mtype=20 if inter.payload["type"] == 2 else 0, webhook_id=str(self.app_id),
                                    application_id=str(self.app_id), interaction_metadata=meta)  # fmt: skip
            inter.original_message_id = int(msg["id"])
            await self._store_write("create", msg, data)
            resource = {"type": rtype, "message": msg}
        elif rtype == 7:
            msg = self._edit(self._message(inter.message_id or 0), data)
            await self._store_write("edit", msg, data)
            resource = {"type": 7, "message": msg}
        elif rtype == 9:
            self.modals[data["custom_id"]] = data
        self._notify()
        if "with_response" not in request.query:
            return web.Response(status=204)
        original = inter.original_message
        answer: dict[str, Any] = {"interaction": {
            "id": iid, "type": inter.payload["type"], "response_message_loading": rtype == 5,
            "response_message_ephemeral": bool(original and original["flags"] & EPHEMERAL),
            **({"response_message_id": original["id"]} if original and rtype in (4, 5, 7) else {}),
        }}  # fmt: skip
        if resource is not None:
            answer["resource"] = resource
        return _json(answer)

    async def _followup(self, request: web.Request, body: dict, app: str, token: str) -> web.Response:
        inter = self._inter(app, token)
        if not inter.responses:
            raise _Reject(404, "Unknown Webhook", 10015)
        original = inter.original_message
        if original is not None and original["flags"] & LOADING:  # the first followup fills a deferred response
            msg = self._edit(original, {k: v for k, v in body.items() if k != "flags"})
            await self._store_write("edit", msg, body)
        else:
            _check_message(body, creating=True)
            msg = self._bot_message(inter.payload["channel_id"], body, webhook_id=str(self.app_id),
                                    application_id=str(self.app_id))  # fmt: skip
            await self._store_write("create", msg, body)
        inter.followups.append(msg)
        self._notify()
        return _json(msg) if request.query.get("wait", "").lower() in ("true", "1") else web.Response(status=204)

    async def _webhook_message(self, request: web.Request, body: Any, app: str, token: str, mid: str) -> web.Response:
        inter = self._inter(app, token)
        if mid == "@original":
            msg = inter.original_message
            if msg is None:
                raise _Reject(404, "Unknown Message", 10008)
        else:
            msg = self._message(mid)
            if msg["id"] not in {m["id"] for m in inter.followups} | {str(inter.original_message_id)}:
                raise _Reject(404, "Unknown Message", 10008)
        if request.method == "DELETE":
            await self._delete(int(msg["id"]))
            return web.Response(status=204)
        if request.method == "PATCH":
            self._edit(msg, body or {})
            if mid == "@original":
                inter.edits.append(body or {})
            await self._store_write("edit", msg, body or {})
        return _json(msg)


# ---------------------------------------------------------------------- payload checks (Discord's 400s)
def _lookup(items: Iterable[dict], key: str, value: str) -> int:
    for item in items:
        if item[key] == value:
            return int(item["id"])
    raise KeyError(f"nothing with {key}={value!r}")


def _walk(components: Iterable[dict]) -> Iterator[dict]:
    for c in components:
        yield c
        yield from _walk(c.get("components") or [])
        if isinstance(c.get("component"), dict):
            yield from _walk([c["component"]])
        if isinstance(c.get("accessory"), dict):
            yield from _walk([c["accessory"]])


def _invalid(why: str) -> _Reject:
    return _Reject(400, f"Invalid Form Body: {why}", 50035)


def _check_message(body: dict, *, creating: bool) -> None:
    """Reject what Discord rejects: too long content/embeds, bad components, empty messages."""
    if not isinstance(body, dict):
        raise _invalid("body must be a JSON object")
    content, embeds = body.get("content") or "", body.get("embeds") or []
    components = body.get("components") or []
    if len(content) > 2000:
        raise _invalid(f"content: must be 2000 or fewer in length (got {len(content)})")
    if len(embeds) > 10:
        raise _invalid("embeds: must be 10 or fewer in length")
    total = 0
    for e in embeds:
        limits = [("title", e.get("title"), 256), ("description", e.get("description"), 4096),
                  ("footer", (e.get("footer") or {}).get("text"), 2048),
                  ("author", (e.get("author") or {}).get("name"), 256)]  # fmt: skip
        fields = e.get("fields") or []
        if len(fields) > 25:
            raise _invalid("embeds.fields: must be 25 or fewer in length")
        for f in fields:
            limits += [("field name", f.get("name"), 256), ("field value", f.get("value"), 1024)]
        for name, text, limit in limits:
            if text is not None and len(str(text)) > limit:
                raise _invalid(f"embeds.{name}: must be {limit} or fewer in length")
            total += len(str(text or ""))
    if total > 6000:
        raise _invalid("embeds: total size must be 6000 or fewer")
    too_many = len(components) > 5 or any(len(row.get("components") or []) > 5 for row in components)
    if too_many and not (body.get("flags") or 0) & COMPONENTS_V2:
        raise _invalid("components: at most 5 rows of 5")
    ids = [c["custom_id"] for c in _walk(components) if "custom_id" in c]
    if len(ids) != len(set(ids)) or any(len(i) > 100 for i in ids):
        raise _invalid(f"components: custom_id must be unique and at most 100 characters: {ids}")
    if any(len(c.get("label") or "") > 80 for c in _walk(components) if c.get("type") == 2):
        raise _invalid("components: button label must be 80 or fewer in length")
    has_files = bool(body.get("attachments") or body.get("sticker_ids") or body.get("poll"))
    if creating and not (content or embeds or components or has_files):
        raise _Reject(400, "Cannot send an empty message", 50006)


def _check_callback(rtype: Any, data: dict, itype: int) -> None:
    allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[itype]
    if rtype not in allowed:
        raise _invalid(f"type: callback type {rtype} is not valid for an interaction of type {itype}")
    if rtype == 4:
        _check_message(data, creating=True)
    elif rtype == 7:
        _check_message(data, creating=False)
    elif rtype == 8:
        choices = data.get("choices") or []
        if len(choices) > 25 or any(not 1 <= len(c["name"]) <= 100 for c in choices):
            raise _invalid("choices: at most 25 choices with names of 1-100 characters")
    elif rtype == 9 and (not data.get("custom_id") or not data.get("title") or len(data["title"]) > 45
                         or not 1 <= len(data.get("components") or []) <= 5):  # fmt: skip
        raise _invalid("modal: needs custom_id, a title of at most 45 characters and 1-5 components")


def _check_command(cmd: dict) -> None:
    ctype = cmd.get("type", 1)
    if ctype == 1 and (not _COMMAND_NAME.match(cmd.get("name", "")) or cmd["name"] != cmd["name"].lower()):
        raise _invalid(f"name: invalid slash command name {cmd.get('name')!r}")
    if ctype == 1 and not 1 <= len(cmd.get("description") or "") <= 100:
        raise _invalid(f"description: {cmd['name']!r} needs a description of 1-100 characters")

    def check_options(options: list[dict], where: str) -> None:
        if len(options) > 25:
            raise _invalid(f"{where}: at most 25 options")
        required = [bool(o.get("required")) for o in options if o["type"] not in (1, 2)]
        if required != sorted(required, reverse=True):
            raise _invalid(f"{where}: required options must come before optional ones")
        for o in options:
            if not _COMMAND_NAME.match(o["name"]) or not 1 <= len(o.get("description") or "") <= 100:
                raise _invalid(f"{where}.{o['name']}: bad option name or description")
            if len(o.get("choices") or []) > 25:
                raise _invalid(f"{where}.{o['name']}: at most 25 choices")
            check_options(o.get("options") or [], f"{where}.{o['name']}")

    check_options(cmd.get("options") or [], cmd.get("name", "?"))


async def _read_body(request: web.Request, uploads: dict[str, bytes] | None = None) -> Any:
    """JSON body, or ``payload_json`` of a multipart body with the files turned into attachment objects (in the
    message: ``data`` of an interaction callback); each file's bytes go to ``uploads`` by file name."""
    if request.content_type.startswith("multipart/"):
        payload: dict = {}
        files = []
        async for part in await request.multipart():
            if part.name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                data = await part.read()  # type: ignore[union-attr]
                if uploads is not None:
                    uploads[str(part.filename)] = bytes(data)
                files.append({"filename": part.filename, "size": len(data), "content_type": part.headers.get(
                    "Content-Type")})  # type: ignore[union-attr]  # fmt: skip
        message = payload["data"] if isinstance(payload.get("data"), dict) else payload
        message["attachments"] = [
            {**f, "id": str(i), "url": f"https://cdn.invalid/{f['filename']}",
             "proxy_url": f"https://cdn.invalid/{f['filename']}"}
            for i, f in enumerate(files)
        ]  # fmt: skip
        return payload
    text = await request.text()
    return json.loads(text) if text else None


# ---------------------------------------------------------------------- discord.py glue
@contextlib.contextmanager
def point_discord_py_at(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at ``fake`` (process-wide); restore on exit."""
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old


class _ErrorLogHandler(logging.Handler):
    def __init__(self, fake: FakeDiscord | None) -> None:
        super().__init__(logging.ERROR)
        self.fake, self.records = fake, []

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.records.append(text)
        if self.fake is not None:
            self.fake.bot_errors.append(text)
            self.fake._notify()


async def _drain_event_handlers(timeout: float) -> None:
    """Wait (bounded) for discord.py's running event-handler tasks (named "discord.py: on_...") to finish."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        pending = [
            t for t in asyncio.all_tasks() if not t.done() and (t.get_name() or "").startswith("discord.py: on_")
        ]
        if not pending:
            return
        await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))


@contextlib.asynccontextmanager
async def run_bot(
    bot: discord.Client, token: str, *, fake: FakeDiscord | None = None, ready_timeout: float = 10.0,
    fail_on_error_logs: bool = True,
) -> AsyncIterator[discord.Client]:  # fmt: skip
    """Run ``bot.start(token)`` as a task, wait for ready, yield, close it and re-raise its exception if any.

    With ``fake``, the fake's wait helpers fail as soon as the bot task dies. With ``fail_on_error_logs``, any ERROR
    logged under the ``discord`` logger (e.g. an exception in an event handler or view callback) fails the test."""
    handler = _ErrorLogHandler(fake if fail_on_error_logs else None)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger = logging.getLogger("discord")
    logger.addHandler(handler)
    task = asyncio.create_task(bot.start(token), name="fake-discord-bot")
    if fake is not None:
        fake.watch(task)
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + ready_timeout
        while not bot.is_ready():
            if task.done():
                task.result()  # raises the bot's exception
                raise BotCrashed("bot.start() returned before the bot was ready")
            if loop.time() > deadline:
                raise TimeoutError(f"bot not ready after {ready_timeout}s")
            await asyncio.sleep(0.01)
        yield bot
    except BaseException:
        if fake is not None:
            fake.unwatch(task)
        await bot.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 10)
        raise
    else:
        # Event handlers the test did not wait for (a reply to a message sent only as context) are still running:
        # let them finish before the bot closes, or their last REST call meets a closed server and a slow machine
        # turns a passing test into a ServerDisconnectedError at teardown.
        await _drain_event_handlers(timeout=10.0)
        if fake is not None:
            fake.unwatch(task)
        await bot.close()
        await asyncio.wait_for(task, 10)  # re-raises an exception of the bot task
        if fail_on_error_logs and handler.records:
            raise BotCrashed("discord.py logged errors:\n" + "\n".join(handler.records))
    finally:
        logger.removeHandler(handler)
