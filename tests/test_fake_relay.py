"""FakeRelay on its own: plain HTTP to the relay (no bot), checking what new-api's source does in front of
a trueai upstream."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.mj.client import MJClient
from tests.fakes.discord import FakeDiscord
from tests.fakes.mj import FakeRelay
from tests.harness import RELAY_REFRESH_PERIOD, make_settings

IMAGINE = "/mj/submit/imagine"
ACTION = "/mj/submit/action"
MODAL = "/mj/submit/modal"
LIST = "/mj/task/list-by-condition"
DTO_KEYS = [
    "id",
    "action",
    "customId",
    "botType",
    "prompt",
    "promptEn",
    "description",
    "state",
    "submitTime",
    "startTime",
    "finishTime",
    "imageUrl",
    "videoUrl",
    "videoUrls",
    "status",
    "progress",
    "failReason",
    "buttons",
    "maskBase64",
    "properties",
]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@pytest.fixture
async def relay() -> AsyncIterator[FakeRelay]:
    fake = FakeRelay(refresh_period=0.2, default_duration=0.3, queue_delay=0.05)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


Call = Callable[..., Awaitable[Answer]]


@pytest.fixture
def call(relay: FakeRelay, session: aiohttp.ClientSession) -> Call:
    """A request to the relay as the bot sends it: POST with a JSON body, GET without one."""

    async def send(path: str, body: Any = None, *, key: str | None = None, **headers: str) -> Answer:
        sent = {"User-Agent": "fake-relay-test/1.0", "Authorization": f"Bearer {key or relay.api_key}"}
        sent.update(headers)
        method = "GET" if body is None else "POST"
        async with session.request(method, relay.base_url + path, json=body, headers=sent) as answer:
            return Answer(answer.status, dict(answer.headers), await answer.text())

    return send


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if check():
                return
            await asyncio.sleep(0.02)


async def imagine(call: Call, prompt: str, **body: Any) -> str:
    answer = await call(IMAGINE, {"prompt": prompt, **body})
    assert answer.status == 200 and answer.json["code"] == 1, answer
    return str(answer.json["result"])


async def settled(relay: FakeRelay, call: Call, task_id: str) -> dict[str, Any]:
    """The task as fetch shows it once the relay's table has it finished."""
    await until(lambda: (row := relay.table_row(task_id)) is not None and row.progress == "100%")
    task: dict[str, Any] = (await call(f"/mj/task/{task_id}/fetch")).json
    return task


def openai_error(answer: Answer, status: int, message: str, code: str = "") -> None:
    request_id = answer.headers["X-Oneapi-Request-Id"]
    assert (answer.status, answer.json) == (
        status,
        {
            "error": {
                "code": code,
                "message": f"{message} (request id: {request_id})",
                "type": "new_api_error",
            }
        },
    )


def mj_error(answer: Answer, code: int, description: str) -> None:
    assert answer.status == 400 and answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.text == f'{{"code":{code},"description":"{description} ","type":"upstream_error"}}'


async def test_a_submit_is_a_blank_row_until_the_refresh_copies_upstream(
    relay: FakeRelay, call: Call
) -> None:
    relay.refresh_period = 0.5
    answer = await call(IMAGINE, {"prompt": "a cat"})
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"  # written without one, sniffed
    assert answer.text.startswith('{"code":1,"description":"\\u63D0\\u4EA4\\u6210\\u529F"')  # trueai's bytes
    task_id = answer.json["result"]
    fetched = await call(f"/mj/task/{task_id}/fetch")
    assert fetched.headers["Content-Type"] == "application/json" and list(fetched.json) == DTO_KEYS
    task = fetched.json
    assert {k: task[k] for k in ("status", "progress", "imageUrl", "buttons", "properties", "videoUrls")} == {
        "status": "",
        "progress": "0%",
        "imageUrl": "",
        "buttons": None,
        "properties": None,
        "videoUrls": None,
    }
    assert (task["prompt"], task["promptEn"], task["description"]) == ("a cat", "", "提交成功")
    await until(lambda: relay.tasks[task_id].state(time.monotonic())[0] == "IN_PROGRESS")
    await relay.next_refresh()
    task = (await call(f"/mj/task/{task_id}/fetch")).json
    assert task["status"] == "IN_PROGRESS" and task["imageUrl"].startswith(
        f"{relay.base_url}/mj/image/{task_id}?rand="
    )
    done = await settled(relay, call, task_id)
    assert done["status"] == "SUCCESS" and done["imageUrl"] == f"{relay.base_url}/mj/image/{task_id}"
    assert done["properties"] == {"finalPrompt": "a cat --fast", "finalZhPrompt": ""}
    assert set(done["buttons"][0]) == {"customId", "emoji", "label", "type", "style"}
    assert (done["customId"], done["botType"], done["maskBase64"], done["description"]) == (
        "",
        "",
        "",
        "提交成功",
    )
    assert relay.success_at[task_id] >= relay.upstream_success_at[task_id]
    assert relay.upstream.count("GET /mj/task/{id}/fetch") == 0  # the table answers, not upstream


