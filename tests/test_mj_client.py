"""The MJ client against the fake MJ API on 127.0.0.1: headers, codes, retries and typed errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from PIL import Image

from bot.mj.client import MJClient
from bot.mj.errors import (
    MJAuthError,
    MJBatchUnsupported,
    MJImageTooLarge,
    MJSubmitUncertain,
    MJTransientError,
    MJUserAgentRefused,
)
from bot.mj.models import SubmitResult, Task, TaskStatus
from tests.fakes.mj_api import FakeMJ

SPEC_TASK = {
    "id": "1781524258075013",
    "action": "IMAGINE",
    "prompt": "a futuristic cityscape at sunset --v 6.1",
    "promptEn": "a futuristic cityscape at sunset --v 6.1",
    "description": "提交成功",
    "status": "SUCCESS",
    "progress": "100%",
    "submitTime": 1781524258075,
    "startTime": 1781524259689,
    "finishTime": 1781524294590,
    "imageUrl": "www.yourdomain.com/mj/image/1781524258075013",
    "failReason": "",
    "buttons": [
        {"customId": "MJ::JOB::upsample::1::675515df-961f-411e-8e9b-d81ac68427f5", "emoji": "", "label": "U1", "type": 2, "style": 2},
        {"customId": "MJ::JOB::reroll::0::675515df-961f-411e-8e9b-d81ac68427f5::SOLO", "emoji": "🔄", "label": "", "type": 2, "style": 2},
    ],
    "properties": {"finalPrompt": "a futuristic cityscape at sunset --v 6.1 --fast", "finalZhPrompt": ""},
}  # fmt: skip


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(fake_mj: FakeMJ, session: aiohttp.ClientSession) -> MJClient:
    return MJClient(
        session, fake_mj.base_url, fake_mj.api_key, user_agent="mj-bot-test/1", timeout=1.0, backoff=0.01
    )


def test_models_parse_the_spec_example() -> None:
    task = Task.from_api(SPEC_TASK)
    assert task.status is TaskStatus.SUCCESS and task.progress == 100
    assert task.buttons[1].emoji == "🔄" and task.buttons[1].custom_id.endswith("::SOLO")
    assert task.final_prompt == "a futuristic cityscape at sunset --v 6.1 --fast"
    assert task.finish_time is not None and task.finish_time.year == 2026
    queued = SubmitResult.from_api(
        {
            "code": 1,
            "description": "排队中,前面还有5个任务",
            "result": "1781524431429700",
            "properties": {"numberOfQueues": 5},
        }
    )
    assert queued.accepted and queued.task_id == "1781524431429700" and queued.queue_position == 5


async def test_imagine_then_poll_to_success(client: MJClient, fake_mj: FakeMJ) -> None:
    fake_mj.default_duration = 0.4
    result = await client.submit_imagine("a cat")
    assert result.accepted and result.task_id
    seen = []
    while True:
        task = await client.fetch(result.task_id)
        seen.append(task.progress)
        if task.status.is_terminal:
            break
        await asyncio.sleep(0.05)
    assert task.status is TaskStatus.SUCCESS and len(task.buttons) == 9
    assert seen == sorted(seen)
    [request] = [r for r in fake_mj.requests if r.route == "POST /mj/submit/imagine"]
    assert request.headers["Authorization"] == "Bearer <redacted>"  # sent, and redacted by the fake's log
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["User-Agent"] == "mj-bot-test/1"
    data, content_type = await client.download_image(task.id, max_bytes=10**7)
    assert content_type == "image/png"
    with Image.open(__import__("io").BytesIO(data)) as image:
        assert image.size == fake_mj.image_size
    with pytest.raises(MJImageTooLarge):
        await client.download_image(task.id, max_bytes=100)


async def test_options_are_sent_only_when_given(client: MJClient, fake_mj: FakeMJ) -> None:
    await client.submit_imagine("a", bot_type="NIJI_JOURNEY", modes=["RELAX"])
    await client.submit_imagine("b")
    bodies = [r.json for r in fake_mj.requests if r.route == "POST /mj/submit/imagine"]
    assert bodies == [
        {"prompt": "a", "botType": "NIJI_JOURNEY", "accountFilter": {"modes": ["RELAX"]}},
        {"prompt": "b"},
    ]


@pytest.mark.parametrize(
    ("marker", "code"), [("[code22]", 22), ("[code23]", 23), ("[code24:gore]", 24)]
)  # fmt: skip
async def test_submit_codes(client: MJClient, marker: str, code: int) -> None:
    result = await client.submit_imagine(f"x {marker}")
    assert result.code == code
    assert result.accepted == (code == 22)
    if code == 22:
        assert result.queue_position == 5
    if code == 24:
        assert result.banned_word == "gore" and result.task_id is None


async def test_action_sends_a_long_custom_id_verbatim(client: MJClient, fake_mj: FakeMJ) -> None:
    fake_mj.default_duration = 0.1
    grid = await client.submit_imagine("a cat")
    assert grid.task_id
    await asyncio.sleep(0.3)
    upscale = await client.submit_action(
        grid.task_id, (await client.fetch(grid.task_id)).buttons[0].custom_id
    )
    assert upscale.task_id
    await asyncio.sleep(0.3)
    long_id = next(
        b.custom_id for b in (await client.fetch(upscale.task_id)).buttons if len(b.custom_id) > 100
    )
    result = await client.submit_action(upscale.task_id, long_id)
    assert result.code == 1
    assert fake_mj.requests[-1].json == {"taskId": upscale.task_id, "customId": long_id}


async def test_batch_fetch_and_its_absence(client: MJClient, fake_mj: FakeMJ) -> None:
    ids = [(await client.submit_imagine(f"p{i}")).task_id or "" for i in range(3)]
    assert sorted(t.id for t in await client.fetch_many(ids)) == sorted(ids)
    fake_mj.batch_enabled = False
    with pytest.raises(MJBatchUnsupported):
        await client.fetch_many(ids)


async def test_wrong_key_and_missing_user_agent(fake_mj: FakeMJ, session: aiohttp.ClientSession) -> None:
    wrong = MJClient(session, fake_mj.base_url, "wrong-secret-key", user_agent="x")
    with pytest.raises(MJAuthError) as caught:
        await wrong.submit_imagine("a")
    assert "wrong-secret-key" not in str(caught.value) and "wrong-secret-key" not in repr(wrong)
    async with aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as bare:
        no_agent = MJClient(bare, fake_mj.base_url, fake_mj.api_key, user_agent="")
        no_agent._headers.pop("User-Agent")
        with pytest.raises(MJUserAgentRefused):
            await no_agent.fetch("1")


@pytest.mark.parametrize("fault", ["500", "502", "garbage", "html", "missing_fields", "reset", "hang"])
async def test_fetch_survives_transient_faults(client: MJClient, fake_mj: FakeMJ, fault: str) -> None:
    task_id = (await client.submit_imagine("a")).task_id or ""
    fake_mj.fail_next("GET /mj/task/{id}/fetch", fault, times=2)
    task = await client.fetch(task_id)
    assert task.id == task_id
    assert fake_mj.count("GET /mj/task/{id}/fetch") == 3


@pytest.mark.parametrize("fault", ["hang", "reset", "500"])
async def test_submit_is_never_blindly_retried(client: MJClient, fake_mj: FakeMJ, fault: str) -> None:
    fake_mj.fail_next("POST /mj/submit/imagine", fault)
    with pytest.raises(MJSubmitUncertain):
        await client.submit_imagine("a")
    assert fake_mj.count("POST /mj/submit/imagine") == 1


async def test_submit_retries_when_nothing_was_sent(session: aiohttp.ClientSession, fake_mj: FakeMJ) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = MJClient(session, f"http://127.0.0.1:{port}", "k", user_agent="x", retries=2, backoff=0.01)
    with pytest.raises(MJTransientError):
        await closed.submit_imagine("a")
    assert closed.request_counts["POST /mj/submit/imagine"] == 3
    client = MJClient(session, fake_mj.base_url, fake_mj.api_key, user_agent="x", backoff=0.01)
    fake_mj.fail_next("POST /mj/submit/imagine", "503")
    assert (await client.submit_imagine("a")).accepted
