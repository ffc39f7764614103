"""Animate (High/Low motion) under an upscale and Extend under a video, through POST /mj/submit/video:
what reaches trueai, the progress, the .mp4 at Discord, the links read, and every refusal."""

from __future__ import annotations

import base64

import pytest

from bot.app import MJBot
from bot.config import Settings
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.mj import FakeRelay
from tests.fakes.mj.images import make_mp4
from tests.fakes.mj.tasks import FakeTask
from tests.harness import running_bot
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, labels, replies_to
from tests.test_e2e_modals import button_id, upscaled

VIDEO = "POST /mj/submit/video"
IMAGE = "GET /mj/image/{id}"
SUCCESS_STYLE = 3  # a used button is green


def video_bodies(relay: FakeRelay) -> list[dict[str, object]]:
    """The /submit/video bodies trueai received (new-api passes the caller's body through)."""
    return [r.json for r in relay.upstream.requests if r.route == VIDEO]


def only_task(relay: FakeRelay, action: str) -> FakeTask:
    [task] = [t for t in relay.tasks.values() if t.action == action]
    return task


def mp4_of(message: FakeMessage) -> bytes:
    [attachment] = message.attachments
    assert attachment.filename.endswith(".mp4") and attachment.content_type == "video/mp4"
    return attachment.data


def style_of(message: FakeMessage, label: str) -> int:
    return int(next(b["style"] for b in message.buttons() if b.get("label") == label))


async def reply(fake_discord: FakeDiscord, message: FakeMessage, timeout: float = 30) -> FakeMessage:
    """The one reply to `message`, once it shows its final state (buttons or a failure)."""

    def settled() -> bool:
        found = replies_to(fake_discord, message)
        return bool(found) and (bool(found[0].components) or "Failed" in found[0].content)

    await fake_discord.wait_for(settled, timeout=timeout)
    [found] = replies_to(fake_discord, message)
    return found