async def test_fetch_and_list_answer_only_from_the_table(
    relay: FakeRelay, call: Call, session: aiohttp.ClientSession
) -> None:
    first, second = await imagine(call, "a cat"), await imagine(call, "a dog")
    headers = {"mj-api-secret": relay.upstream.api_key}
    async with session.post(relay.upstream.base_url + IMAGINE, json={"prompt": "x"}, headers=headers) as r:
        elsewhere = (await r.json())["result"]  # upstream has it, the relay's table does not
    mj_error(await call(f"/mj/task/{elsewhere}/fetch"), 4, "task_no_found")
    listed = await call(LIST, {"ids": [second, elsewhere, "nope", first]})
    assert [task["id"] for task in listed.json] == [first, second]  # table order
    assert (await call(LIST, {"ids": ["nope"]})).text == "[]"
    assert (await call(LIST, {})).text == "[]"
    broken = await call(LIST, "not an object")
    assert broken.status == 400 and broken.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert broken.json == {"code": 4, "description": "do_request_failed ", "type": "upstream_error"}
    relay.batch_enabled = False  # as if the route did not exist: the web UI
    page = await call(LIST, {"ids": [first]})
    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_unknown_paths_and_the_user_agent(relay: FakeRelay, call: Call) -> None:
    for path in ("/mj/foo", "/mj/submit/imagine"):  # a wrong method falls through too
        answer = await call(path)
        assert answer.status == 200 and answer.text.startswith("<!doctype html>")
    answer = await call("/v1/foo")
    assert (answer.status, answer.json) == (
        404,
        {
            "error": {
                "message": "Invalid URL (GET /v1/foo)",
                "type": "invalid_request_error",
                "param": "",
                "code": "",
            }
        },
    )
    refused = await call(IMAGINE, {"prompt": "a cat"}, **{"User-Agent": ""})
    assert (refused.status, refused.text) == (403, "error code: 1010")  # Cloudflare in front


async def test_token_errors_are_openai_shaped(
    relay: FakeRelay, call: Call, session: aiohttp.ClientSession
) -> None:
    openai_error(await call(IMAGINE, {"prompt": "a"}, key="sk-wrongkey"), 401, "无效的令牌")
    async with session.get(relay.base_url + "/mj/task/1/fetch", headers={"User-Agent": "t"}) as r:
        openai_error(Answer(r.status, dict(r.headers), await r.text()), 401, "未提供令牌")
    by_secret = {"Authorization": "midjourney-proxy", "mj-api-secret": relay.api_key, "User-Agent": "t"}
    async with session.get(relay.base_url + "/mj/task/1/fetch", headers=by_secret) as r:
        assert r.status == 400  # accepted: task_no_found
    key = relay.api_key.removeprefix("sk-")
    openai_error(await call("/mj/task/1/fetch", key=f"{relay.api_key}-3"), 403, "普通用户不支持指定渠道")
    relay.token_state = "exhausted"
    message = f"该令牌额度已用尽 TokenStatusExhausted[sk-{key[:3]}***{key[-3:]}]"
    openai_error(await call(IMAGINE, {"prompt": "a"}), 401, message)
    relay.token_state = "expired"
    openai_error(await call("/dashboard/billing/usage"), 401, "该令牌已过期")
    relay.token_state = "disabled"
    openai_error(await call(LIST, {"ids": []}), 401, "该令牌状态不可用")
    relay.token_state, relay.token_quota_usd = "enabled", 0
    message = f"[sk-{key[:3]}***{key[-3:]}] 该令牌额度已用尽 !token.UnlimitedQuota && token.RemainQuota = 0"
    openai_error(await call(IMAGINE, {"prompt": "a"}), 401, message)
    assert relay.upstream.count("POST /mj/submit/imagine") == 0


