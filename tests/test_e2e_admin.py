"""/admin through the real client, and the rules it sets as /imagine and clicks meet them.

Every refused submit is checked to cost nothing: no job row, and no request to the MJ API.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import MJBot
from bot.models import JobStatus
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.discord.server import ALL_TEXT_PERMISSIONS
from tests.fakes.mj_api import FakeMJ
from tests.harness import open_job, submits_settled
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, imagine, replies_to
from tests.test_e2e_settings import choose, open_settings

IMAGINE = "POST /mj/submit/imagine"
ACTION = "POST /mj/submit/action"
SUBMITS = (IMAGINE, ACTION, "POST /mj/submit/modal")
MANAGE_GUILD = 1 << 5
UPDATE_MESSAGE = 7
WHEN = re.compile(r"<t:(?P<at>[0-9]+):R>")


async def answered(discord: FakeDiscord, interaction: FakeInteraction) -> FakeInteraction:
    await discord.wait_for(lambda: bool(interaction.callbacks))
    return interaction


def add_admin(discord: FakeDiscord, name: str = "admin") -> int:
    return discord.add_user(name, permissions=ALL_TEXT_PERMISSIONS | MANAGE_GUILD)


async def admin(discord: FakeDiscord, user: int, subcommand: str, **options: object) -> FakeInteraction:
    return await answered(
        discord, await discord.invoke("admin", options, user_id=user, subcommand=subcommand)
    )


def shown_settings(interaction: FakeInteraction) -> dict[str, str]:
    """The settings embed an admin change answers with, privately, as {field: value}."""
    kind, body, _ = interaction.callbacks[0]
    data = body["data"]
    assert kind == 4 and data["flags"] & 64, "settings are shown privately"
    assert data["content"] == "Saved."
    [embed] = data["embeds"]
    assert embed["title"] == "Bot settings for this server"
    return {f["name"]: f["value"] for f in embed["fields"]}


async def deferred_embed(discord: FakeDiscord, interaction: FakeInteraction) -> dict[str, Any]:
    """The embed of a private answer that was deferred first (a "thinking…" message, then its follow-up)."""
    kind, body, _ = interaction.callbacks[0]
    assert kind == 5 and body["data"]["flags"] & 64, "deferred privately"
    await discord.wait_for(lambda: bool(interaction.followups))
    [embed] = discord.messages[interaction.followups[0]].embeds
    return dict(embed)


def private_embed(interaction: FakeInteraction) -> dict[str, Any]:
    kind, body, _ = interaction.callbacks[0]
    assert kind == 4 and body["data"]["flags"] & 64
    [embed] = body["data"]["embeds"]
    return dict(embed)


async def shown_policy(discord: FakeDiscord, owner: int) -> dict[str, str]:
    """/admin show's settings (it defers: the balance is asked of the API), without the balance line."""
    fields = embed_fields(await deferred_embed(discord, await admin(discord, owner, "show")))[1]
    assert fields.pop("MJ API balance").startswith("unlimited ($"), "the relay's token has no limit"
    return fields


def embed_fields(embed: dict[str, Any]) -> tuple[str, dict[str, str]]:
    return embed["title"], {f["name"]: f["value"] for f in embed.get("fields", [])}


def submits(mj: FakeMJ) -> int:
    return sum(mj.count(route) for route in SUBMITS)


async def refused(
    bot: MJBot, discord: FakeDiscord, mj: FakeMJ, user: int, start: Callable[[], Awaitable[FakeInteraction]]
) -> str:
    """The private refusal `start` (an /imagine or a click) gets; it must create no job and reach no API."""
    await submits_settled(bot)
    jobs, sent = await bot.store.count_user_jobs(user), submits(mj)
    interaction = await answered(discord, await start())
    text = ephemeral_text(interaction)
    await submits_settled(bot)
    assert await bot.store.count_user_jobs(user) == jobs, f"a refused submit wrote a job: {text}"
    assert submits(mj) == sent, f"a refused submit reached the API: {text}"
    return text


def run_imagine(
    discord: FakeDiscord, user: int, prompt: str, *, channel_id: int | None = None, **options: object
) -> Callable[[], Awaitable[FakeInteraction]]:
    return lambda: discord.invoke(
        "imagine", {"prompt": prompt, **options}, user_id=user, channel_id=channel_id
    )


