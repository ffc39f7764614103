"""The Vary (Region) editor page, in a real headless Chromium driven by Playwright: the user paints a
region over the image and submits; the relay gets the Inpaint click and a mask white exactly where the
brush went. Its links are signed, short-lived and single-use, and the page re-checks the quota.

Chromium is the Debian package (.ci/run installs it); Playwright never downloads a browser here.
"""

from __future__ import annotations

import asyncio
import base64
import io
import shutil
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Browser, async_playwright

from bot.app import MJBot
from bot.config import Settings
from bot.policy import GuildPolicy
from tests.fakes.discord import FakeDiscord, FakeMessage
from tests.fakes.mj import FakeRelay
from tests.harness import STATE_POLL, running_bot
from tests.test_e2e_imagine import has_image, replies_to
from tests.test_e2e_modals import upscaled
from tests.test_e2e_vary_region import (
    IMAGE_SIZE,
    click_region,
    decoded_mask,
    inpaint_clicks,
    picker_of,
    region_style,
    upstream_modals,
)

CHROMIUM = shutil.which("chromium") or "chromium"  # Debian's package; .ci/run installs it
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def listening(port: int, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(STATE_POLL)
                continue
            writer.close()
            await writer.wait_closed()
            return


@pytest.fixture
def editor_settings(settings: Settings) -> Settings:
    port = free_port()
    return replace(settings, public_base_url=f"http://127.0.0.1:{port}", web_port=port)


@pytest.fixture
async def editor_bot(editor_settings: Settings, fake_discord: FakeDiscord) -> AsyncIterator[MJBot]:
    async with running_bot(editor_settings, fake_discord) as bot:
        await listening(editor_settings.web_port)
        yield bot


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def editor_link(fake_discord: FakeDiscord, upscale: FakeMessage, user: int) -> str:
    picker = picker_of(fake_discord, await click_region(fake_discord, upscale, user))
    [url] = [str(b["url"]) for b in picker.buttons() if b.get("url")]
    return url


def mask_url(size: tuple[int, int]) -> str:
    image = Image.new("L", size, 0)
    image.paste(255, (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


async def post(url: str, body: object) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_a_painted_region_reaches_the_relay_as_the_mask(
    editor_bot: MJBot,
    editor_settings: Settings,
    fake_discord: FakeDiscord,
    fake_mj: FakeRelay,
    browser: Browser,
) -> None:
    fake_mj.image_size = IMAGE_SIZE
    user = fake_discord.add_user("pia")
    upscale = await upscaled(fake_discord, user, "a red barn")
    url = await editor_link(fake_discord, upscale, user)
    assert url.startswith(f"{editor_settings.public_base_url}/region/")

    page = await browser.new_page()
    await page.goto(url)
    await page.wait_for_selector("body[data-ready='1']")
    assert fake_mj.api_key not in await page.content()
    assert await page.input_value("#prompt") == "a red barn"
    await page.eval_on_selector("#brush", "brush => { brush.value = 24; }")
    box = await page.locator("#paint").bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    await page.mouse.move(box["x"] + box["width"] * 0.1, y)
    await page.mouse.down()
    await page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=12)
    await page.mouse.up()
    await page.fill("#prompt", "a golden barn")
    await page.click("#submit")
    await page.wait_for_selector("#status[data-ok='1']")
    assert "Vary (Region) started" in await page.inner_text("#status")

    await fake_discord.wait_for(
        lambda: any(has_image(m) for m in replies_to(fake_discord, upscale)), timeout=20
    )
    [result] = replies_to(fake_discord, upscale)
    assert result.content.startswith("**Vary (Region)** of *a red barn*") and f"<@{user}>" in result.content
    await fake_discord.wait_for(lambda: region_style(upscale) == 3)
    assert len(inpaint_clicks(fake_mj)) == 1
    [modal] = upstream_modals(fake_mj)
    assert modal["prompt"] == "a golden barn"
    mask = decoded_mask(modal["maskBase64"])
    width, height = IMAGE_SIZE
    assert mask.size == IMAGE_SIZE, "the mask is the image's real size"
    assert sum(mask.histogram()[1:255]) == 0, "only black and white"
    radius = 24 * width / box["width"] / 2  # the brush, in image pixels
    assert mask.getpixel((int(width * 0.2), height // 2)) == 255, "white where the brush went"
    left, top, right, bottom = mask.getbbox() or (0, 0, 0, 0)
    assert width * 0.1 - radius - 2 <= left and right <= width * 0.3 + radius + 2
    assert height / 2 - radius - 2 <= top and bottom <= height / 2 + radius + 2
    assert mask.getpixel((width - 1, height - 1)) == mask.getpixel((0, 0)) == 0, "black elsewhere"

    status, answer = await post(url, {"prompt": "again", "mask": mask_url(IMAGE_SIZE)})
    assert status == 410 and "already used" in str(answer["message"])
    await page.reload()
    assert "already used" in await page.inner_text("#status")
    assert len(inpaint_clicks(fake_mj)) == 1


async def test_expired_and_forged_links_are_refused(
    editor_settings: Settings, fake_discord: FakeDiscord, fake_mj: FakeRelay, browser: Browser
) -> None:
    quick = replace(editor_settings, editor_link_ttl=3.0)
    async with running_bot(quick, fake_discord):
        await listening(quick.web_port)
        user = fake_discord.add_user("zoe")
        upscale = await upscaled(fake_discord, user, "a stone bridge")
        url = await editor_link(fake_discord, upscale, user)
        assert (await get(url))[0] == 200, "the genuine link works, until it expires"
        nonce, expires, signature = url.rsplit("/", 1)[1].split(".")
        forged = url.rsplit(".", 1)[0] + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
        longer = url.rsplit("/", 1)[0] + f"/{nonce}.{int(expires) + 3600}.{signature}"
        for bad in (forged, longer):
            assert (await get(bad))[0] == 403
            status, answer = await post(bad, {"prompt": "x", "mask": mask_url(IMAGE_SIZE)})
            assert status == 403 and "not valid" in str(answer["message"])
            assert (await get(bad + "/image"))[0] == 403, "no image without a genuine link"
        # A real passage of time: the link's own lifetime.
        await asyncio.sleep(max(0.0, int(expires) - time.time()) + 0.05)
        status, answer = await post(url, {"prompt": "x", "mask": mask_url(IMAGE_SIZE)})
        assert status == 410 and "expired" in str(answer["message"])
        page = await browser.new_page()
        await page.goto(url)
        assert "expired" in await page.inner_text("#status")
    assert inpaint_clicks(fake_mj) == [] and upstream_modals(fake_mj) == []
    with pytest.raises(OSError):  # the editor's server stopped with the bot
        await asyncio.open_connection("127.0.0.1", quick.web_port)


async def test_the_page_rechecks_the_quota_and_speaks_the_clickers_language(
    editor_bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay, browser: Browser
) -> None:
    user = fake_discord.add_user("li")
    upscale = await upscaled(fake_discord, user, "a tea house")  # two jobs: the grid and U1
    click = await fake_discord.click(
        upscale.id,
        next(b["custom_id"] for b in upscale.buttons() if b.get("label") == "Vary (Region)"),
        user_id=user,
        locale="zh-CN",
    )
    await fake_discord.wait_for(lambda: bool(click.callbacks))
    [url] = [str(b["url"]) for b in picker_of(fake_discord, click).buttons() if b.get("url")]
    page = await browser.new_page()
    await page.goto(url)
    await page.wait_for_selector("body[data-ready='1']")
    assert "画笔大小" in await page.content()

    await editor_bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=2))
    await page.fill("#prompt", "")
    await page.click("#submit")
    await page.wait_for_selector("#status[data-ok='0']")
    assert "提示词为空" in await page.inner_text("#status"), "an empty prompt, told in the clicker's language"
    status, answer = await post(url, {"prompt": "a pagoda", "mask": mask_url((256, 256))})
    assert status == 403 and "额度已用完" in str(answer["message"]) and answer["retry"] is True
    assert inpaint_clicks(fake_mj) == [], "refused before any request"

    await editor_bot.policies.set(fake_discord.guild_id, GuildPolicy(daily_quota=3))
    status, answer = await post(url, {"prompt": "a pagoda", "mask": mask_url((256, 256))})
    assert status == 200 and answer["ok"] is True, "a refused post did not spend the link"
    await fake_discord.wait_for(lambda: len(upstream_modals(fake_mj)) == 1, timeout=20)


async def test_a_clicker_who_left_the_server_spends_nothing(
    editor_bot: MJBot, fake_discord: FakeDiscord, fake_mj: FakeRelay
) -> None:
    user = fake_discord.add_user("gone")
    upscale = await upscaled(fake_discord, user, "a windmill")
    url = await editor_link(fake_discord, upscale, user)
    fake_discord.departed.add(user)
    status, answer = await post(url, {"prompt": "a windmill at dusk", "mask": mask_url((256, 256))})
    assert status == 403 and "no longer a member" in str(answer["message"])
    assert inpaint_clicks(fake_mj) == [] and upstream_modals(fake_mj) == []
    assert region_style(upscale) == 2