async def test_no_channel_and_unknown_actions(relay: FakeRelay, call: Call) -> None:
    relay.channel_available = False
    message = "分组 default 下模型 mj_imagine 无可用渠道（distributor）"
    openai_error(await call(IMAGINE, {"prompt": "a cat"}), 503, message, code="model_not_found")
    relay.channel_available = True
    grid = await settled(relay, call, await imagine(call, "a cat"))
    upscale = await call(ACTION, {"taskId": grid["id"], "customId": grid["buttons"][0]["customId"]})
    assert upscale.json["code"] == 1
    upscaled = await settled(relay, call, upscale.json["result"])
    refused = [b["customId"] for b in upscaled["buttons"] if b["emoji"] in ("❤️", "🎞️")]
    assert [r.split("::")[1:3] for r in refused] == [
        ["JOB", "animate_high"],
        ["JOB", "animate_low"],
        ["BOOKMARK", refused[2].split("::")[2]],
    ]
    before = relay.upstream.count("POST /mj/submit/action")
    for custom_id in [
        *refused,
        "MJ::Job::PicReader::1",
        "MJ::Job::PromptAnalyzer::x::2",
        "MJ::Picread::Retry",
    ]:
        answer = await call(ACTION, {"taskId": upscaled["id"], "customId": custom_id})
        openai_error(answer, 400, f"Invalid request, unknown_action:{custom_id}")
    panic = await call(ACTION, {"taskId": upscaled["id"], "customId": "abc"})
    assert panic.status == 500 and panic.json["error"]["type"] == "new_api_panic"
    assert "index out of range [1] with length 1" in panic.json["error"]["message"]
    assert relay.upstream.count("POST /mj/submit/action") == before


async def test_an_action_waits_for_the_relays_own_success(relay: FakeRelay, call: Call) -> None:
    relay.refresh_period = 30.0  # the table never catches up during this test
    task_id = await imagine(call, "a cat")
    await until(lambda: relay.tasks[task_id].state(time.monotonic())[0] == "SUCCESS")
    custom_id = relay.tasks[task_id].buttons[0]["customId"]
    mj_error(await call(ACTION, {"taskId": task_id, "customId": custom_id}), 4, "task_status_not_success")
    mj_error(await call(ACTION, {"taskId": "404", "customId": custom_id}), 4, "task_not_found")
    mj_error(await call(IMAGINE, {"prompt": ""}), 4, "prompt_is_required")
    relay.action_check_success = False
    assert (await call(ACTION, {"taskId": task_id, "customId": custom_id})).json["code"] == 1


async def test_codes_22_and_21_become_1_except_for_windows(relay: FakeRelay, call: Call) -> None:
    relay.upstream.queue_ahead = 3
    answer = await call(IMAGINE, {"prompt": "a cat"})
    assert answer.json["code"] == 1 and answer.json["description"] == "排队中，前面还有3个任务"
    assert answer.json["properties"]["numberOfQueues"] == 3
    relay.upstream.queue_ahead = 0
    grid = await settled(relay, call, answer.json["result"])
    relay.upstream.remix = True  # trueai answers a variation with its prompt window (21)
    vary = await call(ACTION, {"taskId": grid["id"], "customId": grid["buttons"][5]["customId"]})
    assert vary.json["code"] == 1 and vary.json["description"] == "Waiting for window confirm"
    upscale = await call(ACTION, {"taskId": grid["id"], "customId": grid["buttons"][0]["customId"]})
    upscaled = await settled(relay, call, upscale.json["result"])
    zoom_id = next(b["customId"] for b in upscaled["buttons"] if b["label"] == "Custom Zoom")
    zoom = await call(ACTION, {"taskId": upscaled["id"], "customId": zoom_id})
    assert zoom.json["code"] == 21 and zoom.json["properties"] == {"finalPrompt": "a cat", "remix": True}
    region_id = next(b["customId"] for b in upscaled["buttons"] if b["label"] == "Vary (Region)")
    region = await call(ACTION, {"taskId": upscaled["id"], "customId": region_id})
    assert region.json["code"] == 21 and region.json["properties"]["finalPrompt"] == ""
    assert [(c.model, c.usd) for c in relay.charges] == [
        ("mj_imagine", 0.1),
        ("mj_variation", 0.1),
        ("mj_upscale", 0.05),
    ]  # Custom Zoom and Vary (Region) are free
    mask = "data:image/png;base64,iVBORw0KGgo="
    submitted = await call(MODAL, {"taskId": region.json["result"], "prompt": "a dog", "maskBase64": mask})
    assert submitted.json["code"] == 1 and relay.charges[-1].model == "mj_modal"
    assert relay.tasks[region.json["result"]].mask == mask


