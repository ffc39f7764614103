"""A user's own jobs through the real client: /history, /show, /info and /cancel."""

from __future__ import annotations

import asyncio
import re

from bot.app import MJBot
from bot.models import Defaults, Job
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.discord.server import ALL_TEXT_PERMISSIONS
from tests.fakes.mj_api import FakeMJ
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import PNG_MAGIC, has_image, imagine, replies_to

IMAGINE = "POST /mj/submit/imagine"
ACTION = "POST /mj/submit/action"
MANAGE_GUILD = 1 << 5
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8


async def answered(discord: FakeDiscord, interaction: FakeInteraction) -> FakeInteraction:
    await discord.wait_for(lambda: bool(interaction.callbacks))
    return interaction


async def command(discord: FakeDiscord, name: str, user: int, **options: object) -> FakeInteraction:
    return await answered(discord, await discord.invoke(name, options, user_id=user))


async def job_of(bot: MJBot, user: int, message: FakeMessage) -> Job:
    """The job whose message this is (its id is written just after the message is posted)."""
    async with asyncio.timeout(5):
        while True:
            for job in await bot.store.user_jobs(user, limit=100):
                if job.message_id == message.id:
                    return job
            await asyncio.sleep(0.05)


async def imagine_in(discord: FakeDiscord, user: int, prompt: str, channel_id: int) -> FakeMessage:
    interaction = await discord.invoke("imagine", {"prompt": prompt}, user_id=user, channel_id=channel_id)
    await discord.wait_for(lambda: interaction.message_id is not None)
    assert interaction.message_id is not None
    return discord.messages[interaction.message_id]


def embed_of(interaction: FakeInteraction) -> dict[str, object]:
    kind, body, _ = interaction.callbacks[0]
    assert kind == 4 and body["data"]["flags"] & 64, "expected an ephemeral embed"
    [embed] = body["data"]["embeds"]
    return dict(embed)


def fields(embed: dict[str, object]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed["fields"]}  # type: ignore[attr-defined]


def listed_ids(message: FakeMessage) -> list[int]:
    return [int(n) for n in re.findall(r"^`#(\d+)`", message.embeds[0]["description"], re.MULTILINE)]


def status_words(message: FakeMessage) -> list[str]:
    return re.findall(r" — (\w[\w ]*), <t:", message.embeds[0]["description"])


# -- /history -------------------------------------------------------------------------------------------


