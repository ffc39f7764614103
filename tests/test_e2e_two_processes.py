"""Two bot processes on two shards over one PostgreSQL, against the fake Discord with two shards. One dies
by SIGKILL mid-job: the other takes its job over within a lease, delivers it, and nothing is submitted
twice. A button under the delivered grid works on whichever process holds the guild's shard."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.bot_processes import BotProcess
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.harness import RELAY_REFRESH_PERIOD
from tests.postgres import Cluster
from tests.test_e2e_imagine import has_image, replies_to
from tests.test_metrics import sample, scrape

LEASE_SECONDS = 2.0  # a dead process's jobs are taken over within 2 s and a round (a third of it)
JOB_SECONDS = 8.0  # long enough to kill the process while its job runs
IMAGINE, ACTION = "POST /mj/submit/imagine", "POST /mj/submit/action"


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    fake = FakeRelay(refresh_period=RELAY_REFRESH_PERIOD, default_duration=JOB_SECONDS, queue_delay=0.1)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def bots(
    tmp_path: Path, postgres_cluster: Cluster, two_shards: FakeDiscord, relay: FakeRelay
) -> AsyncIterator[list[BotProcess]]:
    """bot-0 and bot-1 (not started): SHARD_COUNT=2, each its own SHARD_IDS, one PostgreSQL database."""
    discord = two_shards
    env = {
        "DISCORD_TOKEN": discord.bot_token,
        "MJ_API_KEY": relay.api_key,
        "MJ_BASE_URL": relay.base_url,
        "DISCORD_API_BASE": discord.api_base,
        "DATABASE_URL": postgres_cluster.fresh_database(),
        "SHARD_COUNT": "2",
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    processes = [BotProcess(f"bot-{n}", {**env, "SHARD_IDS": str(n)}, tmp_path) for n in range(2)]
    yield processes
    for bot in processes:
        await bot.stop()
    print(*(bot.log_tail() for bot in processes), sep="\n")  # shown when the test failed


async def leased_to(bots: list[BotProcess], message_id: int) -> str | None:
    """Who holds the lease of the job whose message this is."""
    connection = await asyncpg.connect(bots[0].env["DATABASE_URL"])
    try:
        holder: str | None = await connection.fetchval(
            "SELECT lease_owner FROM jobs WHERE message_id = $1", message_id
        )
        return holder
    finally:
        await connection.close()


async def taken_over(bots: list[BotProcess], message_id: int, timeout: float) -> None:
    """Until bot-1 holds the job's lease (asked of the database every 50 ms)."""
    async with asyncio.timeout(timeout):
        for _round in itertools.count():
            if await leased_to(bots, message_id) == "bot-1":
                return
            await asyncio.sleep(0.05)


async def test_a_job_survives_its_process_dying_and_its_button_still_works(
    bots: list[BotProcess], two_shards: FakeDiscord, relay: FakeRelay
) -> None:
    discord = two_shards
    far_channel = discord.add_channel("elsewhere", guild_id=discord.add_guild(shard=1))
    for bot in bots:
        await bot.start()
    await discord.wait_shard_ready(0, timeout=60)
    await discord.wait_shard_ready(1, timeout=60)
    user = discord.add_user("pat")

    # Each guild's command reaches the process holding its shard.
    near = await discord.invoke("imagine", {"prompt": "a lighthouse at dusk"}, user_id=user)
    far = await discord.invoke("imagine", {"prompt": "a quiet harbour"}, user_id=user, channel_id=far_channel)
    assert (near.shard, far.shard) == (0, 1)
    await discord.wait_for(lambda: relay.count(IMAGINE) == 2 and len(relay.tasks) == 2, timeout=30)
    await discord.wait_for(lambda: near.message_id is not None)
    grid = discord.messages[near.message_id or 0]
    assert await leased_to(bots, grid.id) == "bot-0"
    assert not has_image(grid)

    bots[0].kill()  # mid-job, with no word to anyone
    killed = time.monotonic()
    await taken_over(bots, grid.id, timeout=LEASE_SECONDS * 4 / 3 + 10)  # a lease, a round, and slack
    taken = time.monotonic() - killed
    assert not has_image(grid), "taken over while the task still ran"
    await discord.wait_for(lambda: has_image(grid), timeout=JOB_SECONDS + 10)
    print(f"taken over {taken:.1f} s and delivered {time.monotonic() - killed:.1f} s after the SIGKILL")
    assert relay.count(IMAGINE) == 2, "nothing was submitted twice"
    far_grid = discord.messages[far.message_id or 0]
    await discord.wait_for(lambda: has_image(far_grid), timeout=30)
    metrics = (await scrape(f"http://127.0.0.1:{bots[1].metrics_port}"))[1]
    assert sample(metrics, "mj_jobs_taken_over_total") == 1

    # Its guild's shard has no process now: a click there reaches no one ("This interaction failed").
    u1 = next(b["custom_id"] for b in grid.buttons() if b.get("label") == "U1")
    lost = await discord.click(grid.id, u1, user_id=user)
    assert not lost.delivered
    # bot-0 is started again (as its supervisor would): the button under the grid works there.
    bots[0] = BotProcess("bot-0", bots[0].env, bots[0].folder)
    await bots[0].start()
    await discord.wait_shard_ready(0, timeout=60)
    click = await discord.click(grid.id, u1, user_id=user)
    assert click.shard == 0 and click.delivered
    await discord.wait_for(lambda: any(has_image(m) for m in replies_to(discord, grid)), timeout=30)
    assert relay.count(ACTION) == 1 and relay.count(IMAGINE) == 2