async def test_a_window_and_its_modal_are_two_rows_with_one_id(relay: FakeRelay, call: Call) -> None:
    """The CUSTOM_ZOOM row and the MODAL row share the MJ id; the refresh updates only the last one
    (taskM keyed by id), and fetch shows the first: new-api's fetch stays MODAL."""
    upscale_parent = await settled(relay, call, await imagine(call, "a cat"))
    upscale = await call(
        ACTION, {"taskId": upscale_parent["id"], "customId": upscale_parent["buttons"][0]["customId"]}
    )
    upscaled = await settled(relay, call, upscale.json["result"])
    zoom_id = next(b["customId"] for b in upscaled["buttons"] if b["label"] == "Custom Zoom")
    window = (await call(ACTION, {"taskId": upscaled["id"], "customId": zoom_id})).json["result"]
    await relay.next_refresh()
    assert (await call(f"/mj/task/{window}/fetch")).json["status"] == "MODAL"
    assert (await call(MODAL, {"taskId": window, "prompt": "a cat --zoom 2"})).json["code"] == 1
    await until(lambda: relay.rows[-1].status == "SUCCESS")
    rows = (await call(LIST, {"ids": [window]})).json
    assert [(r["action"], r["status"]) for r in rows] == [("CUSTOM_ZOOM", "MODAL"), ("MODAL", "SUCCESS")]
    assert (await call(f"/mj/task/{window}/fetch")).json["status"] == "MODAL"
    assert window not in relay.success_at


async def test_queue_full_is_code_9_and_its_blank_row_fails(relay: FakeRelay, call: Call) -> None:
    relay.fail_next("POST /mj/submit/imagine", "queue_full")
    for prompt in ("a cat", "a [queue-full] cat"):
        answer = await call(IMAGINE, {"prompt": prompt})
        assert (answer.status, answer.json["code"], answer.json["result"]) == (200, 9, None)
        assert answer.json["description"] == "提交失败，队列已满，请稍后重试"
    assert relay.faults_served == ["queue_full"] and relay.charges == []
    assert [(r.mj_id, r.fail_reason) for r in relay.rows] == [("", "提交失败，队列已满，请稍后重试")] * 2
    await relay.next_refresh()
    assert [(r.status, r.progress) for r in relay.rows] == [("FAILURE", "100%")] * 2
    assert relay.refunds == []


async def test_banned_prompts_fail_after_acceptance_and_are_refunded(relay: FakeRelay, call: Call) -> None:
    relay.credit_usd = 1.0
    local = await imagine(call, "a nude statue")
    moderated = await imagine(call, "a [mj-banned] statue")
    assert relay.credit_usd == pytest.approx(0.8)
    task = await settled(relay, call, local)
    assert (task["status"], task["failReason"], task["progress"]) == ("FAILURE", "可能包含敏感词", "100%")
    task = await settled(relay, call, moderated)
    assert task["failReason"].startswith("Banned prompt detected, ")
    assert sorted(r.task_id for r in relay.refunds) == sorted([local, moderated])
    assert relay.credit_usd == pytest.approx(1.0)


