"""/describe through the real discord.py client, the fake Discord and new-api in front of trueai: an
attached image or a link reaches upstream, the four prompts come back as a numbered list, 1️⃣–4️⃣ imagine
one of them, 🔄 describes the same image again, and every refusal happens before any request."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

from discord.utils import escape_markdown, escape_mentions
from PIL import Image

from bot.app import MJBot
from bot.config import Settings
from bot.mj.prompt_lines import described_prompts
from bot.models import Defaults, Job, JobStatus
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.mj import FakeRelay
from tests.fakes.mj.trueai_tasks import describe_result
from tests.harness import STATE_POLL, running_bot, submits_settled
from tests.images_helpers import private_text
from tests.test_e2e_direct_messages import dm_messages
from tests.test_e2e_imagine import labels

DESCRIBE = "POST /mj/submit/describe"
IMAGINE = "POST /mj/submit/imagine"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def upstream_bodies(relay: FakeRelay, route: str) -> list[dict[str, Any]]:
    """The bodies trueai (behind new-api) received on `route`."""
    return [dict(r.json or {}) for r in relay.upstream.requests if r.route == route]


async def answered(discord: FakeDiscord, interaction: FakeInteraction) -> str:
    """The private answer, once there is one (the first answer, or a follow-up after a deferral)."""
    await discord.wait_for(lambda: private_text(discord, interaction) is not None)
    return private_text(discord, interaction) or ""


async def finished(
    bot: MJBot, discord: FakeDiscord, user: int, action: str, count: int = 1
) -> tuple[Job, FakeMessage]:
    """The user's `count`-th job of `action`, once its result is posted with its buttons."""
    async with asyncio.timeout(20):
        while True:
            jobs = sorted(
                (j for j in await bot.store.user_jobs(user, limit=50) if j.action == action),
                key=lambda j: j.id,
            )
            if len(jobs) >= count and jobs[count - 1].status is JobStatus.DONE:
                job = jobs[count - 1]
                break
            await asyncio.sleep(STATE_POLL)
    assert job.message_id is not None
    message = discord.messages[job.message_id]
    await discord.wait_for(lambda: bool(message.components), timeout=10)
    return job, message


async def describe(discord: FakeDiscord, user: int, **options: object) -> FakeInteraction:
    return await discord.invoke("describe", dict(options), user_id=user)


async def test_an_attached_image_is_described_and_a_prompt_imagined(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("ada")
    image = png()
    started = await describe(fake_discord, user, image=fake_discord.attach("cat.png", "image/png", image))
    job, result = await finished(bot, fake_discord, user, "DESCRIBE")
    assert started.ack_latency is not None and started.ack_latency < 3.0
    assert job.message_id == started.message_id == started.followups[0], "the 'thinking…' became the job"

    [sent] = upstream_bodies(fake_mj, DESCRIBE)
    assert sent.get("base64") == "data:image/png;base64," + base64.b64encode(image).decode()
    assert "link" not in sent or not sent["link"]

    [task] = [t for t in fake_mj.upstream.tasks.values() if t.action == "DESCRIBE"]
    prompts = described_prompts(describe_result(task.id))
    assert len(prompts) == 4 and not prompts[1].startswith("2")
    lines = result.content.split("\n")
    assert lines[0] == f"🖼️ **Describe** cat.png — <@{user}>"
    assert [line.split(". ", 1)[0] for line in lines[1:5]] == ["1", "2", "3", "4"]
    assert lines[2] == f"2. {escape_mentions(escape_markdown(prompts[1]))}", "API text shown inert"
    assert lines[-1] == "✅ Done"
    assert result.attachments and result.attachments[0].data.startswith(PNG_MAGIC), "the described image"
    assert labels(result) == [["1", "2", "3", "4", "🔄"]], "Imagine all (four jobs at once) is not offered"

    click = await fake_discord.click(result.id, result.custom_ids()[1], user_id=user)
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 1)
    [imagined] = upstream_bodies(fake_mj, IMAGINE)
    assert imagined["prompt"] == prompts[1], "prompt 2, its number emoji stripped"
    assert click.message_id is not None
    grid = fake_discord.messages[click.message_id]
    await fake_discord.wait_for(lambda: bool(grid.attachments and grid.components), timeout=20)

    again = await fake_discord.click(result.id, result.custom_ids()[4], user_id=user)
    await fake_discord.wait_for(lambda: len(upstream_bodies(fake_mj, DESCRIBE)) == 2)
    assert upstream_bodies(fake_mj, DESCRIBE)[1].get("base64") == sent["base64"], "the same image again"
    second, _ = await finished(bot, fake_discord, user, "DESCRIBE", count=2)
    assert second.id != job.id and again.message_id == second.message_id


