"""Permutation prompts (`a {red, blue} car`): the user confirms the count, quotas count every job, and each
expansion is a job of its own, as Midjourney runs them."""

from __future__ import annotations

from bot.app import MJBot
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.mj_api import FakeMJ
from tests.harness import submits_settled
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image

IMAGINE = "POST /mj/submit/imagine"
UPDATE_MESSAGE = 7


async def question(fake_discord: FakeDiscord, user: int, prompt: str) -> FakeMessage:
    """The private question a permutation prompt is answered with."""
    command = await fake_discord.invoke("imagine", {"prompt": prompt}, user_id=user)
    await fake_discord.wait_for(lambda: command.message_id is not None)
    assert command.ephemeral, "the question is private"
    assert command.message_id is not None
    return fake_discord.messages[command.message_id]


def button(message: FakeMessage, label: str) -> str:
    return next(b["custom_id"] for b in message.buttons() if b.get("label") == label)


async def test_a_permutation_prompt_asks_first_then_starts_one_job_each(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("perry")
    asked = await question(fake_discord, user, "a {red, blue} car --ar {1:1, 16:9}")
    assert asked.content.startswith("This prompt starts **4 jobs**, each charged like an /imagine:")
    for prompt in (
        "a red car --ar 1:1",
        "a red car --ar 16:9",
        "a blue car --ar 1:1",
        "a blue car --ar 16:9",
    ):
        assert f"`{prompt}`" in asked.content
    await submits_settled(bot)
    assert fake_mj.count(IMAGINE) == 0 and await bot.store.count_user_jobs(user) == 0, "nothing before yes"

    start = await fake_discord.click(asked.id, button(asked, "Start 4 jobs"), user_id=user)
    await fake_discord.wait_for(lambda: bool(start.callbacks))
    assert start.callbacks[0][0] == UPDATE_MESSAGE
    assert asked.content.startswith("Started 4 jobs: #") and not asked.components
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 4, timeout=20)
    expected = ["a red car --ar 1:1", "a red car --ar 16:9", "a blue car --ar 1:1", "a blue car --ar 16:9"]
    assert sorted(r.json["prompt"] for r in fake_mj.requests if r.route == IMAGINE) == sorted(expected)

    def results() -> list[FakeMessage]:
        return [m for m in fake_discord.channel_messages(fake_discord.channel_id) if has_image(m)]

    await fake_discord.wait_for(lambda: len(results()) == 4, timeout=30)


async def test_every_job_of_a_permutation_counts_against_the_quota(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("quinn")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=3))
    command = await fake_discord.invoke(
        "imagine", {"prompt": "a {red, blue, green, gold} kite"}, user_id=user
    )
    await fake_discord.wait_for(lambda: bool(command.callbacks))
    assert ephemeral_text(command).startswith("This prompt starts 4 jobs, but you have 3 left today.")

    asked = await question(fake_discord, user, "a {red, blue} kite")
    cancel = await fake_discord.click(asked.id, button(asked, "Cancel"), user_id=user)
    await fake_discord.wait_for(lambda: bool(cancel.callbacks))
    assert asked.content == "Cancelled: nothing was submitted."
    await submits_settled(bot)
    assert fake_mj.count(IMAGINE) == 0 and await bot.store.count_user_jobs(user) == 0

    asked = await question(fake_discord, user, "a {red, blue} kite")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1))  # lowered while they think
    start = await fake_discord.click(asked.id, button(asked, "Start 2 jobs"), user_id=user)
    await fake_discord.wait_for(lambda: bool(start.callbacks))
    assert asked.content.startswith("This prompt starts 2 jobs, but you have 1 left today.")
    await submits_settled(bot)
    assert fake_mj.count(IMAGINE) == 0, "the rules are checked again when the user says yes"
