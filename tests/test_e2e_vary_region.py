"""Vary (Region) through the real client, with the region picked from the private list (a modal cannot
draw): the relay gets the Inpaint click (code 21, a window), then the window's prompt with a mask the
size of the upscale's image, white where the region is. Every refusal comes before any request."""

from __future__ import annotations

import base64
import io

from PIL import Image

from bot.app import MJBot
from bot.config import Settings
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakes.mj import FakeRelay
from tests.harness import running_bot
from tests.test_e2e_clicks import ephemeral_text
from tests.test_e2e_imagine import has_image, replies_to
from tests.test_e2e_modals import button_id, modal_value, upscaled

ACTION = "POST /mj/submit/action"
MODAL = "POST /mj/submit/modal"
IMAGE_SIZE = (320, 192)  # not square, not the fake's default: the mask must follow the real image


def inpaint_clicks(relay: FakeRelay) -> list[dict[str, object]]:
    """The Inpaint clicks trueai (behind new-api) received."""
    return [
        r.json
        for r in relay.upstream.requests
        if r.route == ACTION and str(r.json.get("customId", "")).startswith("MJ::Inpaint::")
    ]


def upstream_modals(relay: FakeRelay) -> list[dict[str, object]]:
    return [r.json for r in relay.upstream.requests if r.route == MODAL]


def decoded_mask(data_url: object) -> Image.Image:
    assert isinstance(data_url, str) and data_url.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    assert image.format == "PNG"
    return image.convert("L")


def region_style(upscale: FakeMessage) -> int:
    return int(next(b for b in upscale.buttons() if b.get("label") == "Vary (Region)")["style"])


async def click_region(fake_discord: FakeDiscord, upscale: FakeMessage, user: int) -> FakeInteraction:
    click = await fake_discord.click(upscale.id, button_id(upscale, "Vary (Region)"), user_id=user)
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    return click


def picker_of(fake_discord: FakeDiscord, click: FakeInteraction) -> FakeMessage:
    """The private answer to a Vary (Region) click: its list of regions (and maybe the editor's link)."""
    assert click.ephemeral and click.message_id is not None, "the click was not answered privately"
    message = fake_discord.messages[click.message_id]
    assert len(message.selects()) == 1, "no list of regions"
    return message


async def pick(fake_discord: FakeDiscord, picker: FakeMessage, user: int, region: str) -> FakeInteraction:
    [menu] = picker.selects()
    chosen = await fake_discord.select(picker.id, menu["custom_id"], [region], user_id=user)
    await fake_discord.wait_for(lambda: bool(chosen.callbacks))
    return chosen


