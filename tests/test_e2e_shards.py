"""Sharding: several bot processes, each with its own SHARD_IDS, share one database and one Discord; each
interaction reaches the process holding its guild's shard, and works there."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from pathlib import Path

import aiohttp

from bot.app import MJBot
from bot.config import Settings
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.mj import FakeRelay
from tests.harness import make_settings, running_bot
from tests.test_e2e_imagine import has_image, replies_to
from tests.test_metrics import free_port, scrape

IMAGINE, ACTION = "POST /mj/submit/imagine", "POST /mj/submit/action"


def sharded(tmp_path: Path, mj: FakeRelay, discord: FakeDiscord, *shard_ids: int) -> Settings:
    """One process's settings: SHARD_COUNT=2 and these SHARD_IDS, on the test's one database. Commands are
    global (no GUILD_ID), as for a bot in many servers."""
    settings = make_settings(tmp_path / "bot.sqlite3", mj, discord, guild_id=None)
    return replace(settings, shard_count=discord.shard_count, shard_ids=shard_ids)


def submits(bot: MJBot) -> int:
    """The submits (imagine and button actions) this bot's process sent to the API."""
    return sum(bot.mj.submit_codes.values())


async def imagine_and_upscale(discord: FakeDiscord, channel_id: int, shard: int) -> FakeMessage:
    """/imagine in the channel, its grid with buttons, then U1 under it: the upscale with its buttons."""
    user = discord.add_user("painter")
    command = await discord.invoke("imagine", {"prompt": "a lighthouse"}, user_id=user, channel_id=channel_id)
    assert command.shard == shard
    await discord.wait_for(lambda: command.message_id is not None)
    grid = discord.messages[command.message_id or 0]
    await discord.wait_for(lambda: has_image(grid), timeout=20)
    assert grid.channel_id == channel_id and "U1" in [b.get("label") for b in grid.buttons()]
    u1 = next(b["custom_id"] for b in grid.buttons() if b.get("label") == "U1")
    click = await discord.click(grid.id, u1, user_id=user)
    assert click.shard == shard
    await discord.wait_for(lambda: bool(click.callbacks))
    await discord.wait_for(lambda: any(has_image(m) for m in replies_to(discord, grid)), timeout=20)
    [upscale] = replies_to(discord, grid)
    assert upscale.content.startswith("**Upscale 1**")
    return upscale


async def test_each_guild_is_served_by_the_process_holding_its_shard(
    tmp_path: Path, fake_mj: FakeRelay, two_shards: FakeDiscord
) -> None:
    discord = two_shards
    far_guild = discord.add_guild(shard=1)
    far_channel = discord.add_channel("art", guild_id=far_guild)
    assert (discord.shard_of(discord.guild_id), discord.shard_of(far_guild)) == (0, 1)
    # Two processes (here in one event loop): SHARD_IDS=1 starts first, then SHARD_IDS=0.
    async with running_bot(sharded(tmp_path, fake_mj, discord, 1), discord) as second:
        assert discord.command_sync_count == 0, "a process without shard 0 syncs no command"
        async with running_bot(sharded(tmp_path, fake_mj, discord, 0), discord) as first:
            assert discord.command_sync_count == 1 and discord.commands(None), "shard 0's process synced"
            assert [g.id for g in first.guilds] == [discord.guild_id]
            assert [g.id for g in second.guilds] == [far_guild]

            await imagine_and_upscale(discord, far_channel, shard=1)
            assert (submits(first), submits(second)) == (0, 2)
            await imagine_and_upscale(discord, discord.channel_id, shard=0)
            assert (submits(first), submits(second)) == (2, 2)
    assert fake_mj.count(IMAGINE) == 2 and fake_mj.count(ACTION) == 2
    assert discord.undelivered == []


async def test_an_interaction_for_a_shard_no_process_holds_is_not_delivered(
    tmp_path: Path, fake_mj: FakeRelay, two_shards: FakeDiscord
) -> None:
    discord = two_shards
    far_channel = discord.add_channel("art", guild_id=discord.add_guild(shard=1))
    async with running_bot(sharded(tmp_path, fake_mj, discord, 0), discord):
        user = discord.add_user("painter")
        lost = await discord.invoke("imagine", {"prompt": "a fox"}, user_id=user, channel_id=far_channel)
        assert (lost.shard, lost.delivered, discord.undelivered) == (1, False, [lost])
        served = await discord.invoke("imagine", {"prompt": "a fox"}, user_id=user)
        await discord.wait_for(lambda: served.message_id is not None and fake_mj.count(IMAGINE) == 1)
    assert not lost.callbacks and fake_mj.count(IMAGINE) == 1


async def test_without_a_shard_count_the_bot_opens_discords_and_is_healthy_only_with_all(
    tmp_path: Path, fake_mj: FakeRelay, two_shards: FakeDiscord
) -> None:
    discord = two_shards
    port = free_port()
    settings = make_settings(tmp_path / "bot.sqlite3", fake_mj, discord, metrics_port=port)
    base = f"http://127.0.0.1:{port}"
    async with running_bot(settings, discord) as bot:
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        await healthz_until(base, 200)

        await discord.drop_session(1)  # Discord closes one shard's websocket; discord.py reconnects it
        await healthz_until(base, 503)
        await discord.wait_shard_ready(1, timeout=20)
        await healthz_until(base, 200)
        assert not bot.shards[1].is_closed()


async def healthz_until(base: str, wanted: int, timeout: float = 10.0) -> None:
    """Scrape /healthz until it answers `wanted`."""
    async with asyncio.timeout(timeout):
        while True:
            with contextlib.suppress(aiohttp.ClientConnectionError):  # not listening yet
                if (await scrape(base, "/healthz"))[0] == wanted:
                    return
            await asyncio.sleep(0.05)
