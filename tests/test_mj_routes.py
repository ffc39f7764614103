"""The MJ client's routes beyond imagine and action, against new-api in front of trueai on 127.0.0.1:
the bodies as trueai's DTOs read them, and the answers as the relay gives them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.mj.client import MJClient
from bot.mj.errors import MJTaskNotFound, MJUpstreamUnreachable
from bot.mj.models import Task, TaskStatus
from tests.fakes.mj import FakeRelay

PNG = "data:image/png;base64,iVBORw0KGgo="


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    fake = FakeRelay(refresh_period=0.1, default_duration=0.2, queue_delay=0.02)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def mj(relay: FakeRelay) -> AsyncIterator[MJClient]:
    async with aiohttp.ClientSession() as session:
        yield MJClient(session, relay.base_url, relay.api_key, user_agent="routes-test/1.0", backoff=0.01)


def upstream_body(relay: FakeRelay, route: str) -> object:
    return [r.json for r in relay.upstream.requests if r.route == route][-1]


async def finished(mj: MJClient, task_id: str) -> Task:
    async with asyncio.timeout(10):
        while True:
            task = await mj.fetch(task_id)
            if task.status.is_terminal:
                return task
            await asyncio.sleep(0.05)


async def test_image_prompts_go_as_base64_array(mj: MJClient, relay: FakeRelay) -> None:
    result = await mj.submit_imagine("a cat", images=[PNG, PNG])
    assert result.accepted
    body = upstream_body(relay, "POST /mj/submit/imagine")
    assert body == {"prompt": "a cat", "base64Array": [PNG, PNG]}
    plain = await mj.submit_imagine("a dog")
    assert plain.accepted
    assert "base64Array" not in upstream_body(relay, "POST /mj/submit/imagine")  # type: ignore[operator]


async def test_describe_blend_shorten_and_video_bodies(mj: MJClient, relay: FakeRelay) -> None:
    assert (await mj.submit_describe(image=PNG)).accepted
    assert upstream_body(relay, "POST /mj/submit/describe") == {"base64": PNG}
    assert (await mj.submit_describe(link="https://example.invalid/cat.png")).accepted
    assert upstream_body(relay, "POST /mj/submit/describe") == {"link": "https://example.invalid/cat.png"}
    assert (await mj.submit_blend([PNG, PNG, PNG], dimensions="PORTRAIT")).accepted
    assert upstream_body(relay, "POST /mj/submit/blend") == {
        "base64Array": [PNG] * 3,
        "dimensions": "PORTRAIT",
    }
    assert (await mj.submit_shorten("a very long prompt about a cat")).accepted
    relay.upstream.remix = True  # trueai TaskService.SubmitVideo: a Discord account needs Remix on
    assert (await mj.submit_video("a cat", image="https://example.invalid/u.png", motion="high")).accepted
    body = upstream_body(relay, "POST /mj/submit/video")
    assert body == {"prompt": "a cat", "image": "https://example.invalid/u.png", "motion": "high"}
    with pytest.raises(ValueError):
        await mj.submit_blend([PNG], dimensions="SQUARE")


async def test_a_describe_answers_four_numbered_prompts(mj: MJClient) -> None:
    result = await mj.submit_describe(image=PNG)
    assert result.task_id is not None
    task = await finished(mj, result.task_id)
    assert task.status is TaskStatus.SUCCESS
    text = task.final_prompt or task.prompt_en
    assert [line[:1] for line in text.split("\n") if line.strip()] == ["1", "2", "3", "4"]


async def test_upload_answers_links_in_order(mj: MJClient) -> None:
    urls = await mj.upload_images([PNG, PNG])
    assert len(urls) == 2 and all(url.startswith("http") for url in urls) and urls[0] != urls[1]


async def test_the_seed_of_a_finished_task(mj: MJClient, relay: FakeRelay) -> None:
    result = await mj.submit_imagine("a cat")
    assert result.task_id is not None
    await finished(mj, result.task_id)
    # new-api b44c1304 forwards image-seed without mj-api-secret (RelayMidjourneyTaskImageSeed sets the
    # request's Authorization, which DoMidjourneyHttpRequest does not read): trueai refuses it (401, not
    # JSON) unless its guest access is on, and the relay answers code 5.
    with pytest.raises(MJUpstreamUnreachable):
        await mj.image_seed(result.task_id)
    relay.upstream.guest = True
    seed = await mj.image_seed(result.task_id)
    assert seed.isdigit()
    with pytest.raises(MJTaskNotFound):
        await mj.image_seed("1234567890")  # new-api: task_no_found


async def test_a_region_mask_reaches_the_window(mj: MJClient, relay: FakeRelay) -> None:
    result = await mj.submit_imagine("a cat")
    assert result.task_id is not None
    grid = await finished(mj, result.task_id)
    upscale = await mj.submit_action(grid.id, grid.buttons[0].custom_id)
    assert upscale.task_id is not None
    single = await finished(mj, upscale.task_id)
    region = next(b for b in single.buttons if b.custom_id.startswith("MJ::Inpaint::"))
    window = await mj.submit_action(single.id, region.custom_id)
    assert window.needs_modal and window.task_id is not None
    confirmed = await mj.submit_modal(window.task_id, "a red hat", mask=PNG)
    assert confirmed.accepted
    assert upstream_body(relay, "POST /mj/submit/modal") == {
        "taskId": window.task_id,
        "prompt": "a red hat",
        "maskBase64": PNG,
    }