async def test_credit_runs_out_and_a_failure_gives_it_back(relay: FakeRelay, call: Call) -> None:
    relay.credit_usd = 0.1
    failing = await imagine(call, "a cat [fail:Job failed]")
    mj_error(await call(IMAGINE, {"prompt": "a dog"}), 4, "quota_not_enough")
    assert relay.upstream.count("POST /mj/submit/imagine") == 1  # refused before upstream
    await settled(relay, call, failing)
    assert relay.credit_usd == pytest.approx(0.1) and [r.task_id for r in relay.refunds] == [failing]
    await imagine(call, "a dog")
    usage = (await call("/dashboard/billing/usage")).json
    assert usage == {"object": "list", "total_usage": 20}  # the token's spend is not given back


async def test_billing_routes(relay: FakeRelay, call: Call, session: aiohttp.ClientSession) -> None:
    subscription = {
        "object": "billing_subscription",
        "has_payment_method": True,
        "soft_limit_usd": 100000000,
        "hard_limit_usd": 100000000,
        "system_hard_limit_usd": 100000000,
        "access_until": 0,
    }
    assert (await call("/dashboard/billing/subscription")).json == subscription
    relay.token_quota_usd = 2
    await imagine(call, "a cat")
    answer = await call("/v1/dashboard/billing/subscription")
    assert answer.text.startswith(
        '{"object":"billing_subscription","has_payment_method":true,"soft_limit_usd":2,'
    )
    assert (await call("/v1/dashboard/billing/usage")).json == {"object": "list", "total_usage": 10}
    headers = {"Authorization": f"Bearer {relay.api_key}", "User-Agent": "t", "Accept-Encoding": "gzip"}
    async with session.get(
        relay.base_url + "/dashboard/billing/usage", headers=headers, auto_decompress=False
    ) as r:
        assert r.headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(await r.read()))
    relay.billing_rate_limit = (1, 60.0)
    limited = await call("/dashboard/billing/usage")
    assert (limited.status, limited.text) == (429, "")


async def test_upstream_trouble_stores_and_charges_nothing(relay: FakeRelay, call: Call) -> None:
    relay.upstream_down = True
    mj_error(await call(IMAGINE, {"prompt": "a cat"}), 5, "do_request_failed")
    relay.upstream_down = False
    relay.upstream.fail_next("POST /mj/submit/imagine", "502")
    mj_error(await call(IMAGINE, {"prompt": "a cat"}), 5, "unmarshal_response_body_failed")
    # a prefix without "/mj-" is forwarded as it is: upstream has no such route (404, empty)
    mj_error(await call("/fast" + IMAGINE, {"prompt": "a cat"}), 5, "empty_response_body")
    assert relay.rows == [] and relay.charges == []
    grid = await settled(relay, call, await imagine(call, "a cat"))
    del relay.upstream.tasks[grid["id"]]  # upstream forgot it: its 404 JSON is passed through
    gone = await call(ACTION, {"taskId": grid["id"], "customId": grid["buttons"][0]["customId"]})
    assert (gone.status, gone.json["code"], gone.json["description"]) == (404, 3, "关联任务不存在或已失效")
    assert relay.rows[-1].fail_reason == "关联任务不存在或已失效" and len(relay.charges) == 1
    await relay.upstream.close()
    mj_error(await call(IMAGINE, {"prompt": "a cat"}), 5, "do_request_failed")


async def test_mode_prefixes_and_account_filter(relay: FakeRelay, call: Call) -> None:
    relaxed = (
        await call("/mj-relax" + IMAGINE, {"prompt": "a cat", "accountFilter": {"modes": ["TURBO"]}})
    ).json
    assert (
        relay.count("POST /mj/submit/imagine") == 1
        and relay.requests[0].path == "/mj-relax/mj/submit/imagine"
    )
    forwarded = relay.upstream.requests[0]
    assert forwarded.path == "/mj/submit/imagine" and forwarded.json == {"prompt": "a cat"}
    assert relay.tasks[relaxed["result"]].mode == "FAST"  # neither the prefix nor the filter arrived
    flagged = await imagine(call, "a cat --relax", notifyHook="http://example.com/hook")
    assert relay.tasks[flagged].mode == "RELAX" and "notifyHook" not in relay.upstream.requests[-1].json
    relay.account_filter_enabled = True
    filtered = await imagine(call, "a cat", accountFilter={"modes": ["TURBO"]})
    assert relay.tasks[filtered].mode == "TURBO"
    relay.mode_clear_enabled = True
    cleared = await imagine(call, "a cat --relax")
    assert relay.upstream.requests[-1].json == {"prompt": "a cat "} and relay.tasks[cleared].mode == "FAST"
    fetched = await call(f"/mj-turbo/mj/task/{cleared}/fetch")
    assert fetched.status == 200 and relay.count("GET /mj/task/{id}/fetch") == 1


