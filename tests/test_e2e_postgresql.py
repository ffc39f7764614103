"""The whole bot on PostgreSQL (DATABASE_URL): /imagine to a grid, a restart, then a click on its button,
through the real discord.py client and both fakes; the rows are in PostgreSQL and no SQLite file exists."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import asyncpg

from bot.config import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.harness import no_open_jobs, running_bot
from tests.postgres import Cluster
from tests.test_e2e_imagine import has_image, imagine, replies_to


async def test_imagine_restart_and_click_on_postgresql(
    settings: Settings, postgres_cluster: Cluster, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    url = postgres_cluster.fresh_database()
    settings = replace(settings, database_url=url)
    sqlite_file = Path(settings.database_path)
    async with running_bot(settings, fake_discord) as bot:
        user = fake_discord.add_user("pat")
        grid = await imagine(fake_discord, user, "a harbour in fog")
        await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
        await no_open_jobs(bot)

    async with running_bot(settings, fake_discord) as bot:
        click = await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=user)
        await fake_discord.wait_for(lambda: bool(click.callbacks))
        assert click.callbacks[0][0] == 7, "the button, stored in PostgreSQL, works after the restart"
        await fake_discord.wait_for(
            lambda: any(has_image(m) for m in replies_to(fake_discord, grid)), timeout=20
        )
        await no_open_jobs(bot)
    assert replies_to(fake_discord, grid)[0].content.startswith("**Upscale 1**")
    submits = [r.route for r in fake_mj.upstream.requests if "/submit/" in r.route]
    assert submits == ["POST /mj/submit/imagine", "POST /mj/submit/action"], "each job reached the API once"

    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT action, status, user_id FROM jobs ORDER BY id")
    finally:
        await connection.close()
    assert [(r["action"], r["status"], r["user_id"]) for r in rows] == [
        ("IMAGINE", "DONE", user),
        ("U1", "DONE", user),
    ]
    assert not await asyncio.to_thread(sqlite_file.exists), "DATABASE_URL set: no SQLite file is made"