async def imagine_in(
    discord: FakeDiscord, user: int, prompt: str, channel_id: int, **options: object
) -> FakeMessage:
    start = run_imagine(discord, user, prompt, channel_id=channel_id, **options)
    interaction = await answered(discord, await start())
    assert not interaction.ephemeral, ephemeral_text(interaction)
    assert interaction.message_id is not None
    return discord.messages[interaction.message_id]


def when(text: str) -> datetime:
    match = WHEN.search(text)
    assert match, f"no Discord timestamp in {text!r}"
    return datetime.fromtimestamp(int(match["at"]), UTC)


def submit_bodies(mj: FakeMJ) -> list[Any]:
    return [r.json for r in mj.requests if r.route == IMAGINE]


# -- who may use /admin ---------------------------------------------------------------------------------


async def test_admin_needs_manage_server(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    [command] = [c for c in fake_discord.commands(fake_discord.guild_id) if c["name"] == "admin"]
    assert int(command["default_member_permissions"]) == MANAGE_GUILD, "hidden from members by default"
    assert command["contexts"] == [0], "not offered in direct messages"

    member = fake_discord.add_user("member")
    answer = await admin(fake_discord, member, "quota", per_day=1)
    assert ephemeral_text(answer) == (
        "Only members with the Manage Server permission can change the bot's settings."
    )
    stats = await admin(fake_discord, member, "stats", days=7)
    assert ephemeral_text(stats).startswith("Only members with the Manage Server permission")
    assert bot.policies.get(fake_discord.guild_id).daily_quota is None, "nothing was changed"

    owner = add_admin(fake_discord)
    shown = shown_settings(await admin(fake_discord, owner, "quota", per_day=1))
    assert shown["Daily quota per user"] == "1"
    assert await shown_policy(fake_discord, owner) == shown


# -- modes ----------------------------------------------------------------------------------------------


async def test_modes_relax_only(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    owner = add_admin(fake_discord)
    user = fake_discord.add_user("rae")
    shown = shown_settings(await admin(fake_discord, owner, "modes", fast=False, relax=True, turbo=False))
    assert shown["Allowed modes"] == "relax"

    text = await refused(
        bot, fake_discord, fake_mj, user, run_imagine(fake_discord, user, "a comet", mode="FAST")
    )
    assert text == "**fast** mode is not allowed in this server. Allowed: relax."
    text = await refused(bot, fake_discord, fake_mj, user, run_imagine(fake_discord, user, "a comet --turbo"))
    assert text == "**turbo** mode is not allowed in this server. Allowed: relax."

    message = await imagine(fake_discord, user, "a slow comet")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 1)
    relax = {"accountFilter": {"modes": ["RELAX"]}}
    assert submit_bodies(fake_mj) == [{"prompt": "a slow comet --relax", **relax}]
    await fake_discord.wait_for(lambda: has_image(message), timeout=20)

    # A default mode is a preference, not a choice: it falls back to the cheapest allowed mode.
    await choose(fake_discord, await open_settings(fake_discord, user), user, "mode", "FAST")
    await imagine_in(fake_discord, user, "a default comet", fake_discord.add_channel("defaults"))
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 2)
    assert submit_bodies(fake_mj)[1] == {"prompt": "a default comet --relax", **relax}

    none = await admin(fake_discord, owner, "modes", fast=False, relax=False, turbo=False)
    assert ephemeral_text(none) == "Allow at least one mode."
    shown_again = await shown_policy(fake_discord, owner)
    assert shown_again["Allowed modes"] == "relax", "unchanged"
    again = await admin(fake_discord, owner, "modes", fast=True, relax=True, turbo=True)
    assert shown_settings(again)["Allowed modes"] == "relax, fast, turbo"
    assert fake_mj.count(IMAGINE) == 2


# -- quotas ---------------------------------------------------------------------------------------------


def next_utc_midnight() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


