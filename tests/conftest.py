"""Shared fixtures: the loopback fakes of the MJ API and of Discord, and the bot running against them.

`fake_mj` (the default) is the real service's shape: new-api in front of trueai's midjourney-proxy, as
two servers, with a short table refresh period (the real one is 15 s). `fake_spec` is a direct proxy
that behaves as the spec describes, for the plain contract. `make_settings` takes either."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import MJBot
from bot.config import Settings
from bot.storage import Lease, Store
from tests import postgres
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.fakes.mj_api import FakeMJ
from tests.harness import RELAY_REFRESH_PERIOD, Opener, make_settings, running_bot


@pytest.fixture(scope="session", autouse=True)
def _postgres_cluster_stops() -> Iterator[None]:
    """Whoever started the session's PostgreSQL cluster, it stops when the session ends."""
    yield
    postgres.stop_shared()


@pytest.fixture(scope="session")
def postgres_cluster() -> postgres.Cluster:
    """A throwaway PostgreSQL server (tests/postgres.py). Missing binaries fail the tests as root (CI
    installs them) and skip them, loudly, only for a user who could not install them."""
    if postgres.binaries() is None:
        if os.geteuid() == 0:
            pytest.fail(f"PostgreSQL tests cannot run: {postgres.MISSING}")
        pytest.skip(f"PostgreSQL TESTS NOT RUN: {postgres.MISSING}")
    return postgres.shared()


@pytest.fixture(params=["sqlite", "postgresql"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens stores on one fresh database, SQLite or PostgreSQL, as separate bot processes would: each
    store with its own connection(s). The storage tests take it, so each runs on both."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_cluster").fresh_database()

        async def opened(lease: Lease | None) -> Store:
            return await Store.open_postgresql(url, lease)
    else:

        async def opened(lease: Lease | None) -> Store:
            return await Store.open(tmp_path / "db" / "bot.sqlite3", lease)

    stores: list[Store] = []

    async def opener(lease: Lease | None = None) -> Store:
        stores.append(await opened(lease))
        return stores[-1]

    yield opener
    for store in stores:
        await store.close()


@pytest.fixture
async def two_shards() -> AsyncIterator[FakeDiscord]:
    """A Discord that wants this bot on 2 shards."""
    discord = FakeDiscord(shard_count=2)
    await discord.start()
    yield discord
    await discord.close()
    assert discord.violations == [], "the bot broke Discord's rules"


@pytest.fixture
async def fake_mj() -> AsyncIterator[FakeRelay]:
    """new-api in front of a trueai upstream, both on 127.0.0.1."""
    relay = FakeRelay(refresh_period=RELAY_REFRESH_PERIOD, default_duration=1.0, queue_delay=0.1)
    await relay.start()
    yield relay
    await relay.close()


@pytest.fixture
async def fake_spec() -> AsyncIterator[FakeMJ]:
    """A direct midjourney-proxy as the spec describes it."""
    mj = FakeMJ(default_duration=1.0, queue_delay=0.1)
    await mj.start()
    yield mj
    await mj.close()


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    discord = FakeDiscord()
    await discord.start()
    yield discord
    await discord.close()
    assert discord.violations == [], "the bot broke Discord's rules"


@pytest.fixture
def settings(tmp_path: Path, fake_mj: FakeRelay, fake_discord: FakeDiscord) -> Settings:
    return make_settings(tmp_path / "bot.sqlite3", fake_mj, fake_discord)


@pytest.fixture
async def bot(settings: Settings, fake_discord: FakeDiscord) -> AsyncIterator[MJBot]:
    async with running_bot(settings, fake_discord) as bot:
        yield bot