async def test_history_pages_newest_first(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("hana")
    stranger = fake_discord.add_user("stranger")
    prompts = ["a rejected kite [code24:gore]", "a done kite", "a failing kite [fail]"]
    prompts += [f"kite number {n} [code24:gore]" for n in range(4, 13)]
    # Three channels, so that a dozen final edits do not queue behind one channel's rate limit.
    channels = [fake_discord.channel_id, fake_discord.add_channel("two"), fake_discord.add_channel("three")]
    messages = [
        await imagine_in(fake_discord, user, prompt, channels[n % 3]) for n, prompt in enumerate(prompts)
    ]
    finished = ("🚫", "✅", "❌ Failed")
    await fake_discord.wait_for(
        lambda: all(any(mark in m.content for mark in finished) for m in messages), timeout=30
    )
    ids = [(await job_of(bot, user, m)).id for m in messages]

    history = await command(fake_discord, "history", user)
    assert history.ephemeral
    assert history.message_id is not None
    page = fake_discord.messages[history.message_id]
    assert listed_ids(page) == ids[::-1][:10]
    assert status_words(page) == ["rejected"] * 9 + ["failed"]
    assert page.embeds[0]["footer"]["text"] == "Page 1 of 2 · 12 jobs · finished jobs are kept for 180 days"
    previous, following = page.buttons()
    assert previous["label"] == "Previous" and previous.get("disabled")
    assert following["label"] == "Next" and not following.get("disabled")

    refused = await answered(
        fake_discord, await fake_discord.click(page.id, following["custom_id"], user_id=stranger)
    )
    assert "belongs to someone else" in ephemeral_text(refused)
    assert listed_ids(page) == ids[::-1][:10], "the stranger's click changed nothing"

    turned = await answered(
        fake_discord, await fake_discord.click(page.id, following["custom_id"], user_id=user)
    )
    assert turned.callbacks[0][0] == UPDATE_MESSAGE
    assert listed_ids(page) == ids[1::-1]
    assert status_words(page) == ["done", "rejected"]
    assert page.embeds[0]["footer"]["text"] == "Page 2 of 2 · 12 jobs · finished jobs are kept for 180 days"
    previous, following = page.buttons()
    assert not previous.get("disabled") and following.get("disabled")

    back = await answered(
        fake_discord, await fake_discord.click(page.id, previous["custom_id"], user_id=user)
    )
    assert back.callbacks[0][0] == UPDATE_MESSAGE
    assert listed_ids(page) == ids[::-1][:10]


async def test_history_without_jobs(bot: MJBot, fake_discord: FakeDiscord) -> None:
    user = fake_discord.add_user("newcomer")
    history = await command(fake_discord, "history", user)
    assert "You have no jobs yet" in ephemeral_text(history)


# -- /show ----------------------------------------------------------------------------------------------


async def test_show_reposts_a_done_job_with_live_buttons(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("shay")
    other = fake_discord.add_user("other")
    fake_mj.set_duration("IMAGINE", 0.2)
    fake_mj.set_duration("UPSCALE", 0.2)
    grid = await imagine(fake_discord, user, "a glass whale")
    broken = await imagine(fake_discord, user, "a broken whale [fail]")
    elsewhere = await imagine(fake_discord, other, "someone else's whale")
    await fake_discord.wait_for(
        lambda: has_image(grid) and has_image(elsewhere) and "Failed" in broken.content, timeout=20
    )
    done, failed = await job_of(bot, user, grid), await job_of(bot, user, broken)

    shown = await command(fake_discord, "show", user, job=done.id)
    assert shown.callbacks[0][0] == 5 and not shown.ephemeral
    await fake_discord.wait_for(lambda: bool(shown.followups))
    repost = fake_discord.messages[shown.followups[0]]
    assert repost.attachments[0].data.startswith(PNG_MAGIC)
    assert repost.custom_ids() == grid.custom_ids()
    assert "a glass whale" in repost.content

    click = await answered(
        fake_discord, await fake_discord.click(repost.id, repost.custom_ids()[1], user_id=user)
    )
    assert click.callbacks[0][0] == UPDATE_MESSAGE
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, repost)), timeout=20
    )
    [upscale] = replies_to(fake_discord, repost)
    assert upscale.content.startswith("**Upscale 2** of *a glass whale*")
    assert fake_mj.count(ACTION) == 1

    unknown = await command(fake_discord, "show", user, job=9999)
    assert ephemeral_text(unknown) == "There is no job #9999 in this server."
    not_done = await command(fake_discord, "show", user, job=failed.id)
    assert ephemeral_text(not_done) == f"Job #{failed.id} has no finished image to show (status: failed)."

    offered = await fake_discord.autocomplete("show", {"job": ""}, "job", user_id=user)
    await answered(fake_discord, offered)
    kind, body, _ = offered.callbacks[0]
    assert kind == AUTOCOMPLETE_RESULT
    upscale_job = await job_of(bot, user, upscale)
    assert [c["value"] for c in body["data"]["choices"]] == [upscale_job.id, done.id]
    names = [c["name"] for c in body["data"]["choices"]]
    assert names == [f"#{upscale_job.id} Upscale 2 · a glass whale", f"#{done.id} a glass whale"]