async def test_daily_quota_refuses_the_third_job_until_midnight(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    user = fake_discord.add_user("quinn")
    assert shown_settings(await admin(fake_discord, owner, "quota", per_day=2))["Daily quota per user"] == "2"
    await imagine(fake_discord, user, "a first kite")
    second = await imagine(fake_discord, user, "a second kite")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 2)

    text = await refused(bot, fake_discord, fake_mj, user, run_imagine(fake_discord, user, "a third kite"))
    assert text.startswith("You've reached today's limit of 2 jobs (2 used). It resets <t:")
    assert when(text) == next_utc_midnight()

    # A click starts a paid job too: it meets the same quota.
    await fake_discord.wait_for(lambda: has_image(second), timeout=20)
    text = await refused(
        bot,
        fake_discord,
        fake_mj,
        user,
        lambda: fake_discord.click(second.id, second.custom_ids()[0], user_id=user),
    )
    assert "It resets <t:" in text
    other = fake_discord.add_user("other")
    await imagine(fake_discord, other, "someone else's kite")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)
    assert fake_mj.count(ACTION) == 0

    out_of_range = await admin(fake_discord, owner, "quota", per_day=10_001)
    assert ephemeral_text(out_of_range) == "**per_day** must be between 0 and 10000."
    negative = await admin(fake_discord, owner, "quota", per_day=-1)
    assert ephemeral_text(negative) == "**per_day** must be between 0 and 10000."
    assert bot.policies.get(fake_discord.guild_id).daily_quota == 2, "a bad value changes nothing"
    cleared = await admin(fake_discord, owner, "quota", per_day=0)
    assert shown_settings(cleared)["Daily quota per user"] == "no limit"
    await imagine(fake_discord, user, "a third kite")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 4)


async def test_failed_and_rejected_jobs_do_not_count(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    user = fake_discord.add_user("fay")
    shown_settings(await admin(fake_discord, owner, "quota", per_day=1))

    failed = await imagine(fake_discord, user, "a broken vase [fail]")
    await fake_discord.wait_for(lambda: "❌ Failed" in failed.content, timeout=20)
    rejected = await imagine(fake_discord, user, "a gory vase [code24:gory]")
    await fake_discord.wait_for(lambda: "rejected as sensitive" in rejected.content, timeout=20)
    assert fake_mj.count(IMAGINE) == 2, "both reached the API, and both are refunded"

    charged = await imagine(fake_discord, user, "a whole vase")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)
    text = await refused(
        bot, fake_discord, fake_mj, user, run_imagine(fake_discord, user, "one vase too many")
    )
    assert text.startswith("You've reached today's limit of 1 jobs (1 used).")
    assert when(text) == next_utc_midnight()
    await fake_discord.wait_for(lambda: has_image(charged), timeout=20)
    assert fake_mj.count(IMAGINE) == 3


async def test_role_quota_overrides_the_guild_quota(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    vip = await fake_discord.create_role("vip")
    member = fake_discord.add_user("mo")
    patron = fake_discord.add_user("pat", roles=(vip,))
    shown_settings(await admin(fake_discord, owner, "quota", per_day=1))
    shown = shown_settings(await admin(fake_discord, owner, "quota", per_day=3, role=vip))
    assert shown["Daily quota per user"] == "1"
    assert shown["Role quotas"] == f"<@&{vip}>: 3"

    channel = fake_discord.add_channel("patrons")  # three jobs' progress edits, away from the other channel
    for n in range(3):
        await imagine_in(fake_discord, patron, f"a patron's bell {n}", channel)
    await imagine(fake_discord, member, "a member's bell")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 4)

    text = await refused(
        bot,
        fake_discord,
        fake_mj,
        patron,
        run_imagine(fake_discord, patron, "a fourth bell", channel_id=channel),
    )
    assert text.startswith("You've reached today's limit of 3 jobs (3 used).")
    text = await refused(
        bot, fake_discord, fake_mj, member, run_imagine(fake_discord, member, "a second bell")
    )
    assert text.startswith("You've reached today's limit of 1 jobs (1 used).")

    unlimited = await admin(fake_discord, owner, "quota", per_day=0, role=vip)
    assert shown_settings(unlimited)["Role quotas"] == f"<@&{vip}>: no limit"
    fourth = await imagine_in(fake_discord, patron, "an unlimited bell", channel)
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 5)

    removed = await admin(fake_discord, owner, "quota", role=vip)
    assert shown_settings(removed)["Role quotas"] == "none"
    text = await refused(
        bot,
        fake_discord,
        fake_mj,
        patron,
        run_imagine(fake_discord, patron, "a fourth bell", channel_id=channel),
    )
    assert text.startswith("You've reached today's limit of 1 jobs (4 used).")
    assert fake_mj.count(IMAGINE) == 5
    nothing = await admin(fake_discord, owner, "quota")
    assert ephemeral_text(nothing).startswith("Give **per_day**, a **role**, or both")
    await fake_discord.wait_for(lambda: has_image(fourth), timeout=20)


