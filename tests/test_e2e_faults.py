"""No single fault stops the bot: a locked database, a task nobody can read, a loop that dies.

The faults are real: another connection holds SQLite's write lock, the relay answers errors.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import MJBot
from bot.components import BotItem, IdFormat
from bot.config import Settings
from bot.i18n import t
from bot.models import JobStatus, Reason, ReasonCode
from bot.tasks import TaskRegistry
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.harness import make_settings, running_bot
from tests.postgres import WHOLE_SUITE
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, imagine
from tests.test_e2e_modals import MODAL, button_id, upscaled
from tests.test_e2e_resilience import imagine_then_lose_the_channel

BATCH = "POST /mj/task/list-by-condition"
FETCH = "GET /mj/task/{id}/fetch"


@pytest.mark.skipif(WHOLE_SUITE, reason="SQLite's write lock held by another process: SQLite only")
@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-task"])
async def test_a_locked_database_does_not_stop_polling(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay, batch: bool
) -> None:
    """While another process holds SQLite's write lock, saving progress fails; polling carries on."""
    fake_mj.set_duration("IMAGINE", 4.0)
    fake_mj.batch_enabled = batch  # without it, new-api answers its web page: the bot polls task by task
    async with running_bot(settings, fake_discord) as bot:
        user = fake_discord.add_user("lock")
        message = await imagine(fake_discord, user, "a patient heron")
        await fake_discord.wait_for(lambda: "%" in message.content, timeout=20)
        other = sqlite3.connect(settings.database_path, timeout=1)
        other.execute("BEGIN EXCLUSIVE")
        polls = BATCH if batch else FETCH
        locked_polls = fake_mj.count(polls)
        await fake_discord.wait_for(lambda: fake_mj.count(polls) > locked_polls + 3, timeout=30)
        other.rollback()
        other.close()
        await fake_discord.wait_for(lambda: has_image(message), timeout=30)
        assert bot.registry.restarts == {}, "the loops carried on by themselves"


