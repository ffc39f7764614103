"""Clicks that must not cost money twice or at all, buttons across a restart, and command syncing."""

from __future__ import annotations

from bot.app import MJBot
from bot.config import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ
from tests.harness import running_bot
from tests.test_e2e_imagine import has_image, imagine, replies_to

ACTION = "POST /mj/submit/action"


def ephemeral_text(interaction: object) -> str:
    callbacks = interaction.callbacks  # type: ignore[attr-defined]
    assert callbacks, "the click got no answer"
    kind, body, _at = callbacks[0]
    assert kind == 4 and body["data"]["flags"] & 64, "expected an ephemeral answer"
    return str(body["data"]["content"])


async def test_click_from_another_user_is_refused(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = fake_discord.add_user("owner")
    stranger = fake_discord.add_user("stranger")
    grid = await imagine(fake_discord, owner, "a teapot")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    click = await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=stranger)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert f"Only <@{owner}> can use these buttons" in ephemeral_text(click)
    assert fake_mj.count(ACTION) == 0


async def test_double_click_submits_once(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("kim")
    grid = await imagine(fake_discord, user, "a lantern")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    u1 = grid.custom_ids()[0]
    first = await fake_discord.click(grid.id, u1, user_id=user)
    second = await fake_discord.click(grid.id, u1, user_id=user)
    await fake_discord.wait_for(lambda: bool(first.callbacks) and bool(second.callbacks))
    answers = sorted([first, second], key=lambda i: i.callbacks[0][0])
    assert answers[0].callbacks[0][0] == 4 and "already submitted" in ephemeral_text(answers[0])
    assert answers[1].callbacks[0][0] == 7
    await fake_discord.wait_for(lambda: fake_mj.count(ACTION) >= 1)
    assert fake_mj.count(ACTION) == 1


async def test_buttons_work_after_a_restart_and_commands_sync_once(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    async with running_bot(settings, fake_discord):
        user = fake_discord.add_user("lee")
        grid = await imagine(fake_discord, user, "a clock tower")
        await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    assert fake_discord.command_sync_count == 1

    async with running_bot(settings, fake_discord):
        click = await fake_discord.click(grid.id, grid.custom_ids()[3], user_id=user)
        await fake_discord.wait_for(lambda: bool(click.callbacks))
        assert click.callbacks[0][0] == 7
        await fake_discord.wait_for(
            lambda: any(has_image(m) for m in replies_to(fake_discord, grid)), timeout=20
        )
        assert replies_to(fake_discord, grid)[0].content.startswith("**Upscale 4**")
    assert fake_discord.command_sync_count == 1, "an unchanged command set is not synced again"
