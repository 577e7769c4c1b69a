"""Benchmark launcher: the real bot (or an echo bot) with an event-loop lag sampler; prints lag stats on exit.

LAG_PROBE_MODE=bot runs `bot.runner.run_discord` exactly as `python -m bot` does; LAG_PROBE_MODE=echo runs a
bot that replies "ok" to every message (the baseline: gateway + REST cost without triage).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord

from bot.runner import point_at_discord, run_discord
from bot.settings import load_settings

INTERVAL = 0.005


async def sample_lag(samples: list[tuple[float, float]]) -> None:
    """Record (wall time, how late a 5 ms sleep woke up in ms): the event loop's lag over time."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(INTERVAL)
        samples.append((time.time(), max(0.0, loop.time() - start - INTERVAL) * 1000))


class EchoBot(discord.Client):
    """Replies "ok" to every guild message: the baseline."""

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None and not message.author.bot:
            await message.channel.send("ok", allowed_mentions=discord.AllowedMentions.none())


async def main() -> None:
    settings = load_settings(env_file=None)
    samples: list[tuple[float, float]] = []
    sampler = asyncio.create_task(sample_lag(samples))
    started = time.perf_counter()
    try:
        if os.environ.get("LAG_PROBE_MODE") == "echo":
            point_at_discord(settings)
            intents = discord.Intents.none()
            intents.guilds = intents.guild_messages = intents.message_content = True
            client = EchoBot(intents=intents)
            loop = asyncio.get_running_loop()
            import signal

            loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(client.close()))
            async with client:
                await client.start(settings.discord_token.get_secret_value())
        else:
            await run_discord(settings)
    finally:
        sampler.cancel()
        # The benchmark keeps only the samples taken during its burst (wall-clock window), so idle time before
        # and after does not flatter the percentiles.
        payload = json.dumps({"samples": samples, "run_s": time.perf_counter() - started})
        await asyncio.to_thread(Path(os.environ["LAG_PROBE_OUT"]).write_text, payload)


if __name__ == "__main__":
    if os.environ.get("LAG_PROBE_PROFILE"):  # development aid: where does the bot spend its time under load?
        import cProfile

        cProfile.run("asyncio.run(main())", os.environ["LAG_PROBE_PROFILE"])
    else:
        asyncio.run(main())
