"""Results by direct message keep the server's rules, and closed DMs never cost a job or loop forever."""

from __future__ import annotations

from bot.__main__ import open_database
from bot.app import MJBot
from bot.config import Settings
from bot.models import Defaults, JobStatus, NewJob, Reason, ReasonCode
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.mj_api import FakeMJ
from tests.harness import running_bot
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image
from tests.test_e2e_modals import button_id
from tests.test_e2e_resilience import imagine_then_lose_the_channel

IMAGINE = "POST /mj/submit/imagine"
UPDATE_MESSAGE = 7  # the click was taken: its buttons are updated


def dm_messages(fake_discord: FakeDiscord, user: int) -> list[FakeMessage]:
    return [
        m
        for m in fake_discord.messages.values()
        if fake_discord.channels.get(m.channel_id, {}).get("recipient") == user
    ]


async def test_closed_dms_refuse_the_job_before_anything_is_paid(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("dora")
    await bot.store.set_defaults("user", user, Defaults(dm=True))
    fake_discord.closed_dms.add(user)
    command = await fake_discord.invoke("imagine", {"prompt": "a quiet harbour"}, user_id=user)
    await fake_discord.wait_for(lambda: bool(command.followups))
    assert "can't send you direct messages" in fake_discord.messages[command.followups[0]].content
    [job] = await bot.store.user_jobs(user, limit=5)
    assert job.status is JobStatus.CANCELLED, "a cancelled job is not charged"
    assert fake_mj.count(IMAGINE) == 0


async def test_edit_prompt_in_a_dm_keeps_the_servers_rules(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("edie")
    await bot.store.set_defaults("user", user, Defaults(dm=True))
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1))
    await fake_discord.invoke("imagine", {"prompt": "a gore scene [code24:gore]"}, user_id=user)

    def rejected() -> FakeMessage | None:
        return next((m for m in dm_messages(fake_discord, user) if "Edit prompt" in str(m.components)), None)

    await fake_discord.wait_for(lambda: rejected() is not None, timeout=20)
    message = rejected()
    assert message is not None
    edits = []
    for text in ("a calm scene", "a calmer scene"):
        click = await fake_discord.click(message.id, button_id(message, "Edit prompt"), user_id=user)
        await fake_discord.wait_for(lambda c=click: c.modal is not None)  # type: ignore[misc]
        edits.append(await fake_discord.submit_modal(click, {"text": text}))
        await fake_discord.wait_for(lambda: bool(edits[-1].callbacks), timeout=10)

    new = fake_discord.messages[edits[0].message_id or 0]
    assert new.channel_id == message.channel_id, "the resubmitted job stays in the DM"
    await fake_discord.wait_for(lambda: has_image(new), timeout=20)
    assert "today's limit of 1 jobs" in ephemeral_text(edits[1]), "the server's quota counts DM edits"
    jobs = await bot.store.user_jobs(user, limit=5)
    assert {j.guild_id for j in jobs} == {fake_discord.guild_id}
    assert fake_mj.count(IMAGINE) == 2


async def test_a_result_nobody_can_receive_is_kept_for_show(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    fake_mj.default_duration = 1.5
    user = fake_discord.add_user("ivo")
    await imagine_then_lose_the_channel(fake_discord, user, "a lost kite")
    fake_discord.closed_dms.add(user)

    await fake_discord.wait_for(lambda: bot.writer.stats.undeliverable == 1, timeout=20)
    [job] = await bot.store.user_jobs(user, limit=1)
    assert job.status is JobStatus.DONE
    assert job.reason == Reason.of(ReasonCode.UNDELIVERED, job=job.id)
    assert bot.writer.stats.failed == 0, "a result nobody can receive is not retried forever"

    shown = await fake_discord.invoke("show", {"job": job.id}, user_id=user)
    await fake_discord.wait_for(
        lambda: any(has_image(fake_discord.messages[m]) for m in shown.followups), timeout=20
    )


async def test_clicks_in_a_dm_use_the_members_roles(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    vip = await fake_discord.create_role("vip")
    user = fake_discord.add_user("vic", roles=(vip,))
    await bot.store.set_defaults("user", user, Defaults(dm=True))
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1, role_quotas=((vip, 5),)))
    await fake_discord.invoke("imagine", {"prompt": "a red fox"}, user_id=user)

    def grid() -> FakeMessage | None:
        return next((m for m in dm_messages(fake_discord, user) if has_image(m)), None)

    await fake_discord.wait_for(lambda: grid() is not None, timeout=20)
    result = grid()
    assert result is not None
    click = await fake_discord.click(result.id, result.custom_ids()[0], user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks), timeout=10)
    assert click.callbacks[0][0] == UPDATE_MESSAGE, "the vip role's quota of 5 applies in the DM too"
    assert fake_discord.member_fetches >= 1
    await fake_discord.wait_for(
        lambda: sum(has_image(m) for m in dm_messages(fake_discord, user)) == 2, timeout=20
    )


async def test_a_dm_job_cut_off_before_its_dm_was_tried_is_refunded_not_submitted(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("cut")
    store = await open_database(settings)  # a kill left rows, no messages
    where = {"user_id": user, "guild_id": fake_discord.guild_id, "channel_id": fake_discord.channel_id}
    unchecked = await store.create_job(NewJob(prompt="a lost letter", dm=True, **where))  # type: ignore[arg-type]
    await store.create_job(NewJob(prompt="a kept letter", **where))  # type: ignore[arg-type]
    await store.close()
    async with running_bot(settings, fake_discord) as bot:
        await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 1, timeout=20)
        job = await bot.store.get_job(unchecked.id)
        assert job is not None and job.status is JobStatus.CANCELLED
    assert [r.json["prompt"] for r in fake_mj.requests if r.route == IMAGINE] == ["a kept letter"]
