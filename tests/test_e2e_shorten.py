"""/shorten through the real discord.py client, the fake Discord and new-api in front of trueai: the
token analysis and the candidates are shown, a candidate's button imagines it, and refusals send nothing."""

from __future__ import annotations

from discord.utils import escape_markdown, escape_mentions

from bot.app import MJBot
from bot.mj.prompt_lines import shortened
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.fakes.mj.trueai_tasks import shorten_result
from tests.harness import submits_settled
from tests.test_e2e_describe import IMAGINE, answered, finished, upstream_bodies
from tests.test_e2e_imagine import labels

SHORTEN = "POST /mj/submit/shorten"
PROMPT = "Please create a whimsical majestic tower of donuts with colorful sprinkles --ar 2:3"


async def test_shorten_shows_the_analysis_and_a_candidate_imagines_it(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("ada")
    started = await fake_discord.invoke("shorten", {"prompt": PROMPT}, user_id=user)
    _, result = await finished(bot, fake_discord, user, "SHORTEN")
    assert started.ack_latency is not None and started.ack_latency < 3.0
    assert upstream_bodies(fake_mj, SHORTEN) == [{"prompt": PROMPT}]

    expected = shortened(shorten_result(PROMPT))
    assert len(expected.candidates) == 5
    lines = result.content.split("\n")
    assert lines[0] == f"✂️ **Shorten** *{escape_markdown(PROMPT)}* — <@{user}>"
    assert lines[1] == "**Important tokens**"
    assert "**whimsical**" in lines[2] and "~~Please~~" in lines[2], "MJ's marks are kept"
    assert lines[3] == "**Shortened prompts**"
    shown = [f"{n}. {escape_mentions(escape_markdown(c))}" for n, c in enumerate(expected.candidates, 1)]
    assert lines[4:9] == shown
    assert lines[-1] == "✅ Done"
    assert not result.attachments, "a shorten has no image"
    assert labels(result) == [["1", "2", "3", "4", "5"]], "Show Details is not offered"

    await fake_discord.click(result.id, result.custom_ids()[1], user_id=user)
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 1)
    assert upstream_bodies(fake_mj, IMAGINE)[0]["prompt"] == expected.candidates[1]


async def test_an_empty_prompt_or_no_quota_sends_nothing(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("bo")
    empty = await fake_discord.invoke("shorten", {"prompt": "   "}, user_id=user)
    assert await answered(fake_discord, empty) == "The prompt is empty: give the prompt to shorten."
    assert await bot.store.count_user_jobs(user) == 0

    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1))
    await fake_discord.invoke("shorten", {"prompt": "a red fox in the snow"}, user_id=user)
    _, result = await finished(bot, fake_discord, user, "SHORTEN")
    again = await fake_discord.invoke("shorten", {"prompt": "a blue fox"}, user_id=user)
    click = await fake_discord.click(result.id, result.custom_ids()[0], user_id=user)
    for refused in (again, click):
        assert (await answered(fake_discord, refused)).startswith("You've reached today's limit of 1 jobs")
    await submits_settled(bot)
    assert await bot.store.count_user_jobs(user) == 1
    assert fake_mj.count(SHORTEN) == 1 and fake_mj.count(IMAGINE) == 0


async def test_the_commands_read_in_chinese(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    commands = {c["name"]: c for c in fake_discord.commands(fake_discord.guild_id)}
    assert commands["describe"]["name_localizations"]["zh-CN"] == "描述"
    assert commands["shorten"]["name_localizations"]["zh-CN"] == "缩短"
    user = fake_discord.add_user("li")
    both = await fake_discord.invoke("describe", {}, user_id=user, locale="zh-CN")
    assert await answered(fake_discord, both) == "请附上一张图片，或给出图片链接。"
    assert fake_mj.count("POST /mj/submit/describe") == 0