# -- concurrency ----------------------------------------------------------------------------------------


def task_for(mj: FakeMJ, prompt: str) -> str:
    [task] = [t for t in mj.tasks.values() if t.prompt == prompt]
    return task.id


def submit_time(mj: FakeMJ, prompt: str) -> float:
    [at] = [r.at for r in mj.requests if r.route == IMAGINE and (r.json or {}).get("prompt") == prompt]
    return at


async def test_concurrency_one_per_user_makes_the_second_job_wait(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    ann = fake_discord.add_user("ann")
    ben = fake_discord.add_user("ben")
    shown = shown_settings(await admin(fake_discord, owner, "concurrency", per_user=1))
    assert shown["Running at once"] == "1 per user · no limit in the server"
    fake_mj.set_duration("IMAGINE", 2.5)  # the waiting note is an edit, sent 1.5 s after the first answer

    first = await imagine(fake_discord, ann, "ann's first owl")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 1)
    second = await imagine_in(fake_discord, ann, "ann's second owl", fake_discord.channel_id)
    await fake_discord.wait_for(
        lambda: "Waiting: 1 of your jobs are running (the limit is 1)" in second.content
    )
    assert second.content.startswith("**ann's second owl**")

    theirs = await imagine_in(fake_discord, ben, "ben's owl", fake_discord.add_channel("ben"))
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 2)
    assert [b["prompt"] for b in submit_bodies(fake_mj)] == ["ann's first owl", "ben's owl"], (
        "ben is not blocked"
    )

    await fake_discord.wait_for(lambda: has_image(second), timeout=20)
    first_done = fake_mj.success_at[task_for(fake_mj, "ann's first owl")]
    assert submit_time(fake_mj, "ann's second owl") >= first_done, "it started only after the first ended"
    assert has_image(first) and has_image(theirs)
    assert fake_mj.count(IMAGINE) == 3

    bad = await admin(fake_discord, owner, "concurrency", per_user=0)
    assert ephemeral_text(bad) == "**per_user** must be between 1 and 10."
    assert bot.policies.get(fake_discord.guild_id).user_concurrency == 1


async def test_default_three_per_user_then_the_fourth_waits_and_a_raised_limit_starts_it(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    user = fake_discord.add_user("hal")
    busy = fake_discord.add_channel("busy")  # the held jobs' progress edits spend this channel's budget
    for n in range(3):
        await imagine_in(fake_discord, user, f"held moth {n} [hold]", busy)
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)

    fourth = await imagine_in(fake_discord, user, "a fourth moth", fake_discord.channel_id)
    await fake_discord.wait_for(
        lambda: "Waiting: 3 of your jobs are running (the limit is 3)" in fourth.content
    )
    waiting = await open_job(bot, lambda job: job.prompt == "a fourth moth")
    await submits_settled(bot)
    assert (job := await bot.store.get_job(waiting.id)) is not None and job.status is JobStatus.QUEUED
    assert len(bot.engine.queue) == 1 and bot.engine.slots.blocked(user, fake_discord.guild_id)
    assert fake_mj.count(IMAGINE) == 3, "waiting, not submitted"

    raised = await admin(fake_discord, owner, "concurrency", per_user=4)
    assert shown_settings(raised)["Running at once"] == "4 per user · no limit in the server"
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 4)
    assert all(t.held for t in fake_mj.tasks.values() if "[hold]" in t.prompt), "started beside the held ones"
    await fake_discord.wait_for(lambda: has_image(fourth), timeout=20)
    for task_id in [t.id for t in fake_mj.tasks.values() if t.held]:
        fake_mj.release(task_id)


