"""The engine's scale behaviour: coalesced edits, results before progress, batch polling and its fallback."""

from __future__ import annotations

from dataclasses import replace

from bot.app import MJBot
from bot.config import Settings
from bot.jobs.timing import BATCH_GAP
from bot.models import JobStatus, NewJob, Reason, ReasonCode
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.harness import FAST_TIMING, running_bot
from tests.test_e2e_imagine import has_image, imagine

BATCH = "POST /mj/task/list-by-condition"
FETCH = "GET /mj/task/{id}/fetch"


async def test_progress_edits_are_coalesced(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    fake_mj.default_duration = 6.0  # progress moves every 0.6 s; the bot polls every 0.2 s
    user = fake_discord.add_user("cora")
    message = await imagine(fake_discord, user, "a busy timelapse")
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    progress_states = len({t for t in message.history if "%" in t})
    assert message.edit_count <= 6.5 / 1.5 + 2, message.history
    assert progress_states < 10, "progress changed ten times; the user saw fewer edits"


async def test_results_go_before_queued_progress(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    """Many progress messages wait for one channel's budget; a finished job's result jumps the queue."""
    user = fake_discord.add_user("dale")
    channel = fake_discord.channel_id
    jobs = [
        await bot.store.create_job(
            NewJob(user_id=user, guild_id=fake_discord.guild_id, channel_id=channel, prompt=f"p{i}")
        )
        for i in range(8)
    ]
    failed = await bot.store.set_status(
        jobs[-1].id, JobStatus.FAILED, reason=Reason.of(ReasonCode.TASK_FAILED, text="the final word")
    )
    assert failed is not None
    for job in jobs:  # no await from here on: the writer sees all of these at once
        bot.writer.show(job)
    bot.writer.finish(failed)
    await fake_discord.wait_for(lambda: len(fake_discord.channel_messages(channel)) == 8, timeout=30)
    order = [m.content for m in sorted(fake_discord.channel_messages(channel), key=lambda m: m.id)]
    final_position = next(i for i, text in enumerate(order) if "the final word" in text)
    assert final_position == 0, order
    assert fake_discord.rate_limited == 0


async def test_batch_polling_stays_under_two_requests_a_second(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.default_duration = 3.0
    timing = replace(FAST_TIMING, batch_poll=0.2, batch_gap=BATCH_GAP)  # production's least gap: 0.5 s
    async with running_bot(settings, fake_discord, timing) as bot:
        assert bot.engine.poller.batch
        user = fake_discord.add_user("eli")
        messages = [await imagine(fake_discord, user, f"crowd {i}") for i in range(20)]
        await fake_discord.wait_for(lambda: all(has_image(m) for m in messages), timeout=40)
    batches = [r.at for r in fake_mj.requests if r.route == BATCH]
    span = batches[-1] - batches[0]
    assert len(batches) <= span / BATCH_GAP + 2
    assert fake_mj.count(FETCH) == 0


async def test_batch_route_disappearing_falls_back_to_per_task(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.default_duration = 2.0
    assert bot.engine.poller.batch
    user = fake_discord.add_user("fay")
    message = await imagine(fake_discord, user, "a changing relay")
    await fake_discord.wait_for(lambda: fake_mj.count(BATCH) >= 2)
    fake_mj.batch_enabled = False
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    assert not bot.engine.poller.batch
    assert fake_mj.count(FETCH) >= 1


async def test_a_relay_without_batch_is_polled_per_task(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.batch_enabled = False
    async with running_bot(settings, fake_discord) as bot:
        assert not bot.engine.poller.batch
        user = fake_discord.add_user("gil")
        message = await imagine(fake_discord, user, "a plain relay")
        await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    assert fake_mj.count(BATCH) == 1, "probed once, at start"


async def test_a_malformed_batch_answer_falls_back(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.fail_next(BATCH, "missing_fields")  # answers {} where a list belongs
    async with running_bot(settings, fake_discord) as bot:
        assert not bot.engine.poller.batch
        user = fake_discord.add_user("hal")
        message = await imagine(fake_discord, user, "an odd relay")
        await fake_discord.wait_for(lambda: has_image(message), timeout=20)