async def test_the_image_route_streams_upstreams_image(
    relay: FakeRelay, call: Call, session: aiohttp.ClientSession
) -> None:
    relay.upstream.image_format = "webp"
    task_id = await imagine(call, "a cat")
    early = await call(f"/mj/image/{task_id}")  # no image stored yet: the GET of "" fails
    assert (early.status, early.json) == (500, {"error": "http_get_image_failed"})
    await settled(relay, call, task_id)
    async with session.get(f"{relay.base_url}/mj/image/{task_id}") as answer:  # no key needed
        data = await answer.read()
        assert answer.status == 200 and answer.headers["Content-Type"] == "image/webp"
        assert "Content-Length" not in answer.headers and answer.headers["Transfer-Encoding"] == "chunked"
    assert data == relay.images[task_id] and data.startswith(b"RIFF")
    unknown = await call("/mj/image/123")
    assert (unknown.status, unknown.json) == (400, {"error": "midjourney_task_not_found"})
    relay.upstream.cdn_expired = 404
    expired = await call(f"/mj-fast/mj/image/{task_id}")
    assert (expired.status, expired.json) == (404, {"error": "This content is no longer available."})
    relay.upstream_down = True
    assert (await call(f"/mj/image/{task_id}")).status == 500


async def test_a_task_unfinished_after_the_timeout_fails_and_is_refunded(
    relay: FakeRelay, call: Call
) -> None:
    relay.task_timeout, relay.credit_usd = 0.6, 1.0
    task_id = await imagine(call, "a cat [hold]")
    task = await settled(relay, call, task_id)
    assert (task["status"], task["failReason"]) == ("FAILURE", "上游任务超时（超过1小时）")
    assert relay.credit_usd == pytest.approx(1.0) and relay.upstream.tasks[task_id].held


async def test_the_refresh_period_and_its_cost(relay: FakeRelay) -> None:
    relay.refresh_period, relay.refresh_cost = 0.1, 0.15
    await relay.next_refresh()
    started = time.monotonic()
    await relay.next_refresh(2)
    assert time.monotonic() - started >= 2 * 0.25 - 0.02


async def test_faults_on_the_relays_own_routes(relay: FakeRelay, call: Call) -> None:
    task_id = await imagine(call, "a cat")
    relay.fail_next("GET /mj/task/{id}/fetch", "502")
    relay.fail_next("GET /mj/task/{id}/fetch", "missing_fields")
    assert (await call(f"/mj-relax/mj/task/{task_id}/fetch")).status == 502
    assert "status" not in (await call(f"/mj/task/{task_id}/fetch")).json
    assert (await call(f"/mj/task/{task_id}/fetch")).json["status"] == ""
    assert relay.faults_served == ["502", "missing_fields"] and relay.count("GET /mj/task/{id}/fetch") == 3


async def test_the_fixture_and_the_harness_take_a_relay(
    tmp_path: Path, fake_mj: FakeRelay, fake_discord: FakeDiscord, session: aiohttp.ClientSession
) -> None:
    settings = make_settings(tmp_path / "bot.sqlite3", fake_mj, fake_discord)
    assert (settings.mj_base_url, settings.mj_api_key) == (fake_mj.base_url, fake_mj.api_key)
    assert fake_mj.refresh_period == pytest.approx(RELAY_REFRESH_PERIOD)
    client = MJClient(session, settings.mj_base_url, settings.mj_api_key, user_agent="fake-relay-test/1.0")
    await client.probe()  # 400 task_no_found: the key and the User-Agent were accepted
    assert [r.headers["Authorization"] for r in fake_mj.requests] == ["Bearer <redacted>"]