async def test_a_task_nobody_can_read_gets_stuck_at_its_deadline_and_frees_its_slot(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    async with running_bot(replace(settings, deadline_fast=1.5), fake_discord) as bot:
        user = fake_discord.add_user("lost")
        message = await imagine(fake_discord, user, "an unreadable moth [hold]")
        await fake_discord.wait_for(lambda: fake_mj.count(BATCH) > 0, timeout=20)
        fake_mj.fail_next(BATCH, "500", times=1000)
        await fake_discord.wait_for(lambda: "seems stuck" in message.content, timeout=20)
        [job] = await bot.store.user_jobs(user, limit=1)
        assert job.status is JobStatus.STUCK
        assert bot.engine.slots.running(user) == 0, "a stuck job no longer holds the user's next jobs"
        fake_mj.heal(BATCH)
        fake_mj.release(next(iter(fake_mj.tasks)))
        await fake_discord.wait_for(lambda: has_image(message), timeout=30)


async def test_a_loop_that_dies_is_logged_and_started_again() -> None:
    registry = TaskRegistry()
    rounds: list[int] = []
    third = asyncio.Event()

    async def flaky() -> None:
        rounds.append(len(rounds))
        if len(rounds) < 3:
            raise RuntimeError("a bug in one round")
        third.set()
        await asyncio.Event().wait()

    registry.keep_running(flaky, name="flaky")
    async with asyncio.timeout(10):
        await third.wait()
    assert registry.restarts == {"flaky": 2}
    await registry.close()


async def test_a_dm_fallback_fits_the_image_to_a_dms_limit(tmp_path: Path, fake_mj: FakeRelay) -> None:
    """A boosted server takes 25 MiB; when the channel is gone, the result goes by DM, which takes 10."""
    boosted = FakeDiscord(upload_limit=25 * 1024 * 1024)
    await boosted.start()
    try:
        fake_mj.image_size = (2300, 2300)
        fake_mj.big_images = True  # noise: about 15 MiB as PNG
        async with running_bot(make_settings(tmp_path / "db.sqlite3", fake_mj, boosted), boosted):
            user = boosted.add_user("big")
            await imagine_then_lose_the_channel(boosted, user, "a huge mural")
            await boosted.wait_for(lambda: any(has_image(m) for m in boosted.dm_messages(user)), timeout=60)
            [result] = [m for m in boosted.dm_messages(user) if has_image(m)]
            assert result.attachments[0].size <= 10 * 1024 * 1024
    finally:
        await boosted.close()
    assert boosted.violations == []


async def test_a_refused_final_write_ends_the_job_without_looping(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    """Discord refuses the result (400): one try, the job stays DONE for /show, and no download loop."""
    user = fake_discord.add_user("ref")
    message = await imagine(fake_discord, user, "a refused fresco [hold]")
    await fake_discord.wait_for(lambda: bool(fake_mj.tasks), timeout=20)
    fake_discord.write_refusals[message.channel_id] = 400
    fake_mj.release(next(iter(fake_mj.tasks)))
    await fake_discord.wait_for(lambda: bot.writer.stats.undeliverable == 1, timeout=30)
    [job] = await bot.store.user_jobs(user, limit=1)
    assert job.status is JobStatus.DONE and job.reason == Reason.of(ReasonCode.UNDELIVERED, job=job.id)
    assert fake_mj.count("GET /mj/image/{id}") == 1, "downloaded once, not again and again"


class Broken(BotItem[discord.ui.Button[Any]], template=r"test:broken"):
    """A button whose handler has a bug: the one error handler must answer for it."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(custom_id="test:broken", label="Broken"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Broken:
        return cls()

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        raise ZeroDivisionError("a bug in a click handler")


async def test_a_bug_in_a_click_or_a_window_shows_a_short_apology(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    bot.add_dynamic_items(Broken)
    channel = bot.get_partial_messageable(fake_discord.channel_id, guild_id=fake_discord.guild_id)
    sent = await channel.send("a test message", view=discord.ui.View(timeout=None).add_item(Broken()))
    user = fake_discord.add_user("bug")
    click = await fake_discord.click(sent.id, "test:broken", user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert ephemeral_text(click) == t("en-US", "error.generic")

    async def broken_window(interaction: discord.Interaction[Any], match: re.Match[str], text: str) -> None:
        raise ZeroDivisionError("a bug in a window handler")

    bot.windows.add(IdFormat("test:window:{id}"), broken_window)
    window = await fake_discord.submit_stale_modal("test:window:1", {"text": "x"}, user_id=user)
    await fake_discord.wait_for(lambda: bool(window.callbacks))
    assert ephemeral_text(window) == t("en-US", "error.generic")


async def test_a_window_prompt_is_never_sent_twice_across_a_restart(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    """new-api's fetch keeps answering the window's row (MODAL) after the prompt went: after a restart,
    the job must not take that for a window still waiting, and must not send its prompt again."""
    fake_mj.batch_enabled = False  # fetch answers from the window's row, which new-api leaves MODAL
    async with running_bot(replace(settings, deadline_fast=2.0), fake_discord):
        user = fake_discord.add_user("twice")
        upscale = await upscaled(fake_discord, user, "a narrow street")
        click = await fake_discord.click(upscale.id, button_id(upscale, "Custom Zoom"), user_id=user)
        await fake_discord.wait_for(lambda: click.modal is not None)
        await fake_discord.submit_modal(click, {"text": "a narrow street --zoom 1.5"})
        await fake_discord.wait_for(lambda: fake_mj.count(MODAL) == 1, timeout=20)
    async with running_bot(settings, fake_discord) as bot:
        await fake_discord.wait_for(lambda: fake_mj.count(FETCH) > 3, timeout=20)
        [zoom] = [
            job
            for job in await bot.store.user_jobs(user, limit=5)
            if job.custom_id and "CustomZoom" in job.custom_id
        ]
        assert zoom.status is not JobStatus.WAITING_INPUT, "not asked for its prompt again"
    assert fake_mj.count(MODAL) == 1, "the prompt went once"
