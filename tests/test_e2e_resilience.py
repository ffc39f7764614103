"""Never lose a job: expired tokens, a flaky API, stuck jobs, a full queue, deleted messages and channels,
missing permissions, stale buttons and oversized images — each through the real client and both fakes."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import MJBot
from bot.config import Settings
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.discord.server import ALL_TEXT_PERMISSIONS, ATTACH_FILES, SEND_MESSAGES_IN_THREADS
from tests.fakes.mj_api import FakeMJ
from tests.harness import FAST_TIMING, make_settings, running_bot
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, imagine, replies_to

FETCH = "GET /mj/task/{id}/fetch"
BATCH = "POST /mj/task/list-by-condition"
IMAGE = "GET /mj/image/{id}"
SUBMIT = "POST /mj/submit/imagine"


@pytest.fixture
async def short_token_discord() -> AsyncIterator[FakeDiscord]:
    discord = FakeDiscord(token_lifetime=1.0)
    await discord.start()
    yield discord
    await discord.close()
    assert discord.violations == []


async def test_jobs_outliving_the_token_never_use_it(
    tmp_path: Path, fake_mj: FakeMJ, short_token_discord: FakeDiscord
) -> None:
    fake_mj.default_duration = 3.0
    settings = make_settings(tmp_path / "db.sqlite3", fake_mj, short_token_discord)
    async with running_bot(settings, short_token_discord):
        user = short_token_discord.add_user("mia")
        grid = await imagine(short_token_discord, user, "a slow painting")
        await short_token_discord.wait_for(lambda: has_image(grid), timeout=20)
        click = await short_token_discord.click(grid.id, grid.custom_ids()[0], user_id=user)
        await short_token_discord.wait_for(
            lambda: any(has_image(m) for m in replies_to(short_token_discord, grid)), timeout=20
        )
    assert click.ack_latency is not None
    assert short_token_discord.expired_token_calls == 0
    assert not [r for r in short_token_discord.requests if r.path.startswith("/webhooks/")]


async def test_transient_api_faults_are_survived(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    faults = ["500", "garbage", "html", "missing_fields", "reset", "502"]
    for route in (FETCH, BATCH):
        for kind in faults:
            fake_mj.fail_next(route, kind)
    fake_mj.fail_next(IMAGE, "500")
    fake_mj.fail_next(IMAGE, "reset")
    user = fake_discord.add_user("nia")
    message = await imagine(fake_discord, user, "a harbour in fog")
    await fake_discord.wait_for(lambda: has_image(message), timeout=30)
    failed = [r for r in fake_mj.requests if r.status >= 500 or r.status == 0]
    print(
        f"\nFIGURES injected_failures_survived={len(fake_mj.faults_served)} (of which 5xx/reset {len(failed)})"
    )
    assert len(fake_mj.faults_served) >= 8


async def test_submit_timeout_offers_retry_and_never_resubmits_alone(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.fail_next(SUBMIT, "hang")
    async with running_bot(settings, fake_discord, replace(FAST_TIMING, mj_timeout=0.5)):
        user = fake_discord.add_user("omar")
        message = await imagine(fake_discord, user, "a quiet street")
        await fake_discord.wait_for(lambda: "Retry" in str(message.components), timeout=10)
        assert "cannot tell whether it took the job" in message.content
        assert fake_mj.count(SUBMIT) == 1
        retry = await fake_discord.click(message.id, "mj:retry:1", user_id=user)
        await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    assert retry.callbacks[0][0] == 6
    assert fake_mj.count(SUBMIT) == 2


async def test_queue_full_is_retried_with_backoff_then_delivered(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.fail_next(SUBMIT, "queue_full", times=2)
    async with running_bot(settings, fake_discord, replace(FAST_TIMING, retry_base=2.0)):
        user = fake_discord.add_user("pia")
        message = await imagine(fake_discord, user, "a crowded market")
        await fake_discord.wait_for(lambda: has_image(message), timeout=30)
    busy = [text for text in message.history if "API is busy" in text]
    assert busy and re.search(r"\(attempt [23]\)", busy[0]), message.history
    assert fake_mj.count(SUBMIT) == 3


async def test_stuck_job_offers_check_again_and_is_not_forgotten(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    async with running_bot(replace(settings, deadline_fast=0.5), fake_discord):
        user = fake_discord.add_user("quin")
        message = await imagine(fake_discord, user, "a frozen lake [hold]")
        await fake_discord.wait_for(lambda: "seems stuck" in message.content, timeout=10)
        [check] = message.custom_ids()
        click = await fake_discord.click(message.id, check, user_id=user)
        await fake_discord.wait_for(lambda: bool(click.callbacks))
        assert "Asking the API" in ephemeral_text(click)
        fake_mj.release(next(iter(fake_mj.tasks)))
        await fake_discord.wait_for(lambda: has_image(message), timeout=20)


async def test_a_stuck_job_stops_holding_up_the_users_next_job(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    async with running_bot(replace(settings, deadline_fast=0.5), fake_discord) as bot:
        await bot.policies.set(fake_discord.guild_id, GuildPolicy(user_concurrency=1))
        user = fake_discord.add_user("stu")
        stuck = await imagine(fake_discord, user, "a frozen clock [hold]")
        queued = await imagine(fake_discord, user, "a thawed clock")
        await fake_discord.wait_for(lambda: "seems stuck" in stuck.content, timeout=10)
        await fake_discord.wait_for(lambda: has_image(queued), timeout=20)
        assert fake_mj.count(SUBMIT) == 2
        assert "seems stuck" in stuck.content, "the stuck job is still watched"


async def test_deleted_progress_message_is_posted_again(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.default_duration = 2.0
    user = fake_discord.add_user("rui")
    message = await imagine(fake_discord, user, "a paper boat")
    fake_discord.delete_message(message.id)
    channel = message.channel_id
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in fake_discord.channel_messages(channel)), timeout=20
    )
    [result] = fake_discord.channel_messages(channel)
    assert result.content.startswith(f"**a paper boat** — <@{user}>")


async def imagine_then_lose_the_channel(fake_discord: FakeDiscord, user: int, prompt: str) -> None:
    """Start a job in a new channel, which is deleted once the job's first message is there."""
    channel = fake_discord.add_channel("doomed")
    interaction = await fake_discord.invoke("imagine", {"prompt": prompt}, user_id=user, channel_id=channel)
    await fake_discord.wait_for(lambda: interaction.message_id is not None)
    fake_discord.delete_channel(channel)


