"""The fake Discord itself, against a real discord.py client: it keeps the gateway's clock as Discord does,
and flags what Discord would hold against a bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.discord_api import use_gateway_of_rest_base, use_rest_base
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.harness import make_settings, running_bot

HEARTBEAT_INTERVAL = 0.4  # seconds; Discord's is 41.25
BEATS = 15
MIN_ROUND_TRIP = 0.05  # seconds: Discord is a network away, so no ACK comes back sooner than this


@contextlib.asynccontextmanager
async def own_fake(**knobs: float) -> AsyncIterator[FakeDiscord]:
    """A FakeDiscord of the test's own: these tests look at its violations instead of failing on them."""
    fake_discord = FakeDiscord(**knobs)  # type: ignore[arg-type]
    await fake_discord.start()
    try:
        yield fake_discord
    finally:
        await fake_discord.close()


async def test_heartbeats_are_acknowledged_a_round_trip_later_so_the_client_keeps_up(
    tmp_path: Path, fake_mj: FakeMJ, caplog: pytest.LogCaptureFixture
) -> None:
    """discord.py warns "Can't keep up" only past 10 s, so with a short interval the test also reads each
    latency the client measured. It must be a network's round trip: an instant ACK is what can overtake the
    keep-alive thread, and an ACK that overtook it reads as a whole interval (41.3 s with Discord's)."""
    caplog.set_level(logging.INFO, logger="discord.gateway")
    measured: list[float] = []
    async with own_fake(heartbeat_interval=HEARTBEAT_INTERVAL) as fake_discord:
        settings = make_settings(tmp_path / "bot.sqlite3", fake_mj, fake_discord)
        async with running_bot(settings, fake_discord) as bot:

            def enough_beats() -> bool:
                measured.append(bot.latency)  # what the client made of the last ACK it read
                return fake_discord.heartbeat_acks >= BEATS

            await fake_discord.wait_for(enough_beats, timeout=30)
    assert fake_discord.heartbeats >= fake_discord.heartbeat_acks >= BEATS
    assert not [r.getMessage() for r in caplog.records if "Can't keep up" in r.getMessage()]
    latencies = [latency for latency in measured if math.isfinite(latency)]
    assert latencies, "the client measured no heartbeat"
    assert all(MIN_ROUND_TRIP <= latency < HEARTBEAT_INTERVAL / 2 for latency in latencies), (
        f"the client measured {sorted(set(latencies))}"
    )


class SilentClient(discord.Client):
    """A real discord.py client with one command, /quiet, whose handler forgets to answer."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True))
        self.tree = app_commands.CommandTree(self)
        self.tree.command(name="quiet", description="Never answers")(self.quiet)

    async def quiet(self, interaction: discord.Interaction) -> None:
        """Returns without answering."""

    async def setup_hook(self) -> None:
        await use_gateway_of_rest_base(self.http)
        await self.tree.sync()


@contextlib.asynccontextmanager
async def silent_client(fake_discord: FakeDiscord) -> AsyncIterator[SilentClient]:
    use_rest_base(fake_discord.api_base)
    client = SilentClient()
    runner = asyncio.create_task(client.start(fake_discord.bot_token))
    try:
        await fake_discord.wait_ready(timeout=15)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


async def test_an_interaction_left_unanswered_past_the_deadline_is_a_violation() -> None:
    async with own_fake(ack_deadline=0.5) as fake_discord, silent_client(fake_discord):
        user = fake_discord.add_user("nobody")
        interaction = await fake_discord.invoke("quiet", user_id=user)
        await fake_discord.wait_for(lambda: bool(fake_discord.violations), timeout=10)
        assert fake_discord.violations == [
            f"interaction {interaction.id} (type 2, quiet) got no answer within 0.5s"
        ]
        assert not interaction.callbacks


async def test_an_interaction_still_unanswered_when_the_fake_closes_is_a_violation() -> None:
    async with own_fake() as fake_discord, silent_client(fake_discord):
        user = fake_discord.add_user("nobody")
        interaction = await fake_discord.invoke("quiet", user_id=user)
    assert fake_discord.violations == [
        f"interaction {interaction.id} (type 2, quiet) got no answer before the fake closed"
    ]


def test_guilds_land_on_the_shard_asked_for_by_discords_formula() -> None:
    fake = FakeDiscord(shard_count=3)
    assert fake.shard_of(fake.guild_id) == 0, "the main guild is on shard 0, with the DMs"
    guilds = [fake.add_guild(shard=shard) for shard in (2, 1, 1, 0, 2)]
    assert [(guild >> 22) % 3 for guild in guilds] == [2, 1, 1, 0, 2]
    assert guilds == sorted(set(guilds)) and fake.new_id() > guilds[-1], "still fresh, growing snowflakes"
    assert fake.guilds_on_shard(1) == guilds[1:3]
    channel = fake.add_channel("art", guild_id=guilds[0])
    assert fake.guild_of(channel) == guilds[0] and fake.guild_of(fake.channel_id) == fake.guild_id
    assert [c["id"] for c in fake.guild_payload(guilds[0])["channels"]] == [str(channel)]
    assert str(channel) not in [c["id"] for c in fake.guild_payload()["channels"]]