async def test_server_concurrency_makes_other_users_wait(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    ann = fake_discord.add_user("ann")
    ben = fake_discord.add_user("ben")
    shown = shown_settings(await admin(fake_discord, owner, "concurrency", per_user=3, per_server=1))
    assert shown["Running at once"] == "3 per user · 1 in the server"
    shown = shown_settings(await admin(fake_discord, owner, "concurrency", per_user=2))
    assert shown["Running at once"] == "2 per user · 1 in the server", "a limit left out keeps its value"
    nothing = await admin(fake_discord, owner, "concurrency")
    assert ephemeral_text(nothing).startswith("Give **per_user**, **per_server**, or both")
    fake_mj.set_duration("IMAGINE", 2.5)  # the waiting note is an edit, sent 1.5 s after the first answer
    first = await imagine(fake_discord, ann, "ann's lamp")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 1)
    waiting = await imagine_in(fake_discord, ben, "ben's lamp", fake_discord.add_channel("ben"))
    await fake_discord.wait_for(
        lambda: "Waiting: 1 jobs are running in this server (the limit is 1)" in waiting.content
    )
    await fake_discord.wait_for(lambda: has_image(waiting), timeout=20)
    assert submit_time(fake_mj, "ben's lamp") >= fake_mj.success_at[task_for(fake_mj, "ann's lamp")]
    assert has_image(first)


# -- cooldown -------------------------------------------------------------------------------------------


async def test_cooldown_refuses_a_second_submit_and_says_when(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    user = fake_discord.add_user("cole")
    assert shown_settings(await admin(fake_discord, owner, "cooldown", seconds=60))["Cooldown"] == "60 s"
    grid = await imagine(fake_discord, user, "a quiet harbour")
    [job] = await bot.store.user_jobs(user, limit=1)

    text = await refused(bot, fake_discord, fake_mj, user, run_imagine(fake_discord, user, "a busy harbour"))
    assert text.startswith("This server has a 60-second cooldown between each user's submits. Try again <t:")
    ready = job.created_at + timedelta(seconds=60)
    assert ready <= when(text) < ready + timedelta(seconds=1)

    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    text = await refused(
        bot,
        fake_discord,
        fake_mj,
        user,
        lambda: fake_discord.click(grid.id, grid.custom_ids()[0], user_id=user),
    )
    assert "Try again <t:" in text, "a click is a paid submit too"
    await admin(fake_discord, owner, "clicks", who="anyone")
    quick = fake_discord.add_user("quick")  # no submit yet: free to click, once
    clicks = await asyncio.gather(
        *(fake_discord.click(grid.id, custom_id, user_id=quick) for custom_id in grid.custom_ids()[:4])
    )
    await fake_discord.wait_for(lambda: all(c.callbacks for c in clicks), timeout=10)
    taken = [c for c in clicks if c.callbacks[0][0] == UPDATE_MESSAGE]
    assert len(taken) == 1, "four clicks at once: the cooldown lets one through"
    assert all("cooldown" in ephemeral_text(c) for c in clicks if c not in taken)
    await fake_discord.wait_for(lambda: fake_mj.count(ACTION) == 1)
    other = fake_discord.add_user("other")
    await imagine_in(fake_discord, other, "another harbour", fake_discord.add_channel("other"))
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 2)

    bad = await admin(fake_discord, owner, "cooldown", seconds=86_401)
    assert ephemeral_text(bad) == "**seconds** must be between 0 and 86400."
    assert shown_settings(await admin(fake_discord, owner, "cooldown", seconds=0))["Cooldown"] == "none"
    await imagine(fake_discord, user, "a busy harbour")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)
    assert fake_mj.count(ACTION) == 1


# -- channels -------------------------------------------------------------------------------------------


async def test_channels_limit_where_the_bot_may_be_used(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    user = fake_discord.add_user("cy")
    grid = await imagine(fake_discord, user, "a stone bridge")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    art = await fake_discord.create_channel("art")

    missing = await admin(fake_discord, owner, "channels", action="add")
    assert ephemeral_text(missing) == "Choose the channel to add."
    shown = shown_settings(await admin(fake_discord, owner, "channels", action="add", channel=art))
    assert shown["Channels"] == f"<#{art}>"

    text = await refused(bot, fake_discord, fake_mj, user, run_imagine(fake_discord, user, "a wooden bridge"))
    assert text == f"The bot can't be used in this channel. Use it in <#{art}>."
    text = await refused(
        bot,
        fake_discord,
        fake_mj,
        user,
        lambda: fake_discord.click(grid.id, grid.custom_ids()[0], user_id=user),
    )
    assert text == f"The bot can't be used in this channel. Use it in <#{art}>."
    await imagine_in(fake_discord, user, "a wooden bridge", art)
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 2)

    cleared = await admin(fake_discord, owner, "channels", action="clear")
    assert shown_settings(cleared)["Channels"] == "every channel"
    await imagine(fake_discord, user, "an iron bridge")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)
    assert fake_mj.count(ACTION) == 0