async def test_a_link_is_described_and_its_buttons_work_after_a_restart(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("bo")
    link = "https://images.example.com/harbour.jpg"
    async with running_bot(settings, fake_discord) as bot:
        started = await describe(fake_discord, user, link=link)
        job, result = await finished(bot, fake_discord, user, "DESCRIBE")
        assert started.ack_latency is not None and started.ack_latency < 3.0
        assert not started.ephemeral, "a link needs no reading: the answer is the job's message"
    assert upstream_bodies(fake_mj, DESCRIBE) == [{"link": link}]
    [task] = [t for t in fake_mj.upstream.tasks.values() if t.action == "DESCRIBE"]
    prompts = described_prompts(describe_result(task.id))
    assert "harbour.jpg" in result.content.split("\n")[0]

    async with running_bot(settings, fake_discord) as bot:  # a new process: only the database remains
        await fake_discord.click(result.id, result.custom_ids()[2], user_id=user)
        await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 1, timeout=10)
        assert upstream_bodies(fake_mj, IMAGINE)[0]["prompt"] == prompts[2]
        await fake_discord.click(result.id, result.custom_ids()[4], user_id=user)
        await fake_discord.wait_for(lambda: len(upstream_bodies(fake_mj, DESCRIBE)) == 2, timeout=10)
        assert upstream_bodies(fake_mj, DESCRIBE)[1] == {"link": link}, "🔄: the same link again"
        again, _ = await finished(bot, fake_discord, user, "DESCRIBE", count=2)
        assert again.reply_to_message_id == result.id and job.id != again.id


async def test_over_quota_a_describe_and_its_buttons_send_nothing(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("cy")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1))
    await describe(fake_discord, user, link="https://images.example.com/a.png")
    _, result = await finished(bot, fake_discord, user, "DESCRIBE")
    jobs = await bot.store.count_user_jobs(user)
    upload = fake_discord.attach("b.png", "image/png", png())
    refusals = [
        await describe(fake_discord, user, link="https://images.example.com/b.png"),
        await describe(fake_discord, user, image=upload),
        await fake_discord.click(result.id, result.custom_ids()[0], user_id=user),
        await fake_discord.click(result.id, result.custom_ids()[4], user_id=user),
    ]
    for refused in refusals:
        assert (await answered(fake_discord, refused)).startswith("You've reached today's limit of 1 jobs")
    assert fake_discord.cdn_reads == [], "a refused describe does not even read its image"
    await submits_settled(bot)
    assert await bot.store.count_user_jobs(user) == jobs
    assert fake_mj.count(DESCRIBE) == 1 and fake_mj.count(IMAGINE) == 0


async def test_bad_inputs_are_answered_and_send_nothing(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("di")
    image = fake_discord.attach("cat.png", "image/png", png())
    text = fake_discord.attach("notes.png", "image/png", b"these are not pixels")
    cases = [
        ({"image": image, "link": "https://images.example.com/c.png"}, "Give an image or a link, not both."),
        ({}, "Attach an image or give a link to describe."),
        ({"image": text}, "**notes.png** is not an image the bot can use: attach a PNG, JPEG, WebP or GIF."),
        ({"link": "ftp://images.example.com/c.png"}, "The link must be a web address starting with"),
        ({"link": "   "}, "Attach an image or give a link to describe."),
    ]
    for options, said in cases:
        interaction = await describe(fake_discord, user, **options)
        assert (await answered(fake_discord, interaction)).startswith(said), options
    assert len(fake_discord.cdn_reads) == 1, "the image is read only when it is the only input"
    await submits_settled(bot)
    assert await bot.store.count_user_jobs(user) == 0
    assert fake_mj.count(DESCRIBE) == 0


async def test_a_large_image_is_sent_smaller(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("ed")
    noisy = Image.effect_noise((2600, 2600), 90).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    assert buffer.tell() > 4 * 1024 * 1024
    await describe(fake_discord, user, image=fake_discord.attach("big.png", "image/png", buffer.getvalue()))
    await finished(bot, fake_discord, user, "DESCRIBE")
    [sent] = upstream_bodies(fake_mj, DESCRIBE)
    prefix = "data:image/jpeg;base64,"
    assert sent["base64"].startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(sent["base64"].removeprefix(prefix)))) as small:
        assert max(small.size) == 2048


async def test_a_describe_without_mjs_retry_gets_the_bots_own(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    """trueai's partner emulation drops Retry unless there are five prompts (TaskInfo.SetDescribeButtions)."""
    user = fake_discord.add_user("fa")
    link = "https://images.example.com/gull.webp"
    fake_mj.set_duration("DESCRIBE", 3.0)
    await describe(fake_discord, user, link=link)
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(DESCRIBE) == 1)
    [task] = [t for t in fake_mj.upstream.tasks.values() if t.action == "DESCRIBE"]
    task.buttons = [b for b in task.buttons if "Picread" not in b["customId"]]
    _, result = await finished(bot, fake_discord, user, "DESCRIBE")
    assert labels(result) == [["1", "2", "3", "4", "🔄"]]
    await fake_discord.click(result.id, result.custom_ids()[4], user_id=user)
    await fake_discord.wait_for(lambda: len(upstream_bodies(fake_mj, DESCRIBE)) == 2)
    assert upstream_bodies(fake_mj, DESCRIBE)[1] == {"link": link}


async def test_a_user_who_takes_results_by_dm_gets_the_prompts_there(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("gi")
    await bot.store.set_defaults("user", user, Defaults(dm=True))
    started = await describe(fake_discord, user, image=fake_discord.attach("owl.png", "image/png", png()))
    job, result = await finished(bot, fake_discord, user, "DESCRIBE")
    assert job.dm and result in dm_messages(fake_discord, user)
    assert (private_text(fake_discord, started) or "").startswith("Started")
    await fake_discord.click(result.id, result.custom_ids()[0], user_id=user)
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(IMAGINE) == 1)
