"""/blend: 2–5 attached images become one grid, admitted like /imagine and delivered like one, through
the real discord.py client, the fake Discord and the fake relay (new-api in front of trueai)."""

from __future__ import annotations

from bot import render
from bot.app import MJBot
from bot.models import Defaults, Mode
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.harness import submits_settled
from tests.images_helpers import decode_data_url, picture
from tests.test_e2e_direct_messages import dm_messages
from tests.test_e2e_image_prompts import answered, posted, submits, upstream_bodies
from tests.test_e2e_imagine import GRID_EXTRAS, has_image, labels, replies_to

BLEND = "POST /mj/submit/blend"
ACTION = "POST /mj/submit/action"


async def test_blend_delivers_a_grid_whose_buttons_work(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("bea")
    data = [picture((60, 40), "PNG", "red"), picture((50, 50), "JPEG", "blue"), picture((30, 70), "WEBP")]
    files = [fake_discord.attach(f"{n}.img", "image/png", d) for n, d in enumerate(data)]
    options = {"image1": files[0], "image2": files[1], "image3": files[2], "dimensions": "LANDSCAPE"}
    command = await fake_discord.invoke("blend", {**options, "mode": Mode.RELAX.value}, user_id=user)
    grid = await posted(fake_discord, command)
    assert command.ack_latency is not None and command.ack_latency < 3.0
    assert grid.content.startswith(f"**🖼️🖼️🖼️ --ar 3:2** — <@{user}>")
    await fake_discord.wait_for(lambda: has_image(grid), timeout=20)
    assert labels(grid) == [["U1", "U2", "U3", "U4", "🔄"], ["V1", "V2", "V3", "V4"], GRID_EXTRAS]

    [body] = upstream_bodies(fake_mj, BLEND)
    assert body["dimensions"] == "LANDSCAPE"
    sent = [decode_data_url(str(url)) for url in body["base64Array"]]  # type: ignore[union-attr]
    assert sent == [("image/png", data[0]), ("image/jpeg", data[1]), ("image/webp", data[2])]
    [task] = fake_mj.upstream.tasks.values()
    assert task.action == "BLEND"
    # A blend has no prompt for a --relax flag: its mode goes as accountFilter, which new-api passes on
    # only when its operator allows it (service/midjourney.go).
    [sent] = [r.json for r in fake_mj.requests if r.route == BLEND]
    assert sent["accountFilter"] == {"modes": ["RELAX"]}

    click = await fake_discord.click(grid.id, grid.custom_ids()[0], user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(ACTION) == 1, timeout=15)
    u1 = next(b for b in task.buttons if b["label"] == "U1")
    assert upstream_bodies(fake_mj, ACTION)[0]["customId"] == u1["customId"]
    await fake_discord.wait_for(lambda: any(has_image(m) for m in replies_to(fake_discord, grid)), timeout=20)


async def test_blend_with_a_file_that_is_not_an_image_is_refused(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("ned")
    good = fake_discord.attach("good.png", "image/png", picture())
    bad = fake_discord.attach("song.mp3", "audio/mpeg", b"ID3\x03\x00 not a picture")
    command = await fake_discord.invoke("blend", {"image1": good, "image2": bad}, user_id=user)
    text = await answered(fake_discord, command)
    assert text == "**song.mp3** is not an image the bot can use: attach a PNG, JPEG, WebP or GIF."
    await submits_settled(bot)
    assert submits(fake_mj) == [] and await bot.store.count_user_jobs(user) == 0


async def test_blend_over_quota_is_refused_before_anything_is_read_or_sent(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=1))
    user = fake_discord.add_user("olga")
    a = fake_discord.attach("a.png", "image/png", picture(color="red"))
    b = fake_discord.attach("b.png", "image/png", picture(color="green"))
    first = await fake_discord.invoke("blend", {"image1": a, "image2": b}, user_id=user)
    await posted(fake_discord, first)
    await fake_discord.wait_for(lambda: fake_mj.upstream.count(BLEND) == 1, timeout=15)
    reads = list(fake_discord.cdn_reads)

    second = await fake_discord.invoke("blend", {"image1": a, "image2": b}, user_id=user)
    assert "today's limit of 1 jobs" in await answered(fake_discord, second)
    await submits_settled(bot)
    assert submits(fake_mj) == [BLEND] and fake_discord.cdn_reads == reads
    [body] = upstream_bodies(fake_mj, BLEND)
    assert body["dimensions"] == "SQUARE", "square when omitted"


async def test_blend_by_direct_message(bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay) -> None:
    user = fake_discord.add_user("dmitri")
    await bot.store.set_defaults("user", user, Defaults(dm=True))
    a = fake_discord.attach("a.png", "image/png", picture(color="red"))
    b = fake_discord.attach("b.png", "image/png", picture(color="green"))
    command = await fake_discord.invoke(
        "blend", {"image1": a, "image2": b, "dimensions": "PORTRAIT"}, user_id=user
    )
    assert "by direct message" in await answered(fake_discord, command)
    assert command.ephemeral
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in dm_messages(fake_discord, user)), timeout=20
    )
    assert upstream_bodies(fake_mj, BLEND)[0]["dimensions"] == "PORTRAIT"


async def test_blend_is_named_in_chinese(bot: MJBot, fake_discord: FakeDiscord) -> None:
    [blend] = [c for c in fake_discord.commands(fake_discord.guild_id) if c["name"] == "blend"]
    assert blend["name_localizations"]["zh-CN"] == "混合"
    options = {o["name"]: o for o in blend["options"]}
    assert [o["name"] for o in blend["options"]][:2] == ["image1", "image2"]
    assert options["image1"]["required"] and not options["image3"].get("required")
    assert all(options[f"image{n}"]["type"] == 11 for n in range(1, 6))
    assert options["dimensions"]["name_localizations"]["zh-CN"] == "尺寸"
    [imagine] = [c for c in fake_discord.commands(fake_discord.guild_id) if c["name"] == "imagine"]
    refs = {o["name"]: o for o in imagine["options"] if o["name"] in ("style_ref", "omni_ref")}
    assert refs["style_ref"]["name_localizations"]["zh-CN"] == "风格参考"
    assert refs["omni_ref"]["name_localizations"]["zh-CN"] == "全能参考"


def test_a_blend_is_laid_out_as_a_grid() -> None:
    ids = [f"MJ::JOB::variation::{n}::h" for n in range(1, 5)] + ["MJ::JOB::reroll::0::h::SOLO"]
    ids += [f"MJ::JOB::upsample::{n}::h" for n in range(1, 5)]
    assert render.layout_rows(ids, "BLEND") == [[5, 6, 7, 8, 4], [0, 1, 2, 3]]