async def test_show_keeps_private_results_private_and_failures_quiet(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner, snoop = fake_discord.add_user("priv"), fake_discord.add_user("snoop")
    await bot.store.set_defaults("user", owner, Defaults(dm=True))
    fake_mj.set_duration("IMAGINE", 0.2)
    await fake_discord.invoke("imagine", {"prompt": "a secret garden"}, user_id=owner)
    await fake_discord.wait_for(lambda: bot.writer.stats.delivered == 1, timeout=20)
    [private] = await bot.store.user_jobs(owner, limit=1)

    refused = await command(fake_discord, "show", snoop, job=private.id)
    assert ephemeral_text(refused) == f"There is no job #{private.id} in this server."

    assert private.task_id is not None
    del fake_mj.tasks[private.task_id]  # the API no longer has the image
    gone = await command(fake_discord, "show", owner, job=private.id)
    await fake_discord.wait_for(lambda: bool(gone.followups))
    answer = fake_discord.messages[gone.followups[-1]]
    assert answer.flags & 64 and f"#{private.id}" in answer.content, "the failure is told privately"
    assert gone.message_id is not None and fake_discord.messages[gone.message_id].deleted
    assert fake_mj.count(IMAGINE) == 1


# -- /info ----------------------------------------------------------------------------------------------


async def test_info_shows_jobs_usage_quota_and_defaults(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    admin = fake_discord.add_user("admin", permissions=ALL_TEXT_PERMISSIONS | MANAGE_GUILD)
    user = fake_discord.add_user("ivy")
    quota = await answered(
        fake_discord, await fake_discord.invoke("admin", {"per_day": 5}, user_id=admin, subcommand="quota")
    )
    assert quota.ephemeral
    fake_mj.set_duration("IMAGINE", 0.2)
    done = await imagine(fake_discord, user, "a tin robot")
    failed = await imagine(fake_discord, user, "a rusty robot [fail]")
    await fake_discord.wait_for(lambda: has_image(done) and "Failed" in failed.content, timeout=20)
    limit = await answered(
        fake_discord,
        await fake_discord.invoke("admin", {"per_user": 1}, user_id=admin, subcommand="concurrency"),
    )
    assert limit.ephemeral
    running = await imagine_in(fake_discord, user, "a held robot [hold]", fake_discord.add_channel("busy"))
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)
    waiting = await imagine_in(fake_discord, user, "a waiting robot", fake_discord.add_channel("quiet"))
    await fake_discord.wait_for(lambda: "Waiting: 1 of your jobs" in waiting.content)

    panel = await command(fake_discord, "settings", user)
    assert panel.message_id is not None
    for field, value in (("aspect", "16:9"), ("bot", "NIJI_JOURNEY")):
        select = await fake_discord.select(panel.message_id, f"mj:set:u{user}:{field}", [value], user_id=user)
        await answered(fake_discord, select)

    info = embed_of(await command(fake_discord, "info", user))
    shown = fields(info)
    running_job, waiting_job = await job_of(bot, user, running), await job_of(bot, user, waiting)
    lines = shown["Running and waiting"].splitlines()
    assert [line.split()[0] for line in lines] == [f"`#{running_job.id}`", f"`#{waiting_job.id}`"]
    assert "— running," in lines[0] and "— waiting," in lines[1]
    assert shown["Today"] == "3 jobs (failures are not counted)"
    assert shown["Quota left"] == "2 of 5 today"
    assert shown["Limits"] == "1 running at once · cooldown none"
    defaults = shown["Your effective defaults here"].splitlines()
    assert "Aspect: 16:9" in defaults and "Mode: not set" in defaults
    assert "Bot: Niji" in defaults, "the bot is named as in /settings, not by its API value"
    assert "Results: in the channel" in defaults

    for task in fake_mj.tasks.values():
        fake_mj.release(task.id)
    await fake_discord.wait_for(lambda: has_image(running) and has_image(waiting), timeout=20)


async def test_info_lists_many_jobs_within_discords_field_limit(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    user = fake_discord.add_user("many")
    prompt = "an extremely detailed and very long prompt about a lighthouse " * 3
    for n in range(12):
        await imagine(fake_discord, user, f"{prompt} {n} [hold]")
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)

    info = embed_of(await command(fake_discord, "info", user))
    listed = fields(info)["Running and waiting"]
    assert len(listed) <= 1024
    shown = listed.splitlines()
    assert shown[-1] == f"…and {12 - (len(shown) - 1)} more (see /history)"
    assert len(shown) > 3, "as many jobs as fit are listed"
    for task in fake_mj.tasks.values():
        fake_mj.release(task.id)


# -- /cancel --------------------------------------------------------------------------------------------


async def test_cancel_waiting_jobs_only(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ) -> None:
    user = fake_discord.add_user("cass")
    stranger = fake_discord.add_user("stranger")
    # The running jobs' progress edits spend their own channel's budget, not the waiting jobs'.
    busy = fake_discord.add_channel("busy")
    held = [await imagine_in(fake_discord, user, f"held lamp {n} [hold]", busy) for n in range(3)]
    await fake_discord.wait_for(lambda: fake_mj.count(IMAGINE) == 3)
    fourth = await imagine(fake_discord, user, "a fourth lamp")
    await fake_discord.wait_for(lambda: "Waiting: 3 of your jobs are running" in fourth.content)
    fourth_job = await job_of(bot, user, fourth)

    theirs = await command(fake_discord, "cancel", stranger, job=fourth_job.id)
    assert ephemeral_text(theirs) == f"Job #{fourth_job.id} is not one of your waiting jobs."
    running = await job_of(bot, user, held[0])
    too_late = await command(fake_discord, "cancel", user, job=running.id)
    assert "already submitted" in ephemeral_text(too_late)

    by_id = await command(fake_discord, "cancel", user, job=fourth_job.id)
    assert (
        ephemeral_text(by_id)
        == f"Cancelled job #{fourth_job.id}. Nothing more will be sent to the API for it, and it is not charged."
    )
    await fake_discord.wait_for(lambda: fourth.content.endswith("\nCancelled"))

    fifth = await imagine(fake_discord, user, "a fifth lamp")
    fifth_job = await job_of(bot, user, fifth)
    implicit = await command(fake_discord, "cancel", user)
    assert ephemeral_text(implicit).startswith(f"Cancelled job #{fifth_job.id}.")
    await fake_discord.wait_for(lambda: fifth.content.endswith("\nCancelled"))

    nothing = await command(fake_discord, "cancel", user)
    assert ephemeral_text(nothing).startswith("You have no job waiting to be submitted.")

    two = [await imagine(fake_discord, user, f"lamp {n}") for n in (6, 7)]
    ids = [(await job_of(bot, user, m)).id for m in two]
    choose = await command(fake_discord, "cancel", user)
    assert f"several waiting jobs: #{ids[0]}, #{ids[1]}" in ephemeral_text(choose)

    fake_mj.set_duration("IMAGINE", 0.2)
    for task in fake_mj.tasks.values():
        fake_mj.release(task.id)
    await fake_discord.wait_for(lambda: all(has_image(m) for m in held + two), timeout=20)
    submitted = [r.json["prompt"] for r in fake_mj.requests if r.route == IMAGINE]
    assert sorted(submitted) == sorted([f"held lamp {n} [hold]" for n in range(3)] + ["lamp 6", "lamp 7"])
    assert fourth.content.endswith("\nCancelled") and fifth.content.endswith("\nCancelled")


async def test_show_reposts_only_what_the_caller_may_see_and_not_too_fast(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeMJ
) -> None:
    owner = fake_discord.add_user("owner")
    other = fake_discord.add_user("other")
    private = await fake_discord.create_channel("private", visible_to=(owner,))
    secret = await imagine_in(fake_discord, owner, "a secret garden", private)
    await fake_discord.wait_for(lambda: has_image(secret), timeout=20)
    job = await job_of(bot, owner, secret)

    walked = await command(fake_discord, "show", other, job=job.id)
    assert ephemeral_text(walked) == f"There is no job #{job.id} in this server.", (
        "private channels stay private"
    )
    assert fake_mj.count("GET /mj/image/{id}") == 1, "nothing was fetched for it"

    for _ in range(3):
        shown = await command(fake_discord, "show", owner, job=job.id)
        await fake_discord.wait_for(lambda s=shown: bool(s.followups), timeout=20)  # type: ignore[misc]
    too_fast = await command(fake_discord, "show", owner, job=job.id)
    assert ephemeral_text(too_fast).startswith("You're using /show too quickly. Try again <t:")
