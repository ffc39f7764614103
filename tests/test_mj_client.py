"""The MJ client against the fake MJ API on 127.0.0.1 (no mocks): headers, codes, retries and typed errors."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from bot.mj.client import MJClient
from bot.mj.errors import (
    MJAnswerTooLarge,
    MJAuthError,
    MJBatchUnsupported,
    MJImageGone,
    MJImageTooLarge,
    MJMalformedResponse,
    MJSubmitUncertain,
    MJTaskNotFound,
    MJTransientError,
    MJUserAgentRefused,
)
from bot.mj.models import SubmitResult, Task, TaskAction, TaskButton, TaskStatus
from bot.mj.reading import MAX_JSON_BYTES
from tests.fakes.mj_api import FakeMJ

IMAGINE = "POST /mj/submit/imagine"
ACTION = "POST /mj/submit/action"
MODAL = "POST /mj/submit/modal"
FETCH = "GET /mj/task/{id}/fetch"
BATCH = "POST /mj/task/list-by-condition"
IMAGE = "GET /mj/image/{id}"
UA = "mj-discord-bot-test/0.1.0 (+discord.py)"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Copied from the spec's examples (mj-api.zh.txt).
SPEC_IMAGINE_ANSWER = {
    "code": 1,
    "description": "提交成功",
    "result": "1781524258075013",
    "properties": {"discordInstanceId": "273d9093c1c54b6b", "discordChannelId": "273d9093c1c54b6b"},
}
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
SPEC_ACTION_ANSWER = {
    "code": 1,
    "description": "排队中,前面还有5个任务",
    "result": "1781524431429700",
    "properties": {"numberOfQueues": 5, "discordInstanceId": "273d9093c1c54b6b", "discordChannelId": "273d9093c1c54b6b"},
}  # fmt: skip


@pytest.fixture
def fake_mj(fake_spec: FakeMJ) -> FakeMJ:
    """The spec's plain contract: every test here talks to its direct proxy."""
    return fake_spec


