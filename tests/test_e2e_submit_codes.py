"""Every submit answer and a FAILURE, as the user sees them in Discord."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import MJBot
from bot.config import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.harness import running_bot
from tests.test_e2e_imagine import has_image, imagine

SUBMIT = "POST /mj/submit/imagine"


@pytest.fixture
def fake_mj(fake_spec: FakeMJ) -> FakeMJ:
    """The spec's plain contract: every test here talks to its direct proxy."""
    return fake_spec


async def test_code_21_follows_the_existing_task(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("erin")
    first = await imagine(fake_discord, user, "a windmill")
    await fake_discord.wait_for(lambda: len(fake_mj.tasks) == 1)
    second = await imagine(fake_discord, user, "a windmill [code21]")
    await fake_discord.wait_for(lambda: has_image(first) and has_image(second), timeout=20)
    assert len(fake_mj.tasks) == 1, "code 21 points at the task that already exists"
    assert first.attachments[0].data == second.attachments[0].data


async def test_code_22_shows_the_queue_position_then_delivers(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.queue_delay = 2.0
    user = fake_discord.add_user("finn")
    message = await imagine(fake_discord, user, "a bridge [code22]")
    await fake_discord.wait_for(lambda: "5 jobs ahead of you" in message.content, timeout=10)
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)


async def test_code_23_retries_then_gives_up_plainly(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    async with running_bot(replace(settings, queue_full_retry_for=0.5), fake_discord):
        user = fake_discord.add_user("gus")
        message = await imagine(fake_discord, user, "a castle [code23]")
        await fake_discord.wait_for(lambda: "giving up" in message.content, timeout=20)
    assert "queue is full" in message.content
    assert not fake_mj.tasks


async def test_code_24_names_the_banned_word(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("hana")
    message = await imagine(fake_discord, user, "a scene [code24:gore]")
    await fake_discord.wait_for(lambda: "rejected" in message.content, timeout=10)
    assert "banned word: **gore**" in message.content
    assert fake_mj.count("GET /mj/task/{id}/fetch") == 0, "a rejected job has no task to poll"


async def test_failure_shows_fail_reason_verbatim(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("ivan")
    message = await imagine(fake_discord, user, "a storm [fail:Upstream GPU exploded (code 7)]")
    await fake_discord.wait_for(lambda: "Failed" in message.content, timeout=20)
    assert message.content.endswith("❌ Failed: Upstream GPU exploded (code 7)")
    assert not message.components and not message.attachments


async def test_wrong_api_key_is_explained_without_the_key(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    async with running_bot(replace(settings, mj_api_key="wrong-secret-key"), fake_discord):
        user = fake_discord.add_user("jay")
        message = await imagine(fake_discord, user, "a mountain")
        await fake_discord.wait_for(lambda: "Failed" in message.content, timeout=10)
    assert "API key is wrong" in message.content
    assert all("wrong-secret-key" not in m.content for m in fake_discord.messages.values())


async def test_a_refused_request_fails_in_the_users_language_and_is_not_charged(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.fail_next(SUBMIT, "400")
    user = fake_discord.add_user("lin")
    command = await fake_discord.invoke("imagine", {"prompt": "一只猫"}, user_id=user, locale="zh-CN")
    await fake_discord.wait_for(lambda: command.message_id is not None)
    message = fake_discord.messages[command.message_id or 0]
    await fake_discord.wait_for(lambda: "API 拒绝了此任务" in message.content, timeout=20)
    assert "400" in message.content, "the API's own answer is kept for the operator"
    assert fake_mj.count(SUBMIT) == 1, "a refused request is not retried"
    [job] = await bot.store.user_jobs(user, limit=1)
    assert not job.status.is_charged