async def test_deleted_channel_sends_the_result_by_dm(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.default_duration = 2.0
    user = fake_discord.add_user("sam")
    await imagine_then_lose_the_channel(fake_discord, user, "a comet")

    def dm_results() -> list[FakeMessage]:
        return [
            m
            for m in fake_discord.messages.values()
            if fake_discord.channels.get(m.channel_id, {}).get("type") == 1
        ]

    await fake_discord.wait_for(lambda: any(has_image(m) for m in dm_results()), timeout=20)
    assert "could not post this" in dm_results()[0].content


async def test_missing_permissions_are_named_before_anything_is_paid(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_discord.set_app_permissions(fake_discord.channel_id, ALL_TEXT_PERMISSIONS & ~ATTACH_FILES)
    user = fake_discord.add_user("tia")
    interaction = await fake_discord.invoke("imagine", {"prompt": "a kite"}, user_id=user)
    await fake_discord.wait_for(lambda: bool(interaction.callbacks))
    assert "Attach Files" in ephemeral_text(interaction)
    assert fake_mj.count(SUBMIT) == 0


async def test_threads_need_send_messages_in_threads_and_then_work(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    thread = fake_discord.add_thread(fake_discord.channel_id, "a forum post")
    user = fake_discord.add_user("thea")
    fake_discord.set_app_permissions(thread, ALL_TEXT_PERMISSIONS)  # Send Messages, but not in threads
    refused = await fake_discord.invoke("imagine", {"prompt": "a lantern"}, user_id=user, channel_id=thread)
    await fake_discord.wait_for(lambda: bool(refused.callbacks))
    assert "Send Messages in Threads" in ephemeral_text(refused)
    assert fake_mj.count(SUBMIT) == 0

    fake_discord.set_app_permissions(thread, ALL_TEXT_PERMISSIONS | SEND_MESSAGES_IN_THREADS)
    taken = await fake_discord.invoke("imagine", {"prompt": "a lantern"}, user_id=user, channel_id=thread)
    await fake_discord.wait_for(lambda: taken.message_id is not None)
    message = fake_discord.messages[taken.message_id or 0]
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    assert message.channel_id == thread


@pytest.mark.parametrize(
    ("custom_id", "answer"),
    [("mj:b:abc", "no longer supported"), ("mj:b:987654", "not known to this bot")],
    ids=["unparsable-id", "unknown-job"],
)
async def test_a_stale_or_mangled_button_is_explained(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ, custom_id: str, answer: str
) -> None:
    user = fake_discord.add_user("uma")
    old = FakeMessage(fake_discord.new_id(), fake_discord.channel_id, fake_discord.bot_user())
    old.components = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "U1", "custom_id": custom_id}]}
    ]
    fake_discord.messages[old.id] = old  # a message from an older version of the bot, or another database
    click = await fake_discord.click(old.id, custom_id, user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert answer in ephemeral_text(click)
    assert fake_mj.count("POST /mj/submit/action") == 0


async def test_oversized_image_is_reencoded_to_fit(tmp_path: Path, fake_mj: FakeMJ) -> None:
    discord = FakeDiscord(upload_limit=2 * 1024 * 1024)
    await discord.start()
    fake_mj.image_size = (1600, 1600)
    fake_mj.big_images = True
    try:
        async with running_bot(make_settings(tmp_path / "db.sqlite3", fake_mj, discord), discord) as bot:
            user = discord.add_user("wes")
            message = await imagine(discord, user, "static noise")
            started = time.monotonic()
            await discord.wait_for(lambda: has_image(message), timeout=60)
            [original] = fake_mj.images.values()
            attachment = message.attachments[0]
            print(
                f"\nFIGURES reencode {len(original)} -> {attachment.size} bytes in <= {time.monotonic() - started:.2f}s"
            )
            assert len(original) > 2 * 1024 * 1024 >= attachment.size
            assert attachment.filename.endswith(".jpg")
            await discord.wait_for(lambda: bot.writer.stats.reencoded == 1)
    finally:
        await discord.close()
    assert discord.violations == []