# -- who may click --------------------------------------------------------------------------------------


async def test_clicks_by_anyone_once_allowed(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    owner = add_admin(fake_discord)
    author = fake_discord.add_user("ava")
    stranger = fake_discord.add_user("stan")
    grid = await imagine(fake_discord, author, "a paper crane")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    u1 = grid.custom_ids()[0]

    text = await refused(
        bot, fake_discord, fake_mj, stranger, lambda: fake_discord.click(grid.id, u1, user_id=stranger)
    )
    assert text == f"Only <@{author}> can use these buttons. Start your own with `/imagine`."

    shown = shown_settings(await admin(fake_discord, owner, "clicks", who="anyone"))
    assert shown["Result buttons"] == "anyone"
    click = await answered(fake_discord, await fake_discord.click(grid.id, u1, user_id=stranger))
    assert click.callbacks[0][0] == UPDATE_MESSAGE, "accepted: the button turns green"
    await fake_discord.wait_for(lambda: fake_mj.count(ACTION) == 1)
    await fake_discord.wait_for(lambda: any(has_image(m) for m in replies_to(fake_discord, grid)), timeout=20)
    [upscale] = replies_to(fake_discord, grid)
    assert upscale.content.startswith(f"**Upscale 1** of *a paper crane* — <@{stranger}>")

    back = await admin(fake_discord, owner, "clicks", who="owner")
    assert shown_settings(back)["Result buttons"] == "the job's owner only"
    text = await refused(
        bot,
        fake_discord,
        fake_mj,
        stranger,
        lambda: fake_discord.click(grid.id, grid.custom_ids()[1], user_id=stranger),
    )
    assert text.startswith(f"Only <@{author}> can use these buttons.")
    assert fake_mj.count(ACTION) == 1


# -- statistics -----------------------------------------------------------------------------------------


async def settled(bot: MJBot, *users: int) -> None:
    """Until every job of these users is final (its state is written just after its message shows it)."""
    async with asyncio.timeout(10):
        while True:
            if not [job for user in users for job in await bot.store.unfinished_jobs(user)]:
                return
            await asyncio.sleep(0.05)


async def test_stats_show_totals_users_days_modes_and_outcomes(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    empty = await deferred_embed(fake_discord, await admin(fake_discord, owner, "stats", days=30))
    assert empty["title"] == "Jobs in the last 30 days"
    assert empty["description"] == "No jobs in this period."

    ada = fake_discord.add_user("ada")
    bo = fake_discord.add_user("bo")
    done = await imagine(fake_discord, ada, "a sundial")
    failed = await imagine_in(fake_discord, ada, "a broken sundial [fail]", fake_discord.add_channel("ada"))
    relaxed = await imagine_in(
        fake_discord, bo, "a slow sundial", fake_discord.add_channel("bo"), mode="RELAX"
    )
    await fake_discord.wait_for(
        lambda: has_image(done) and has_image(relaxed) and "❌ Failed" in failed.content, timeout=20
    )
    await settled(bot, ada, bo)

    stats = await admin(fake_discord, owner, "stats", days=7)
    title, shown = embed_fields(await deferred_embed(fake_discord, stats))
    assert title == "Jobs in the last 7 days"
    assert shown == {
        "Total": "3 jobs · 1 failed or rejected (33%)",
        "Top users": f"<@{ada}>: 2\n<@{bo}>: 1",
        "Per day": f"{datetime.now(UTC).date().isoformat()}: 3",
        "Modes": "account default: 2\nrelax: 1",
        "Outcomes": "done: 2\nfailed: 1",
    }
    assert fake_mj.count(IMAGINE) == 3


async def test_many_channels_and_roles_still_fit_discords_limits(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = add_admin(fake_discord)
    many = frozenset(10**18 + n for n in range(80))
    roles = tuple((10**18 + n, 5) for n in range(60))
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(channel_ids=many, role_quotas=roles))
    shown = await shown_policy(fake_discord, owner)
    assert len(shown["Channels"]) <= 1024 and shown["Channels"].endswith("more")
    assert len(shown["Role quotas"]) <= 1024 and shown["Role quotas"].endswith("more")
    user = fake_discord.add_user("lost")
    text = await refused(bot, fake_discord, fake_mj, user, run_imagine(fake_discord, user, "a map"))
    assert text.startswith("The bot can't be used in this channel.") and "(+40)" in text
