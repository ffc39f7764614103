"""FakeMJ(flavor="trueai") on its own: plain HTTP against the fake, checking what trueai's source does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from tests.fakes.mj import FakeMJ

IMAGINE = "/mj/submit/imagine"
ACTION = "/mj/submit/action"
MODAL = "/mj/submit/modal"
CHANNEL = {"discordInstanceId": "1118138338562560102", "discordChannelId": "1118138338562560102"}


@pytest.fixture
async def mj() -> AsyncIterator[FakeMJ]:
    fake = FakeMJ(flavor="trueai", default_duration=0.3, queue_delay=0.05)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


Call = Callable[..., Awaitable[tuple[int, Any]]]


@pytest.fixture
def call(mj: FakeMJ, session: aiohttp.ClientSession) -> Call:
    """POST a JSON body (or GET without one) with the channel key as new-api sends it."""

    async def send(path: str, body: Any = None, *, prefix: str = "") -> tuple[int, Any]:
        headers = {"mj-api-secret": mj.api_key}
        method = "GET" if body is None else "POST"
        async with session.request(method, mj.base_url + prefix + path, json=body, headers=headers) as answer:
            text = await answer.text()
            return answer.status, json.loads(text) if text else None

    return send


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def finished(call: Call, task_id: str) -> dict[str, Any]:
    """The task once it is SUCCESS or FAILURE."""
    seen: dict[str, Any] = {}

    async def done() -> bool:
        _, seen["task"] = await call(f"/mj/task/{task_id}/fetch")
        return bool(seen["task"]["status"] in ("SUCCESS", "FAILURE"))

    await until(done)
    task: dict[str, Any] = seen["task"]
    return task


async def imagine(call: Call, prompt: str, **body: Any) -> str:
    status, answer = await call(IMAGINE, {"prompt": prompt, **body})
    assert status == 200 and answer["code"] == 1, answer
    return str(answer["result"])


async def test_answers_are_compact_ascii_json_and_fetch_is_the_whole_task_info(
    mj: FakeMJ, session: aiohttp.ClientSession, call: Call
) -> None:
    async with session.post(
        mj.base_url + IMAGINE, json={"prompt": "a cat"}, headers={"mj-api-secret": mj.api_key}
    ) as r:
        raw = await r.text()
    assert raw.startswith('{"code":1,"description":"\\u63D0\\u4EA4\\u6210\\u529F","result":"')
    assert json.loads(raw)["properties"] == CHANNEL
    task_id = json.loads(raw)["result"]
    assert len(task_id) == 16 and task_id.isdigit()
    _, task = await call(f"/mj/task/{task_id}/fetch")
    assert task["status"] == "NOT_START" and task["progress"] is None and task["startTime"] is None
    assert task["failReason"] is None and task["imageUrl"] is None and task["buttons"] == []
    assert task["description"] == "/imagine a cat" and task["botType"] == "MID_JOURNEY"
    for key in ("realBotType", "partnerTaskInfo", "videoUrls", "seedError", "thumbnailUrl", "imageUrls"):
        assert key in task and task[key] is None
    done = await finished(call, task_id)
    assert done["status"] == "SUCCESS" and done["progress"] == "100%" and done["failReason"] == ""
    assert done["imageUrl"] == f"{mj.base_url}/cdn/{task_id}.png" and done["mode"] == "FAST"
    assert done["properties"]["finalPrompt"] == "a cat --fast" and done["jobId"]


async def test_unknown_ids_and_keys(mj: FakeMJ, session: aiohttp.ClientSession, call: Call) -> None:
    assert await call("/mj/task/123/fetch") == (204, None)  # TaskController.Fetch: null → 204
    async with session.get(mj.base_url + "/mj/task/123/fetch") as answer:
        assert answer.status == 401 and await answer.text() == "Authorization header missing."
    bearer = {"Authorization": f"Bearer {mj.api_key}"}  # trueai compares the header verbatim
    async with session.get(mj.base_url + "/mj/task/123/fetch", headers=bearer) as answer:
        assert answer.status == 401
    assert await call(ACTION, {"taskId": "123", "customId": "MJ::JOB::upsample::1::x"}) == (
        404,
        {"code": 3, "description": "关联任务不存在或已失效", "result": None, "properties": {}},
    )
    assert (await call(MODAL, {"taskId": "123", "prompt": "x"}))[0] == 404
    assert await call("/mj/submit/change", {"taskId": "1"}) == (404, None)  # no such route: empty body


async def test_queue_full_is_code_9_and_a_queue_is_code_22(mj: FakeMJ, call: Call) -> None:
    full = {"code": 9, "description": "提交失败，队列已满，请稍后重试", "result": None, "properties": CHANNEL}
    assert await call(IMAGINE, {"prompt": "a [queue-full] cat"}) == (200, full)
    assert await call(IMAGINE, {"prompt": "a [code23] cat"}) == (200, full)  # trueai never answers 23
    mj.fail_next("POST /mj/submit/imagine", "queue_full")
    assert await call(IMAGINE, {"prompt": "a cat"}) == (200, full)
    mj.queue_full = True
    assert await call(IMAGINE, {"prompt": "a cat"}) == (200, full)
    mj.queue_full, mj.queue_ahead = False, 2
    _, answer = await call(IMAGINE, {"prompt": "a cat"})
    assert answer["code"] == 22 and answer["description"] == "排队中，前面还有2个任务"
    assert answer["properties"] == {"numberOfQueues": 2, **CHANNEL}
    task = await finished(call, answer["result"])
    upscale = task["buttons"][0]["customId"]
    _, answer = await call(ACTION, {"taskId": task["id"], "customId": upscale})
    assert answer["code"] == 1  # upscales never count the queue
    assert len(mj.tasks) == 2  # the refused submits left no task


async def test_no_account_and_the_speed_modes(mj: FakeMJ, call: Call) -> None:
    mj.no_account = True
    none = {"code": 3, "description": "无可用的账号实例", "result": None, "properties": {}}
    assert await call(IMAGINE, {"prompt": "a cat"}) == (200, none)
    mj.no_account = False
    relax = await imagine(call, "a cat --relax")
    fast = await imagine(call, "a cat --relax", accountFilter={"modes": ["FAST"]})
    _, answer = await call(
        IMAGINE, {"prompt": "a cat --fast", "accountFilter": {"modes": ["RELAX"]}}, prefix="/mj-turbo"
    )
    turbo = answer["result"]
    plain = await imagine(call, "a cat")
    assert [mj.tasks[t].mode for t in (relax, fast, turbo, plain)] == ["RELAX", "FAST", "TURBO", "FAST"]
    assert mj.count("POST /mj/submit/imagine") == 5  # /mj-turbo/... counts as the same route
    mj.account_modes = ("RELAX",)
    assert await call(IMAGINE, {"prompt": "a cat --fast"}) == (200, none)  # no fallback to the default list
    assert mj.tasks[await imagine(call, "a cat")].mode == "RELAX"


async def test_banned_prompts_are_accepted_then_fail(mj: FakeMJ, call: Call) -> None:
    local = await imagine(call, "a NUDE statue")
    word = await imagine(call, "a [code24:blood] statue")
    moderated = await imagine(call, "a [mj-banned] statue")
    task = await finished(call, local)
    assert (task["status"], task["failReason"], task["progress"]) == ("FAILURE", "可能包含敏感词", "")
    assert task["startTime"] is None and task["finishTime"] is not None
    assert (await finished(call, word))["failReason"] == "可能包含敏感词"
    task = await finished(call, moderated)
    assert task["failReason"].startswith("Banned prompt detected, ") and task["startTime"] is not None
    assert task["description"] == task["failReason"]


async def test_upscale_buttons_and_what_actions_answer(mj: FakeMJ, call: Call) -> None:
    grid = await finished(call, await imagine(call, "a cat"))
    _, answer = await call(ACTION, {"taskId": grid["id"], "customId": grid["buttons"][1]["customId"]})
    upscaled = await finished(call, answer["result"])
    u = upscaled["jobId"]
    faces = [(b["label"], b["emoji"], b["customId"]) for b in upscaled["buttons"]]
    assert faces == [
        ("Upscale (Subtle)", "upscale_1", f"MJ::JOB::upsample_v7_2x_subtle::1::{u}::SOLO"),
        ("Upscale (Creative)", "upscale_1", f"MJ::JOB::upsample_v7_2x_creative::1::{u}::SOLO"),
        ("Vary (Subtle)", "🪄", f"MJ::JOB::low_variation::1::{u}::SOLO"),
        ("Vary (Strong)", "🪄", f"MJ::JOB::high_variation::1::{u}::SOLO"),
        ("Vary (Region)", "🖌️", f"MJ::Inpaint::1::{u}::SOLO"),
        ("Zoom Out 2x", "🔍", f"MJ::Outpaint::50::1::{u}::SOLO"),
        ("Zoom Out 1.5x", "🔍", f"MJ::Outpaint::75::1::{u}::SOLO"),
        ("Custom Zoom", "🔍", f"MJ::CustomZoom::{u}"),
        ("", "⬅️", f"MJ::JOB::pan_left::1::{u}::SOLO"),
        ("", "➡️", f"MJ::JOB::pan_right::1::{u}::SOLO"),
        ("", "⬆️", f"MJ::JOB::pan_up::1::{u}::SOLO"),
        ("", "⬇️", f"MJ::JOB::pan_down::1::{u}::SOLO"),
        ("Animate (High motion)", "🎞️", f"MJ::JOB::animate_high::1::{u}::SOLO"),
        ("Animate (Low motion)", "🎞️", f"MJ::JOB::animate_low::1::{u}::SOLO"),
        ("", "❤️", f"MJ::BOOKMARK::{u}"),
    ]
    parent = upscaled["id"]
    unknown = {"code": 4, "description": "未知的 Action 类型", "result": None, "properties": {}}
    assert await call(ACTION, {"taskId": parent, "customId": f"MJ::BOOKMARK::{u}"}) == (200, unknown)
    _, zoom = await call(ACTION, {"taskId": parent, "customId": f"MJ::CustomZoom::{u}"})
    assert zoom == {
        "code": 21,
        "description": "Waiting for window confirm",
        "result": zoom["result"],
        "properties": {"finalPrompt": "a cat", "remix": True},
    }
    _, region = await call(ACTION, {"taskId": parent, "customId": f"MJ::Inpaint::1::{u}::SOLO"})
    assert region["code"] == 21 and region["properties"] == {"finalPrompt": "", "remix": True}
    _, task = await call(f"/mj/task/{region['result']}/fetch")
    assert (task["status"], task["progress"], task["action"]) == ("MODAL", None, "VARIATION")
    mask = "data:image/png;base64,iVBORw0KGgo="
    _, answer = await call(MODAL, {"taskId": region["result"], "prompt": "a dog", "maskBase64": mask})
    assert answer == {"code": 1, "description": "提交成功", "result": region["result"], "properties": CHANNEL}
    assert mj.tasks[region["result"]].mask == mask
    assert (await finished(call, region["result"]))["status"] == "SUCCESS"


async def test_remix_windows_and_describe_buttons(mj: FakeMJ, call: Call) -> None:
    grid = await finished(call, await imagine(call, "a cat --v 6.1"))
    variation = grid["buttons"][5]["customId"]
    assert (await call(ACTION, {"taskId": grid["id"], "customId": variation}))[1]["code"] == 1
    mj.remix = True
    _, answer = await call(ACTION, {"taskId": grid["id"], "customId": variation})
    assert answer["code"] == 21 and answer["properties"] == {"finalPrompt": "a cat --v 6.1", "remix": True}
    _, answer = await call("/mj/submit/describe", {"link": "https://example.com/cat.png"})
    described = await finished(call, answer["result"])
    assert described["prompt"] is None and described["promptEn"].startswith("1\ufe0f\u20e3 ")
    assert [b["customId"] for b in described["buttons"]][:2] == [
        "MJ::Job::PicReader::1",
        "MJ::Job::PicReader::2",
    ]


async def test_the_cdn_serves_each_format_and_expires(
    mj: FakeMJ, session: aiohttp.ClientSession, call: Call
) -> None:
    magic = {"png": b"\x89PNG", "webp": b"RIFF", "jpeg": b"\xff\xd8\xff"}
    for image_format, start in magic.items():
        mj.image_format = image_format
        task = await finished(call, await imagine(call, f"a {image_format} cat"))
        async with session.get(task["imageUrl"]) as answer:
            assert answer.content_type == f"image/{image_format}" and (await answer.read()).startswith(start)
    mj.chunked_images = True
    async with session.get(task["imageUrl"]) as answer:
        assert answer.status == 200 and "Content-Length" not in answer.headers
    mj.cdn_expired = 403
    async with session.get(task["imageUrl"]) as answer:
        assert answer.status == 403 and await answer.text() == "This content is no longer available."


async def test_video_animates_extends_and_refuses_as_trueai_does(
    mj: FakeMJ, session: aiohttp.ClientSession, call: Call
) -> None:
    video = "/mj/submit/video"
    image = "https://example.invalid/start.png"
    assert (await call(video, {"prompt": "a cat", "image": image}))[1]["code"] == 9, "Remix is off"
    mj.remix = True
    mj.video_enabled = False
    assert (await call(video, {"prompt": "a cat", "image": image}))[1]["description"] == "视频功能未启用"
    mj.video_enabled = True
    assert (await call(video, {"prompt": " ", "image": image}))[1]["description"] == "Prompt 不能为空"
    assert (await call(video, {"prompt": "a cat", "image": "%%"}))[1]["description"] == "base64格式错误"

    status, answer = await call(video, {"prompt": "a cat", "image": image, "motion": "high", "batchSize": 2})
    assert status == 200 and answer["code"] == 1
    grid = mj.tasks[answer["result"]]
    assert grid.prompt == f"{image} a cat --video 1 --motion high --bs 2"
    assert [b["label"] for b in grid.buttons] == ["U1", "U2", ""], "one pick per video, and the reroll"
    extend = {"prompt": "a cat", "action": "extend", "taskId": grid.id, "index": 1, "motion": "low"}
    assert (await call(video, {**extend, "action": ""}))[1]["description"] == "任务类型错误"
    assert (await call(video, extend))[1]["description"] == "关联任务状态错误", "the grid is still running"

    mj.fill_official_cdn = True
    done = await finished(call, grid.id)
    assert done["imageUrl"].endswith(f"/cdn/{grid.id}.mp4") and done["videoUrl"] == done["imageUrl"]
    assert [v["url"].rsplit("/", 1)[1] for v in done["videoUrls"]] == ["0_0.mp4", "0_1.mp4"]
    async with session.get(done["videoUrls"][1]["url"]) as clip:
        assert clip.content_type == "video/mp4" and (await clip.read())[4:8] == b"ftyp"

    status, answer = await call(video, extend)
    assert answer["code"] == 1 and mj.tasks[answer["result"]].prompt == "a cat --video 1 --motion low"
    beyond = await finished(call, (await call(video, {**extend, "index": 2}))[1]["result"])
    assert beyond["status"] == "FAILURE" and beyond["failReason"] == "找不到 extend 按钮 (motion: low)"