@pytest.fixture(autouse=True)
def no_key_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG, logger="bot.mj")
    yield
    for key in ("test-mj-key", "wrong-secret-key"):
        assert key not in caplog.text, "the API key reached the log"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def make_client(
    session: aiohttp.ClientSession, base_url: str, key: str = "test-mj-key", **kw: object
) -> MJClient:
    options: dict[str, object] = {"user_agent": UA, "timeout": 1.0, "backoff": 0.01, "backoff_max": 0.05}
    options.update(kw)
    return MJClient(session, base_url, key, **options)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """A one-off server on 127.0.0.1 for answers the fakes do not give; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
def client(fake_mj: FakeMJ, session: aiohttp.ClientSession) -> MJClient:
    fake_mj.default_duration = 0.3
    fake_mj.queue_delay = 0.05
    return make_client(session, fake_mj.base_url, fake_mj.api_key)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def until_done(client: MJClient, task_id: str, seen: list[Task] | None = None) -> Task:
    for _ in range(200):
        task = await client.fetch(task_id)
        if seen is not None:
            seen.append(task)
        if task.status.is_terminal:
            return task
        await asyncio.sleep(0.03)
    raise AssertionError(f"task {task_id} never finished")


# -- models -----------------------------------------------------------------------------------------


def test_models_parse_the_spec_examples_exactly() -> None:
    task = Task.from_api(SPEC_TASK)
    uuid = "675515df-961f-411e-8e9b-d81ac68427f5"
    assert task == Task(
        id="1781524258075013",
        action="IMAGINE",
        status=TaskStatus.SUCCESS,
        progress=100,
        prompt="a futuristic cityscape at sunset --v 6.1",
        prompt_en="a futuristic cityscape at sunset --v 6.1",
        description="提交成功",
        fail_reason="",
        submit_time=datetime(2026, 6, 15, 11, 50, 58, 75000, tzinfo=UTC),
        start_time=datetime(2026, 6, 15, 11, 50, 59, 689000, tzinfo=UTC),
        finish_time=datetime(2026, 6, 15, 11, 51, 34, 590000, tzinfo=UTC),
        buttons=(
            TaskButton(custom_id=f"MJ::JOB::upsample::1::{uuid}", label="U1", emoji="", style=2, type=2),
            TaskButton(custom_id=f"MJ::JOB::reroll::0::{uuid}::SOLO", label="", emoji="🔄", style=2, type=2),
        ),
        final_prompt="a futuristic cityscape at sunset --v 6.1 --fast",
        properties={"finalPrompt": "a futuristic cityscape at sunset --v 6.1 --fast", "finalZhPrompt": ""},
        image_url="www.yourdomain.com/mj/image/1781524258075013",
    )
    assert task.kind is TaskAction.IMAGINE and task.status.is_terminal
    with pytest.raises(TypeError):
        task.properties["finalPrompt"] = "changed"  # type: ignore[index]

    imagine = SubmitResult.from_api(SPEC_IMAGINE_ANSWER)
    assert (imagine.code, imagine.description, imagine.task_id) == (1, "提交成功", "1781524258075013")
    assert imagine.accepted and not imagine.needs_modal
    assert imagine.queue_position is None and imagine.banned_word is None
    assert imagine.properties == SPEC_IMAGINE_ANSWER["properties"]

    action = SubmitResult.from_api(SPEC_ACTION_ANSWER)
    assert action.accepted and action.task_id == "1781524431429700" and action.queue_position == 5


def test_models_tolerate_missing_optionals_and_reject_wrong_shapes() -> None:
    bare = Task.from_api({"id": 1781524258075013, "status": "SOMETHING_NEW", "action": "SHAPESHIFT"})
    assert bare.id == "1781524258075013" and bare.status is TaskStatus.UNKNOWN and not bare.status.is_terminal
    assert bare.action == "SHAPESHIFT" and bare.kind is TaskAction.OTHER
    assert (bare.progress, bare.buttons, bare.final_prompt, bare.submit_time) == (0, (), None, None)
    nulls = Task.from_api(
        {"id": "1", "status": "MODAL", "promptEn": None, "buttons": None, "finishTime": None}
    )
    assert nulls.status is TaskStatus.MODAL and nulls.prompt_en == "" and nulls.finish_time is None
    for raw, expected in [
        ("37%", 37),
        (" 5 % ", 5),
        ("abc", 0),
        (None, 0),
        ("150%", 100),
        ("inf%", 0),
        (42, 42),
    ]:
        assert Task.from_api({"id": "1", "status": "IN_PROGRESS", "progress": raw}).progress == expected
    bad_tasks: list[object] = [
        None,
        [],
        {"status": "SUCCESS"},
        {"id": "1"},
        {"id": "", "status": "SUCCESS"},
        {"id": "1", "status": "SUCCESS", "buttons": {}},
        {"id": "1", "status": "SUCCESS", "buttons": [{"label": "U1"}]},
        {"id": "1", "status": "SUCCESS", "prompt": ["not", "text"]},
        {"id": "1", "status": "SUCCESS", "finishTime": "yesterday"},
    ]
    for bad in bad_tasks:
        with pytest.raises(MJMalformedResponse):
            Task.from_api(bad)
    bad_answers: list[object] = [None, [], {}, {"code": "1"}, {"code": True}]
    for bad in bad_answers:
        with pytest.raises(MJMalformedResponse):
            SubmitResult.from_api(bad)
    assert issubclass(MJMalformedResponse, MJTransientError)
    modal = SubmitResult.from_api({"code": 21, "description": "Waiting for window confirm", "result": "9"})
    assert modal.needs_modal and modal.accepted
    banned = SubmitResult.from_api({"code": 24, "description": "可能包含敏感词", "result": None, "properties": {"bannedWord": "gore"}})  # fmt: skip
    assert not banned.accepted and banned.task_id is None and banned.banned_word == "gore"


# -- the happy path ---------------------------------------------------------------------------------


async def test_imagine_then_poll_to_success_with_progress_rising(client: MJClient, fake_mj: FakeMJ) -> None:
    result = await client.submit_imagine("a cat --ar 16:9")
    assert result.code == 1 and result.accepted and result.task_id is not None
    assert len(result.task_id) == 16 and result.task_id.isdigit()
    seen: list[Task] = []
    task = await until_done(client, result.task_id, seen)
    assert task.status is TaskStatus.SUCCESS and task.progress == 100 and task.kind is TaskAction.IMAGINE
    progress = [t.progress for t in seen]
    assert progress == sorted(progress) and any(0 < p < 100 for p in progress)
    statuses = [t.status for t in seen]
    assert TaskStatus.IN_PROGRESS in statuses and statuses[-1] is TaskStatus.SUCCESS
    assert [b.label for b in task.buttons] == ["U1", "U2", "U3", "U4", "", "V1", "V2", "V3", "V4"]
    assert task.buttons[4].emoji == "🔄" and task.buttons[4].custom_id.startswith("MJ::JOB::reroll::0::")
    assert task.final_prompt == "a cat --ar 16:9 --fast"
    assert task.finish_time is not None and task.finish_time.tzinfo is UTC
    assert task.submit_time is not None and task.submit_time <= task.finish_time
    assert client.request_counts[IMAGINE] == 1 and client.request_counts[FETCH] == len(seen)


async def test_every_request_carries_key_json_content_type_and_user_agent(
    client: MJClient, fake_mj: FakeMJ
) -> None:
    fake_mj.default_duration = 0.05
    task_id = (await client.submit_imagine("a dog")).task_id or ""
    await until_done(client, task_id)
    await client.fetch_many([task_id])
    await client.download_image(task_id, max_bytes=10**6)
    await client.probe()
    assert {r.route for r in fake_mj.requests} == {IMAGINE, FETCH, BATCH, IMAGE}
    for request in fake_mj.requests:
        assert request.headers["Authorization"] == "Bearer <redacted>"  # the right key; the fake redacts it
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == UA
        assert request.status in (200, 404)


async def test_bot_type_and_mode_are_sent_only_when_given(
    client: MJClient, fake_mj: FakeMJ, session: aiohttp.ClientSession
) -> None:
    """The mode goes as accountFilter and as a prompt flag: new-api drops accountFilter by default."""
    await client.submit_imagine("a", bot_type="NIJI_JOURNEY", mode="RELAX")
    await client.submit_imagine("b", mode="TURBO")
    await client.submit_imagine("c", bot_type="MID_JOURNEY")
    await client.submit_imagine("d")
    filter_only = make_client(session, fake_mj.base_url, mode_flag=False)
    await filter_only.submit_imagine("e", mode="FAST")
    assert [r.json for r in fake_mj.requests if r.route == IMAGINE] == [
        {"prompt": "a --relax", "botType": "NIJI_JOURNEY", "accountFilter": {"modes": ["RELAX"]}},
        {"prompt": "b --turbo", "accountFilter": {"modes": ["TURBO"]}},
        {"prompt": "c", "botType": "MID_JOURNEY"},
        {"prompt": "d"},
        {"prompt": "e", "accountFilter": {"modes": ["FAST"]}},
    ]


async def test_submit_codes_21_22_23_24(client: MJClient, fake_mj: FakeMJ) -> None:
    first = await client.submit_imagine("a windmill")
    exists = await client.submit_imagine("a windmill [code21]")
    assert exists.code == 21 and exists.accepted and not exists.needs_modal
    assert exists.task_id == first.task_id and len(fake_mj.tasks) == 1

    queued = await client.submit_imagine("a bridge [code22]")
    assert queued.code == 22 and queued.accepted and queued.queue_position == 5
    assert queued.description == "排队中,前面还有5个任务" and queued.task_id in fake_mj.tasks

    full = await client.submit_imagine("a market [code23]")
    assert full.code == 23 and not full.accepted and full.task_id is None

    banned = await client.submit_imagine("a scene [code24:gore]")
    assert banned.code == 24 and not banned.accepted and banned.task_id is None
    assert banned.banned_word == "gore" and banned.properties["promptEn"] == "a scene [code24:gore]"


async def test_failed_task_reports_its_reason(client: MJClient, fake_mj: FakeMJ) -> None:
    plain = await until_done(client, (await client.submit_imagine("x [fail]")).task_id or "")
    custom = await until_done(
        client, (await client.submit_imagine("y [fail:Banned prompt detected]")).task_id or ""
    )
    assert plain.status is TaskStatus.FAILURE and plain.fail_reason and plain.buttons == ()
    assert custom.status is TaskStatus.FAILURE and custom.fail_reason == "Banned prompt detected"


async def test_actions_send_long_custom_ids_verbatim_and_modal_confirms(
    client: MJClient, fake_mj: FakeMJ
) -> None:
    fake_mj.default_duration = 0.1
    grid = await until_done(client, (await client.submit_imagine("a lighthouse")).task_id or "")
    u1 = await client.submit_action(grid.id, grid.buttons[0].custom_id)
    assert u1.code == 1 and u1.task_id
    upscale = await until_done(client, u1.task_id)
    assert upscale.kind is TaskAction.UPSCALE and upscale.action == "UPSCALE"
    assert any(b.emoji == "upscale_1" for b in upscale.buttons), "a custom-emoji name, not a Unicode emoji"

    long_id = next(b.custom_id for b in upscale.buttons if len(b.custom_id) > 100)
    result = await client.submit_action(upscale.id, long_id)
    assert result.code == 1
    assert fake_mj.requests[-1].json == {"taskId": upscale.id, "customId": long_id}

    invalid = await client.submit_action(upscale.id, long_id[:-1])
    assert invalid.code == 4 and not invalid.accepted

    zoom = next(b.custom_id for b in upscale.buttons if b.custom_id.startswith("MJ::CustomZoom::"))
    waiting = await client.submit_action(upscale.id, zoom)
    assert waiting.code == 21 and waiting.needs_modal and waiting.task_id
    modal_task = await client.fetch(waiting.task_id)
    assert modal_task.status is TaskStatus.MODAL and modal_task.final_prompt == "a lighthouse"
    confirmed = await client.submit_modal(waiting.task_id, "a lighthouse --zoom 1.8")
    assert confirmed.code == 1 and confirmed.task_id == waiting.task_id
    assert fake_mj.requests[-1].json == {"taskId": waiting.task_id, "prompt": "a lighthouse --zoom 1.8"}
    zoomed = await until_done(client, waiting.task_id)
    assert zoomed.status is TaskStatus.SUCCESS and zoomed.kind is TaskAction.ZOOM
    assert zoomed.prompt == "a lighthouse --zoom 1.8"


async def test_batch_fetch_and_its_absence(client: MJClient, fake_mj: FakeMJ) -> None:
    ids = [(await client.submit_imagine(f"p{i}")).task_id or "" for i in range(3)]
    tasks = await client.fetch_many([*ids, "9999999999999999"])
    assert sorted(t.id for t in tasks) == sorted(ids), "unknown ids are left out"
    assert await client.fetch_many([]) == [] and fake_mj.count(BATCH) == 1

    fake_mj.fail_next(BATCH, "missing_fields")  # {} where a list belongs
    with pytest.raises(MJBatchUnsupported):
        await client.fetch_many(ids)
    fake_mj.batch_enabled = False
    with pytest.raises(MJBatchUnsupported):
        await client.fetch_many(ids)
    assert fake_mj.count(BATCH) == 3, "an unsupported batch is not retried"


async def test_an_answer_that_arrives_in_pieces_is_read_whole(session: aiohttp.ClientSession) -> None:
    """A batch of many tasks is larger than one read: the client waits for the rest of the body."""
    tasks = [{**SPEC_TASK, "id": str(1781524258075013 + i)} for i in range(200)]
    body = json.dumps(tasks).encode()

    async def list_by_condition(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[:1000])
        await asyncio.sleep(0.05)  # the rest comes later, as it does over a network
        await response.write(body[1000:])
        return response

    app = web.Application()
    app.router.add_post("/mj/task/list-by-condition", list_by_condition)
    async with serve(app) as base_url:
        fetched = await make_client(session, base_url).fetch_many([str(task["id"]) for task in tasks])
    assert [task.id for task in fetched] == [task["id"] for task in tasks]


# -- refusals ---------------------------------------------------------------------------------------


async def test_wrong_key_is_an_auth_error_without_the_key(
    fake_mj: FakeMJ, session: aiohttp.ClientSession
) -> None:
    wrong = make_client(session, fake_mj.base_url, "wrong-secret-key")
    for call in (wrong.submit_imagine("a"), wrong.fetch("1"), wrong.probe()):
        with pytest.raises(MJAuthError) as caught:
            await call
        assert str(caught.value) == "The MJ API key is wrong (HTTP 401)."
        assert "wrong-secret-key" not in repr(caught.value)
    assert "wrong-secret-key" not in repr(wrong)
    assert [r.headers["Authorization"] for r in fake_mj.requests] == ["Bearer <wrong>"] * 3, "never retried"


async def test_missing_user_agent_is_refused_with_1010(
    fake_mj: FakeMJ, session: aiohttp.ClientSession
) -> None:
    async with (
        aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as bare,
        bare.get(
            f"{fake_mj.base_url}/mj/task/1/fetch",
            headers={"Authorization": f"Bearer {fake_mj.api_key}", "Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 403 and await response.text() == "error code: 1010"
    blank = make_client(session, fake_mj.base_url, user_agent="")
    for call in (blank.submit_imagine("a"), blank.fetch("1"), blank.probe()):
        with pytest.raises(MJUserAgentRefused, match="error code 1010"):
            await call
    assert fake_mj.count(IMAGINE) == 1 and fake_mj.count(FETCH) == 3, "never retried"


async def test_unknown_task_is_not_found_and_not_retried(client: MJClient, fake_mj: FakeMJ) -> None:
    with pytest.raises(MJTaskNotFound) as caught:
        await client.fetch("1234567890123456")
    assert caught.value.status == 404
    fake_mj.unknown_task_empty = True  # midjourney-proxy answers 200 with an empty body
    with pytest.raises(MJTaskNotFound):
        await client.fetch("1234567890123456")
    assert fake_mj.count(FETCH) == 2
    with pytest.raises(ValueError):
        await client.fetch("")


# -- retries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", ["500", "502", "503", "429", "garbage", "html", "missing_fields", "reset", "hang"]
)
async def test_fetch_survives_transient_faults(
    fake_mj: FakeMJ, session: aiohttp.ClientSession, fault: str
) -> None:
    client = make_client(session, fake_mj.base_url, timeout=0.3)
    task_id = (await client.submit_imagine("a")).task_id or ""
    fake_mj.fail_next(FETCH, fault, times=2)
    task = await client.fetch(task_id)
    assert task.id == task_id and task.status is not TaskStatus.UNKNOWN
    assert fake_mj.count(FETCH) == 3 and fake_mj.faults_served == [fault, fault]
    # aiohttp itself resends an idempotent GET once when a reused keep-alive connection dies (never a POST)
    assert client.request_counts[FETCH] == (2 if fault == "reset" else 3)


async def test_fetch_gives_up_after_its_retries(client: MJClient, fake_mj: FakeMJ) -> None:
    task_id = (await client.submit_imagine("a")).task_id or ""
    fake_mj.fail_next(FETCH, "502", times=10)
    with pytest.raises(MJTransientError) as caught:
        await client.fetch(task_id)
    assert caught.value.status == 502 and str(caught.value) == "The MJ API is having trouble (HTTP 502)."
    assert fake_mj.count(FETCH) == 4, "one attempt and three retries"


async def test_backoff_is_exponential_with_full_jitter(
    fake_mj: FakeMJ, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    bounds: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        bounds.append((low, high))
        return 0.0

    monkeypatch.setattr("bot.mj.client.random.uniform", uniform)
    client = make_client(session, fake_mj.base_url, retries=4, backoff=0.25, backoff_max=0.6)
    fake_mj.fail_next(FETCH, "500", times=5)
    with pytest.raises(MJTransientError):
        await client.fetch("1")
    assert bounds == [(0, 0.25), (0, 0.5), (0, 0.6), (0, 0.6)]


@pytest.mark.parametrize("fault", ["hang", "reset", "500", "502", "503", "garbage", "html", "missing_fields"])
async def test_a_submit_that_may_have_arrived_is_never_retried(
    fake_mj: FakeMJ, session: aiohttp.ClientSession, fault: str
) -> None:
    # Only the hang needs a short timeout; the others get time to be counted on a busy machine.
    client = make_client(session, fake_mj.base_url, timeout=0.3 if fault == "hang" else 5.0)
    fake_mj.fail_next(IMAGINE, fault)
    with pytest.raises(MJSubmitUncertain) as caught:
        await client.submit_imagine("a")
    assert caught.value.__cause__ is not None
    assert fake_mj.count(IMAGINE) == 1 and client.request_counts[IMAGINE] == 1


async def test_action_and_modal_submits_are_not_retried_either(client: MJClient, fake_mj: FakeMJ) -> None:
    fake_mj.fail_next(ACTION, "reset")
    fake_mj.fail_next(MODAL, "500")
    with pytest.raises(MJSubmitUncertain):
        await client.submit_action("1", "MJ::JOB::upsample::1::x")
    with pytest.raises(MJSubmitUncertain):
        await client.submit_modal("1", "p")
    assert (fake_mj.count(ACTION), fake_mj.count(MODAL)) == (1, 1)


async def test_a_submit_is_retried_when_nothing_was_sent(
    fake_mj: FakeMJ, session: aiohttp.ClientSession
) -> None:
    closed = make_client(session, closed_port_url(), retries=2)
    with pytest.raises(MJTransientError) as caught:
        await closed.submit_imagine("a")
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert closed.request_counts[IMAGINE] == 3

    client = make_client(session, fake_mj.base_url)
    fake_mj.fail_next(IMAGINE, "429")
    fake_mj.fail_next(IMAGINE, "429")
    result = await client.submit_imagine("a")
    assert result.accepted and fake_mj.count(IMAGINE) == 3 and len(fake_mj.tasks) == 1


# -- images and the probe ---------------------------------------------------------------------------


async def test_download_streams_a_png_and_honours_the_cap(client: MJClient, fake_mj: FakeMJ) -> None:
    fake_mj.default_duration = 0.05
    first = (await client.submit_imagine("one")).task_id or ""
    second = (await client.submit_imagine("two")).task_id or ""
    with pytest.raises(MJImageGone):
        await client.download_image(first, max_bytes=10**6)  # not finished yet: 404, not retried
    await until_done(client, first)
    await until_done(client, second)

    fake_mj.fail_next(IMAGE, "500")
    data, content_type = await client.download_image(first, max_bytes=10**6)
    assert content_type == "image/png" and data[:8] == PNG_MAGIC
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == fake_mj.image_size
    other, _ = await client.download_image(second, max_bytes=10**6)
    assert other != data, "every task's image differs"

    with pytest.raises(MJImageTooLarge):
        await client.download_image(first, max_bytes=100)  # refused on Content-Length
    fake_mj.chunked_images = True
    with pytest.raises(MJImageTooLarge):
        await client.download_image(first, max_bytes=len(data) // 2)  # refused while streaming
    streamed, _ = await client.download_image(first, max_bytes=len(data))
    assert streamed == data


async def test_probe(fake_mj: FakeMJ, session: aiohttp.ClientSession) -> None:
    client = make_client(session, fake_mj.base_url)
    await client.probe()  # 404 for a task nobody knows: the key and the User-Agent are fine
    fake_mj.unknown_task_empty = True
    await client.probe()
    fake_mj.fail_next(FETCH, "html", times=2)
    await client.probe()
    assert client.request_counts[FETCH] == 5
    with pytest.raises(MJTransientError):
        await make_client(session, closed_port_url(), retries=1).probe()


@pytest.mark.parametrize("declared", [True, False], ids=["with-length", "streamed"])
async def test_an_answer_larger_than_the_cap_is_refused_unread(
    session: aiohttp.ClientSession, declared: bool
) -> None:
    """A hostile or broken relay cannot make the bot hold an answer of any size in memory."""
    chunk = b" " * (1024 * 1024)
    sent: list[int] = []

    async def fetch(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if declared:
            response.content_length = MAX_JSON_BYTES * 4
        await response.prepare(request)
        for _ in range(MAX_JSON_BYTES * 4 // len(chunk)):
            try:
                await response.write(chunk)
            except ConnectionError:
                break
            sent.append(len(chunk))
        return response

    app = web.Application()
    app.router.add_get("/mj/task/{id}/fetch", fetch)
    async with serve(app) as base_url:
        with pytest.raises(MJAnswerTooLarge):
            await make_client(session, base_url, retries=0).fetch("1")
    assert sum(sent) < MAX_JSON_BYTES * 4, "the client stopped reading long before the end"
