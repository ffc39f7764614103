"""Run the real bot in-process against the loopback fakes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from bot.__main__ import open_bot
from bot.app import MJBot
from bot.config import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.fakes.mj_api import FakeMJ

RELAY_REFRESH_PERIOD = 0.4  # seconds between two refreshes of the fake relay's table; the real one's is 15
FAST_POLLING = {
    "poll_min_interval": 0.2,
    "poll_max_interval": 0.6,
    "batch_poll_interval": 0.1,  # a few polls per refresh of the test relay, so its clock can lock
}


def make_settings(
    database: Path, mj: FakeMJ | FakeRelay, discord: FakeDiscord, **changes: object
) -> Settings:
    settings = Settings(
        discord_token=discord.bot_token,
        mj_api_key=mj.api_key,
        mj_base_url=mj.base_url,
        database_path=str(database),
        guild_id=discord.guild_id,
        discord_api_base=discord.api_base,
        mj_timeout=5.0,
        **FAST_POLLING,  # type: ignore[arg-type]
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, discord: FakeDiscord) -> AsyncIterator[MJBot]:
    """Start the bot, wait until it is connected, and stop it cleanly afterwards."""
    async with open_bot(settings) as bot:
        runner = asyncio.create_task(bot.start(settings.discord_token), name="bot")
        try:
            await discord.wait_ready(timeout=15)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