async def test_left_half_sends_the_inpaint_click_then_the_prompt_and_a_left_half_mask(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    fake_mj.image_size = IMAGE_SIZE
    user = fake_discord.add_user("ada")
    upscale = await upscaled(fake_discord, user, "a red barn")
    click = await click_region(fake_discord, upscale, user)
    picker = picker_of(fake_discord, click)
    assert [o["label"] for o in picker.selects()[0]["options"]][:2] == ["Left half", "Right half"]
    assert not [b for b in picker.buttons() if b.get("url")], "no editor link without PUBLIC_BASE_URL"

    chosen = await pick(fake_discord, picker, user, "left")
    assert modal_value(chosen) == "a red barn", "the window starts from the upscale's prompt"
    assert inpaint_clicks(fake_mj) == [], "nothing is sent before the window's prompt"

    sent = await fake_discord.submit_modal(chosen, {"text": "a blue barn"})
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=20
    )
    [result] = replies_to(fake_discord, upscale)
    assert result.content.startswith("**Vary (Region)** of *a red barn*")
    assert "<#" in str(fake_discord.messages[sent.message_id or 0].content), "the user is told where it shows"

    [inpaint] = inpaint_clicks(fake_mj)
    [modal] = upstream_modals(fake_mj)
    window = next(t for t in fake_mj.tasks.values() if t.mask is not None)
    assert modal["taskId"] == window.id and modal["prompt"] == "a blue barn"
    assert str(inpaint["customId"]).endswith("::SOLO")
    mask = decoded_mask(modal["maskBase64"])
    width, height = IMAGE_SIZE
    assert mask.size == IMAGE_SIZE
    assert mask.getpixel((0, 0)) == mask.getpixel((width // 2 - 1, height - 1)) == 255
    assert mask.getpixel((width // 2, 0)) == mask.getpixel((width - 1, height - 1)) == 0
    assert sum(mask.histogram()[1:255]) == 0, "only black and white"
    await fake_discord.wait_for(lambda: region_style(upscale) == 3)  # green: used, like other clicks

    again = await click_region(fake_discord, upscale, user)
    assert "already submitted" in ephemeral_text(again), "a used Vary (Region) links to its job"
    assert len(inpaint_clicks(fake_mj)) == 1


async def test_another_users_click_follows_the_servers_rule(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    owner = fake_discord.add_user("owner")
    stranger = fake_discord.add_user("stranger")
    upscale = await upscaled(fake_discord, owner, "a quiet harbour")
    refused = await click_region(fake_discord, upscale, stranger)
    assert f"Only <@{owner}> can use these buttons" in ephemeral_text(refused)

    await bot.policies.set(fake_discord.guild_id, GuildPolicy(anyone_clicks=True))
    allowed = await click_region(fake_discord, upscale, stranger)
    chosen = await pick(fake_discord, picker_of(fake_discord, allowed), stranger, "topright")
    await fake_discord.submit_modal(chosen, {"text": "a lighthouse"})
    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=20
    )
    [modal] = upstream_modals(fake_mj)
    mask = decoded_mask(modal["maskBase64"])
    assert mask.getpixel((mask.width - 1, 0)) == 255 and mask.getpixel((0, 0)) == 0
    assert mask.getpixel((mask.width - 1, mask.height - 1)) == 0
    [result] = replies_to(fake_discord, upscale)
    assert f"<@{stranger}>" in result.content, "the job is the clicker's"


async def test_an_over_quota_user_is_refused_before_any_request(
    bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("max")
    upscale = await upscaled(fake_discord, user, "a tall cactus")  # two jobs: the grid and U1
    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=3))
    click = await click_region(fake_discord, upscale, user)
    chosen = await pick(fake_discord, picker_of(fake_discord, click), user, "centre")

    await bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=2))  # the quota shrank meanwhile
    late = await fake_discord.submit_modal(chosen, {"text": "a flower"})
    await fake_discord.wait_for(lambda: bool(late.callbacks))
    assert "today's limit of 2 jobs" in ephemeral_text(late)
    refused = await click_region(fake_discord, upscale, user)
    assert "today's limit of 2 jobs" in ephemeral_text(refused)
    assert not fake_discord.messages[refused.message_id or 0].selects(), "no list for a refused user"
    assert inpaint_clicks(fake_mj) == [] and upstream_modals(fake_mj) == []
    assert region_style(upscale) == 2


async def test_the_list_and_its_window_work_after_a_restart(
    settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    async with running_bot(settings, fake_discord):
        user = fake_discord.add_user("ren")
        upscale = await upscaled(fake_discord, user, "a paper boat")
        click = await click_region(fake_discord, upscale, user)
    async with running_bot(settings, fake_discord):
        chosen = await pick(fake_discord, picker_of(fake_discord, click), user, "bottom")
        await fake_discord.submit_modal(chosen, {"text": "a paper boat on waves"})
        await fake_discord.wait_for(
            lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=20
        )
    [modal] = upstream_modals(fake_mj)
    mask = decoded_mask(modal["maskBase64"])
    assert mask.getpixel((0, mask.height - 1)) == 255 and mask.getpixel((0, 0)) == 0
