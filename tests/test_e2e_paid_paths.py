"""Every paid path keeps every rule, for the place where it happens: clicks in DMs, Retry, prompt windows.

Each refusal costs nothing: no new job row, and no request to the MJ API.
"""

from __future__ import annotations

from dataclasses import replace

from bot.app import MJBot
from bot.config import Settings
from bot.models import Defaults, JobStatus
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.mj_api import FakeMJ
from tests.harness import running_bot, submits_settled
from tests.test_e2e_admin import SUBMITS, submits
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_direct_messages import dm_messages
from tests.test_e2e_imagine import has_image, imagine
from tests.test_e2e_modals import send_prompt, waiting_for_prompt

IMAGINE = "POST /mj/submit/imagine"


async def dm_result(bot: MJBot, fake_discord: FakeDiscord, user: int, prompt: str) -> FakeMessage:
    """A finished grid delivered by direct message (the user's default)."""
    await bot.store.set_defaults("user", user, Defaults(dm=True))
    await fake_discord.invoke("imagine", {"prompt": prompt}, user_id=user)

    def grid() -> FakeMessage | None:
        return next((m for m in dm_messages(fake_discord, user) if has_image(m)), None)

    await fake_discord.wait_for(lambda: grid() is not None, timeout=20)
    result = grid()
    assert result is not None
    return result


async def refused_click(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ, message: FakeMessage, user: int
) -> str:
    """Click a result's button; the click must be refused privately, writing no job and sending nothing."""
    await submits_settled(bot)
    jobs, sent = await bot.store.count_user_jobs(user), submits(fake_mj)
    click = await fake_discord.click(message.id, message.custom_ids()[0], user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks), timeout=10)
    await submits_settled(bot)
    assert await bot.store.count_user_jobs(user) == jobs and submits(fake_mj) == sent
    return ephemeral_text(click)


async def test_a_dm_click_for_a_server_no_longer_allowed_spends_nothing(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("ada")
    async with running_bot(settings, fake_discord) as bot:
        result = await dm_result(bot, fake_discord, user, "a lighthouse")
    other = fake_discord.add_guild()
    async with running_bot(replace(settings, allowed_guild_ids=frozenset({other})), fake_discord) as bot:
        await fake_discord.wait_for(lambda: fake_discord.guild_id in fake_discord.left_guilds)
        text = await refused_click(bot, fake_discord, fake_mj, result, user)
    assert text == "This bot is not enabled for this server."


async def test_a_member_who_left_spends_nothing_from_a_dm(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("bo")
    result = await dm_result(bot, fake_discord, user, "a harbour")
    fake_discord.departed.add(user)
    text = await refused_click(bot, fake_discord, fake_mj, result, user)
    assert text.startswith("You are no longer a member of the server this job belongs to")


async def test_roles_that_cannot_be_read_refuse_rather_than_guess(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    """The guild's plain rules would allow the click; unknown roles must still refuse (fail closed)."""
    user = fake_discord.add_user("cy")
    result = await dm_result(bot, fake_discord, user, "a canyon")
    fake_discord.member_fetch_status = 500
    text = await refused_click(bot, fake_discord, fake_mj, result, user)
    assert "Try again in a moment" in text
    fake_discord.member_fetch_status = None
    click = await fake_discord.click(result.id, result.custom_ids()[0], user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks), timeout=10)
    assert click.callbacks[0][0] == 7, "once Discord answers, the click goes through"


async def test_retry_passes_the_quota_as_it_stands_now(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("di")
    fake_mj.fail_next(IMAGINE, "500")  # the answer is lost: the bot cannot know if the API took it
    message = await imagine(fake_discord, user, "an uncertain owl")
    await fake_discord.wait_for(lambda: "Retry" in str(message.components), timeout=20)
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1))
    retry = next(b["custom_id"] for b in message.buttons() if b.get("label") == "Retry")
    sent = submits(fake_mj)
    click = await fake_discord.click(message.id, retry, user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks), timeout=10)
    assert ephemeral_text(click).startswith("You've reached today's limit of 1 jobs")
    await submits_settled(bot)
    assert submits(fake_mj) == sent, "a retry the quota has no room for is not sent"
    [job] = await bot.store.user_jobs(user, limit=1)
    assert job.status is JobStatus.UNCERTAIN, "it can still be retried later"

    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=2))
    again = await fake_discord.click(message.id, retry, user_id=user)
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)
    assert again.callbacks[0][0] == 6, "acknowledged: the message itself shows the retry"


async def test_a_prompt_window_keeps_the_channel_rules_as_they_stand_now(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("eli")
    variation = await waiting_for_prompt(fake_discord, user, "a tidy desk [remix]", "V2")
    elsewhere = fake_discord.add_channel("art-only")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(channel_ids=frozenset({elsewhere})))
    sent = sum(fake_mj.count(route) for route in SUBMITS)
    await send_prompt(fake_discord, variation, user, "a tidier desk")
    await submits_settled(bot)
    assert sum(fake_mj.count(route) for route in SUBMITS) == sent, "the window's prompt was not sent"
    [job] = [j for j in await bot.store.user_jobs(user, limit=5) if j.is_action]
    assert job.status is JobStatus.WAITING_INPUT, "it still waits: the user can send it where allowed"


async def test_a_dm_result_reposted_in_a_channel_follows_that_channels_rules(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("fay")
    result = await dm_result(bot, fake_discord, user, "a quiet valley")
    [job] = await bot.store.user_jobs(user, limit=1)
    art = fake_discord.add_channel("art")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(channel_ids=frozenset({art})))
    shown = await fake_discord.invoke("show", {"job": job.id}, user_id=user)  # in #general
    await fake_discord.wait_for(lambda: bool(shown.followups), timeout=20)
    repost = fake_discord.messages[shown.followups[0]]
    assert repost.channel_id == fake_discord.channel_id and repost.custom_ids() == result.custom_ids()
    text = await refused_click(bot, fake_discord, fake_mj, repost, user)
    assert text.startswith("The bot can't be used in this channel."), "no DM exemption in a public channel"
