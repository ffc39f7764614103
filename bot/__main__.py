"""Composition root: settings → logging → HTTP session + storage → the bot. `check` runs bot/setup_check.py."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import discord

from bot import __version__, setup_check, startup
from bot.app import MJBot
from bot.config import Settings, SettingsError
from bot.delivery import Writer
from bot.discord_api import use_rest_base
from bot.jobs.timing import DEFAULT_TIMING, Timing
from bot.mj.client import MJClient
from bot.storage import Lease, Store, open_store

log = logging.getLogger("bot")

USAGE = "usage: python -m bot [check]"
USER_AGENT = f"mj-discord-bot/{__version__} discord.py/{discord.__version__} aiohttp/{aiohttp.__version__}"


async def open_database(settings: Settings) -> Store:
    """PostgreSQL at DATABASE_URL, else SQLite at DATABASE_PATH; the jobs this process creates or takes are
    leased to it (`Settings.lease_holder`)."""
    lease = Lease(holder=settings.lease_holder, seconds=settings.job_lease_seconds)
    return await open_store(settings.database_url, settings.database_path, lease)


@contextlib.asynccontextmanager
async def open_bot(
    settings: Settings, *, timing: Timing = DEFAULT_TIMING, writer_class: type[Writer] = Writer
) -> AsyncIterator[MJBot]:
    """Open the database (PostgreSQL at DATABASE_URL, else SQLite) and the one HTTP session, build the bot; close all of them on the way out.

    Tests and the benchmark pass a faster `timing` (how often the engine polls and retries); the
    benchmark also passes its naive baseline as `writer_class`.
    """
    if settings.discord_api_base:
        use_rest_base(settings.discord_api_base)
    store = await open_database(settings)
    try:
        async with aiohttp.ClientSession() as session:
            mj = MJClient(
                session,
                settings.mj_base_url,
                settings.mj_api_key,
                user_agent=USER_AGENT,
                timeout=timing.mj_timeout,
                mode_flag=settings.mj_mode_flag,
            )
            bot = MJBot(settings=settings, store=store, mj=mj, timing=timing, writer_class=writer_class)
            try:
                yield bot
            finally:
                if not bot.is_closed():
                    await bot.close()
    finally:
        await store.close()


async def run(settings: Settings) -> None:
    """Log in (waiting a while for Discord), then stay connected until SIGTERM or SIGINT closes the bot.

    Until then those signals act as usual and end the process at once: every job is safe in the database.
    """
    bots = functools.partial(open_bot, settings)
    retry_for = settings.discord_startup_retry_for
    async with startup.logged_in(bots, settings.discord_token, retry_for=retry_for) as bot:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        await startup.connect(bot)
    log.info("Stopped cleanly")


def main() -> int:
    """`python -m bot` runs the bot; `python -m bot check` checks the setup and exits."""
    arguments = sys.argv[1:]
    if arguments == ["check"]:
        return setup_check.main(user_agent=USER_AGENT)
    if arguments:
        print(USAGE, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(settings))
    except startup.StartupError as err:
        log.error("%s", err)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the bot was logged in
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