async def animated(
    fake_discord: FakeDiscord, relay: FakeRelay, user: int, prompt: str, label: str
) -> tuple[FakeMessage, FakeMessage]:
    """An upscale, and the message of its Animate click (`label`), once that shows its result."""
    upscale = await upscaled(fake_discord, user, prompt)
    click = await fake_discord.click(upscale.id, button_id(upscale, label), user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert click.callbacks[0][0] == 6, "deferred: the start frame is fetched before the job is written"
    return upscale, await reply(fake_discord, upscale)


async def test_animate_high_sends_the_upscale_and_delivers_a_playable_video_with_extends(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.upstream.remix = True  # trueai: a Discord account animates only with Remix on
    fake_mj.set_duration("VIDEO", 4.0)
    user = fake_discord.add_user("vera")
    upscale, video = await animated(
        fake_discord, fake_mj, user, "a lighthouse --ar 3:2", "Animate (High motion)"
    )

    [body] = video_bodies(fake_mj)
    upscale_task = only_task(fake_mj, "UPSCALE")
    assert body.keys() == {"prompt", "image", "motion"} and body["motion"] == "high"
    assert body["prompt"] == "a lighthouse --ar 3:2", "the upscale's prompt"
    head, data = str(body["image"]).split(",", 1)
    assert head == "data:image/png;base64", "the upscale itself, as a data URL trueai uploads"
    assert base64.b64decode(data) == fake_mj.images[upscale_task.id]
    task = only_task(fake_mj, "VIDEO")
    assert task.prompt.startswith(f"{fake_mj.upstream.base_url}/cdn/") and "--motion high" in task.prompt

    shown = [text.rsplit("\n", 1)[-1] for text in video.history]
    assert any(line.endswith("%") for line in shown), "its progress shows like a grid's"
    assert mp4_of(video) == fake_mj.images[task.id] and mp4_of(video)[4:8] == b"ftyp"
    assert fake_mj.count(IMAGE) >= 2, "the start frame and the video, both through the relay"
    rows = labels(video)
    assert rows[0] == [*(f"Extend {n} (High motion)" for n in range(1, 5)), "🔄"]
    assert rows[1] == [f"Extend {n} (Low motion)" for n in range(1, 5)]
    assert not any(label.startswith("U") for row in rows for label in row), "video U1–U4 stay hidden"
    assert style_of(upscale, "Animate (High motion)") == SUCCESS_STYLE
    assert style_of(upscale, "Animate (Low motion)") != SUCCESS_STYLE

    [job, *_] = await bot.store.user_jobs(user, limit=1)
    shown = await fake_discord.invoke("show", {"job": job.id}, user_id=user)
    await fake_discord.wait_for(lambda: bool(shown.followups), timeout=20)
    assert mp4_of(fake_discord.messages[shown.followups[0]]) == fake_mj.images[task.id], (
        "/show posts it again"
    )


async def test_extend_sends_the_video_task_index_and_motion_and_delivers(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.upstream.remix = True
    user = fake_discord.add_user("otto")
    _, video = await animated(fake_discord, fake_mj, user, "a red kite", "Animate (Low motion)")
    assert video_bodies(fake_mj)[0]["motion"] == "low"
    video_task = only_task(fake_mj, "VIDEO")

    click = await fake_discord.click(video.id, button_id(video, "Extend 2 (Low motion)"), user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert click.callbacks[0][0] == 7, "the click marks its button used at once"
    extended = await reply(fake_discord, video)

    body = video_bodies(fake_mj)[1]
    assert body == {
        "prompt": "a red kite",
        "motion": "low",
        "action": "extend",
        "taskId": video_task.id,
        "index": 1,
    }
    [extend_task] = [t for t in fake_mj.tasks.values() if t.action == "VIDEO" and t.id != video_task.id]
    assert extend_task.description == "/video extend" and extend_task.parent_id == video_task.id
    assert mp4_of(extended) == fake_mj.images[extend_task.id]
    assert "Extend 1 (High motion)" in labels(extended)[0]
    assert style_of(video, "Extend 2 (Low motion)") == SUCCESS_STYLE


async def test_a_user_over_the_quota_is_refused_before_anything_is_asked(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.upstream.remix = True
    user = fake_discord.add_user("quinn")
    upscale = await upscaled(fake_discord, user, "a quiet harbour")
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=2))  # the grid and the upscale
    images = fake_mj.count(IMAGE)
    click = await fake_discord.click(upscale.id, button_id(upscale, "Animate (High motion)"), user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    assert ephemeral_text(click).startswith("You've reached today's limit of 2 jobs")
    assert fake_mj.count(VIDEO) == 0 and fake_mj.count(IMAGE) == images, "not even the image was fetched"
    assert len(await bot.store.user_jobs(user, limit=10)) == 2
    assert style_of(upscale, "Animate (High motion)") != SUCCESS_STYLE


@pytest.mark.parametrize(
    ("knob", "words"),
    [("remix", "未开启 REMIX，无法使用视频扩展功能"), ("video_enabled", "视频功能未启用")],
)
async def test_a_refused_video_ends_its_job_in_the_apis_words(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay, knob: str, words: str
) -> None:
    fake_mj.upstream.remix = True
    setattr(fake_mj.upstream, knob, False)
    user = fake_discord.add_user("rosa")
    upscale = await upscaled(fake_discord, user, "a paper boat")
    await fake_discord.click(upscale.id, button_id(upscale, "Animate (Low motion)"), user_id=user)
    failed = await reply(fake_discord, upscale)
    assert (
        f"The API cannot make videos right now ({words}). Its operator has to turn video on" in failed.content
    )
    assert not failed.attachments and fake_mj.count(VIDEO) == 1
    [job] = await bot.store.user_jobs(user, limit=1)
    assert job.status.is_charged is False, "a refused video is not counted"


async def test_the_video_links_the_api_names_are_read(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    """With trueai's EnableFillOfficialCdn, videoUrl (the attachment) and videoUrls (MJ's CDN, one per
    video) are filled: the bot reads them, the next when one is gone, not the relay's image route."""
    upstream = fake_mj.upstream
    upstream.remix = upstream.fill_official_cdn = True
    fake_mj.set_duration("VIDEO", 3.0)
    user = fake_discord.add_user("ida")
    upscale = await upscaled(fake_discord, user, "a glass bird")
    await fake_discord.click(upscale.id, button_id(upscale, "Animate (High motion)"), user_id=user)
    await fake_discord.wait_for(lambda: fake_mj.count(VIDEO) == 1, timeout=20)
    upstream.cdn_expired = 404  # the Discord attachment expires; MJ's own CDN still serves the videos
    images = fake_mj.count(IMAGE)
    video = await reply(fake_discord, upscale)

    task = only_task(fake_mj, "VIDEO")
    assert mp4_of(video) == make_mp4(f"{task.id}_0"), "the first of videoUrls"
    read = [r.path for r in upstream.requests if r.route.startswith("GET /cdn/")]
    assert f"/cdn/{task.id}.mp4" in read and f"/cdn/video/{task.job_hash}/0_0.mp4" in read
    [clip] = [r for r in upstream.requests if r.path == f"/cdn/video/{task.job_hash}/0_0.mp4"]
    assert "Authorization" not in clip.headers, "another host never sees the API key"
    assert fake_mj.count(IMAGE) == images, "the relay's route was not needed"


async def test_a_video_over_the_upload_limit_is_posted_as_its_link(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.upstream.remix = True
    big = make_mp4("big", size=3 * 2**20 // 2)

    def video_bytes(task_id: str) -> bytes | None:
        return big if fake_mj.tasks[task_id].action == "VIDEO" else None

    fake_mj.image_bytes_for = video_bytes
    user = fake_discord.add_user("lars")
    upscale = await upscaled(fake_discord, user, "a slow river")
    fake_discord.upload_limit = 2**20  # this channel takes 1 MiB
    await fake_discord.click(upscale.id, button_id(upscale, "Animate (High motion)"), user_id=user)
    video = await reply(fake_discord, upscale)
    task = only_task(fake_mj, "VIDEO")
    assert not video.attachments
    assert "larger than the 1 MiB upload limit" in video.content
    assert f"/mj/image/{task.id}" in video.content, "the link the relay gives as imageUrl"
    assert "Extend 1 (High motion)" in labels(video)[0], "it can still be extended"
    assert has_image(upscale)


async def test_an_image_the_api_no_longer_has_is_said_and_nothing_is_submitted(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.upstream.remix = True
    user = fake_discord.add_user("nils")
    upscale = await upscaled(fake_discord, user, "a faded map")
    fake_mj.upstream.cdn_expired = 404  # the upscale's Discord link expired
    click = await fake_discord.click(upscale.id, button_id(upscale, "Animate (High motion)"), user_id=user)
    await fake_discord.wait_for(lambda: bool(click.followups), timeout=20)
    note = fake_discord.messages[click.followups[0]]
    assert note.flags & 64 and note.content.startswith("The image to animate could not be fetched")
    assert fake_mj.count(VIDEO) == 0 and len(await bot.store.user_jobs(user, limit=10)) == 2
    assert style_of(upscale, "Animate (High motion)") != SUCCESS_STYLE, "it can be clicked again"


async def test_extend_buttons_work_after_a_restart(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.upstream.remix = True
    async with running_bot(settings, fake_discord):
        user = fake_discord.add_user("pia")
        _, video = await animated(fake_discord, fake_mj, user, "a tin robot", "Animate (High motion)")
    video_task = only_task(fake_mj, "VIDEO")

    async with running_bot(settings, fake_discord):
        await fake_discord.click(video.id, button_id(video, "Extend 4 (High motion)"), user_id=user)
        extended = await reply(fake_discord, video)
    assert video_bodies(fake_mj)[1] == {
        "prompt": "a tin robot",
        "motion": "high",
        "action": "extend",
        "taskId": video_task.id,
        "index": 3,
    }
    assert extended.attachments[0].filename.endswith(".mp4")
