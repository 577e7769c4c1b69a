"""Composition root of the Discord side: build everything once, inject it, run until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal

import aiohttp
import discord
import yarl

from bot.app.composition import StartupError, running_deps, serving_health
from bot.bot import SupportBot, make_bot
from bot.services.health import GatewayState
from bot.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_RUNTIME = 0, 2, 3
GATEWAY_PROBE_SECONDS = 30.0


def point_at_discord(settings: Settings) -> None:
    """Use a Discord-compatible server other than Discord's own when configured (local tests)."""
    if settings.discord_api_base:
        base = _checked_url(
            "DISCORD_API_BASE", settings.discord_api_base, ("http", "https"), "https://discord.com/api/v10"
        )
        discord.http.Route.BASE = str(base).rstrip("/")
        log.info("REST API base: %s", discord.http.Route.BASE)
    if settings.discord_gateway_url:
        gateway = _checked_url(
            "DISCORD_GATEWAY_URL", settings.discord_gateway_url, ("ws", "wss"), "wss://gateway.discord.gg/"
        )
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
        log.info("gateway: %s", gateway)


def _checked_url(name: str, value: str, schemes: tuple[str, ...], example: str) -> yarl.URL:
    """Parse a URL setting; a malformed one stops the start with a message naming it (never echoing the value)."""
    try:
        url = yarl.URL(value.strip())
    except (TypeError, ValueError):
        url = None
    if url is None or url.scheme not in schemes or not url.host or url.user is not None or url.password is not None:
        raise StartupError(
            f"{name} must be a {'/'.join(schemes)} URL with a host and no credentials, like {example}; "
            "fix it or unset it to use Discord's own",
            EXIT_CONFIG,
        )
    return url


def _close_on_signals(bot: SupportBot) -> None:
    # SIGTERM (systemd, docker stop) and Ctrl+C close the gateway and the database instead of killing mid-write.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not available on Windows
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))


async def run_discord(settings: Settings, *, bot_options: dict | None = None) -> int:
    """Connect to Discord with DISCORD_TOKEN and run until the bot is closed.

    A state the bot cannot start in (database unusable, Discord unreachable, token refused) raises `StartupError`
    with one line naming the setting or file and what to do; `bot.cli.main` prints it without a traceback.
    """
    point_at_discord(settings)
    async with running_deps(settings) as deps:
        bot = make_bot(deps, **(bot_options or {}))
        _close_on_signals(bot)
        async with bot, serving_health(deps, gateway=lambda: gateway_state(bot)):
            await _login(bot, settings.discord_token.get_secret_value())
            await _check_gateway()
            await _connect(bot)
    log.info("stopped cleanly")
    return EXIT_OK


def gateway_state(client: discord.Client) -> GatewayState:
    """The gateway connection for /healthz: ready, not closed, its websocket open, and the heartbeat latency."""
    if isinstance(client, discord.AutoShardedClient):  # one connection per shard: healthy when every one is open
        shards = client.shards.values()
        connected = client.is_ready() and not client.is_closed() and bool(shards)
        connected = connected and all(not shard.is_closed() for shard in shards)
    else:
        ws = client.ws
        connected = client.is_ready() and not client.is_closed() and ws is not None and ws.open
    latency = client.latency  # NaN without a websocket, inf before the first heartbeat
    return GatewayState(connected=connected, latency_seconds=latency if math.isfinite(latency) else None)


def _shown(url: object) -> str:
    """A URL for a message: without user, password or query (nothing secret is printed)."""
    try:
        parsed = yarl.URL(str(url))
        return str(parsed.with_user(None).with_query(None).with_fragment(None))
    except (TypeError, ValueError):
        return "(invalid URL)"


def _reason(exc: BaseException) -> str:
    """A short reason for a network error, without a traceback."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        exc = exc.os_error
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


async def _login(bot: SupportBot, token: str) -> None:
    """Log in over REST (GET /users/@me); explain the failures that stop the start."""
    api = _shown(discord.http.Route.BASE)
    try:
        await bot.login(token)
    except discord.LoginFailure as exc:
        raise StartupError(
            "DISCORD_TOKEN was refused by Discord (401 Unauthorized); reset it in the Developer Portal "
            "(Applications -> your bot -> Bot -> Reset Token) and set the new one",
            EXIT_CONFIG,
        ) from exc
    except aiohttp.InvalidURL as exc:
        raise StartupError(f"DISCORD_API_BASE is not a valid URL: {api}; fix or unset it", EXIT_CONFIG) from exc
    except discord.HTTPException as exc:
        raise StartupError(
            f"Discord at {api} answered {exc.status} at login; check DISCORD_API_BASE, "
            "or https://discordstatus.com if it is Discord's own"
        ) from exc
    except (TimeoutError, OSError, aiohttp.ClientError) as exc:
        raise StartupError(
            f"cannot reach Discord at {api}: {_reason(exc)}; check the network or DISCORD_API_BASE"
        ) from exc


async def _check_gateway() -> None:
    """Open and close one connection to the gateway: discord.py 2.x fails the first connection with an unrelated
    AttributeError (and a logged traceback) when the gateway cannot be reached, instead of retrying."""
    url = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with (
            asyncio.timeout(GATEWAY_PROBE_SECONDS),
            aiohttp.ClientSession() as session,
            session.ws_connect(url, autoping=False),
        ):
            pass
    except (OSError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise StartupError(
            f"cannot reach the Discord gateway at {_shown(url)}: {_reason(exc)}; "
            "check the network or DISCORD_GATEWAY_URL"
        ) from exc


async def _connect(bot: SupportBot) -> None:
    """Run the gateway connection until the bot is closed (discord.py reconnects after the first connection)."""
    try:
        await bot.connect()
    except discord.PrivilegedIntentsRequired as exc:
        raise StartupError(
            "the Message Content intent is not enabled for this bot: Developer Portal -> Bot -> "
            "Privileged Gateway Intents -> Message Content Intent",
            EXIT_CONFIG,
        ) from exc
    except AttributeError as exc:
        # The discord.py bug above, when the gateway went away between the check and the first connection.
        network = (OSError, aiohttp.ClientError, TimeoutError, discord.GatewayNotFound)
        if bot.ws is None and isinstance(exc.__context__, network):
            raise StartupError(
                f"cannot reach the Discord gateway at {_shown(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)}: "
                f"{_reason(exc.__context__)}; check the network or DISCORD_GATEWAY_URL"
            ) from exc
        raise
