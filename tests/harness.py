"""Run the real bot in-process against the loopback fakes, and wait on its state."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bot.__main__ import open_bot
from bot.app import MJBot
from bot.config import Settings
from bot.jobs.timing import Timing
from bot.models import Job, JobStatus
from bot.storage import Lease, Store
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.fakes.mj_api import FakeMJ
from tests.postgres import WHOLE_SUITE, shared


class Opener(Protocol):
    """Opens one more store on a test's database, as another process would (conftest.open_store)."""

    def __call__(self, lease: Lease | None = None) -> Awaitable[Store]: ...


RELAY_REFRESH_PERIOD = 0.4  # seconds between two refreshes of the fake relay's table; the real one's is 15
# Minutes squeezed into seconds; the batch cadence polls a few times per refresh, so the clock can lock.
FAST_TIMING = Timing(
    poll_min=0.2, poll_max=0.6, batch_poll=0.1, batch_gap=0.1, retry_base=5.0, mj_timeout=5.0
)


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
    )
    if WHOLE_SUITE and "database_url" not in changes:  # TEST_DATABASE=postgresql: a fresh database each
        changes["database_url"] = shared().database_for(str(database))
    return replace(settings, **changes)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, discord: FakeDiscord, timing: Timing = FAST_TIMING
) -> AsyncIterator[MJBot]:
    """Start the bot, wait until each of its shards is connected, and stop it cleanly afterwards."""
    async with open_bot(settings, timing=timing) as bot:
        runner = asyncio.create_task(bot.start(settings.discord_token), name="bot")
        try:
            for shard in bot_shards(settings, discord):
                await discord.wait_shard_ready(shard, timeout=15)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await runner


def bot_shards(settings: Settings, discord: FakeDiscord) -> list[int]:
    """The shards a bot with `settings` opens: SHARD_IDS, else all of SHARD_COUNT or of Discord's count."""
    if settings.shard_ids is not None:
        return list(settings.shard_ids)
    return list(range(settings.shard_count or discord.shard_count))


STATE_POLL = 0.02  # seconds between two looks at the bot's state (SQLite has no change notification)


async def submits_settled(bot: MJBot, timeout: float = 10.0) -> None:
    """Until no job waits in the bot's queue or is being submitted: every submit already made has landed,
    and what is still queued is held back by a concurrency limit or a retry time, so nothing will go."""

    def could_go(job: Job) -> bool:
        if job.status is JobStatus.SUBMITTING:
            return True
        waiting = job.next_attempt_at is not None and job.next_attempt_at > datetime.now(UTC)
        blocked = bot.engine.slots.blocked(job.user_id, job.guild_id) is not None
        return job.status is JobStatus.QUEUED and not waiting and not blocked

    async with asyncio.timeout(timeout):
        while True:
            if not any(could_go(job) for job in await bot.store.open_jobs()):
                return
            await asyncio.sleep(STATE_POLL)


async def no_open_jobs(bot: MJBot, timeout: float = 10.0) -> None:
    """Until every job has ended (a result seen in Discord is marked DONE just after it is posted)."""
    async with asyncio.timeout(timeout):
        while True:
            if not await bot.store.open_jobs():
                return
            await asyncio.sleep(STATE_POLL)


async def open_job(bot: MJBot, matches: Callable[[Job], bool], timeout: float = 10.0) -> Job:
    """The first open job that `matches`, once there is one."""
    async with asyncio.timeout(timeout):
        while True:
            if found := [job for job in await bot.store.open_jobs() if matches(job)]:
                return found[0]
            await asyncio.sleep(STATE_POLL)
