"""The relay's answers as the bot reads them: error shapes, codes, statuses, buttons and the balance.

Each case is an answer new-api or midjourney-proxy really gives (see the fakes and their source notes).
"""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp import web

from bot.jobs.outcomes import Outage, RetryCause, ended_reason, failure_reason, refusal_outage, retry_cause
from bot.mj.answers import error_for
from bot.mj.billing import Balance
from bot.mj.buttons import ButtonRoute, relay_can_run, route_of
from bot.mj.client import MJClient
from bot.mj.errors import (
    KeyProblem,
    MJAuthError,
    MJCreditExhausted,
    MJError,
    MJHTTPError,
    MJNoChannel,
    MJParentNotReady,
    MJRateLimited,
    MJTaskNotFound,
    MJTransientError,
    MJUnknownAction,
    MJUpstreamUnreachable,
    MJUserAgentRefused,
)
from bot.mj.models import SubmitResult, Task, TaskStatus
from bot.models import Reason, ReasonCode

KEY = "sk-secret-key"


def relay_error(code: int, description: str) -> bytes:
    """new-api controller/relay.go RelayMidjourney: HTTP 400, description with a trailing space."""
    return json.dumps({"code": code, "description": f"{description} ", "type": "upstream_error"}).encode()


def gateway_error(message: str, code: str = "") -> bytes:
    """new-api middleware/utils.go abortWithOpenAiMessage."""
    text = f"{message} (request id: 20261130120000123456789AbCdEfGh)"
    return json.dumps({"error": {"code": code, "message": text, "type": "new_api_error"}}).encode()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, relay_error(4, "quota_not_enough"), MJCreditExhausted),
        (400, relay_error(5, "do_request_failed"), MJUpstreamUnreachable),
        (400, relay_error(5, "unmarshal_response_body_failed"), MJUpstreamUnreachable),
        (400, relay_error(5, "empty_response_body"), MJUpstreamUnreachable),
        (400, relay_error(4, "task_no_found"), MJTaskNotFound),
        (400, relay_error(4, "task_not_found"), MJTaskNotFound),
        (400, relay_error(4, "task_status_not_success"), MJParentNotReady),
        (400, gateway_error("Invalid request, unknown_action:MJ::BOOKMARK::abc"), MJUnknownAction),
        (
            503,
            gateway_error("分组 default 下模型 mj_imagine 无可用渠道（distributor）", "model_not_found"),
            MJNoChannel,
        ),
        (429, b"", MJRateLimited),
        (403, b"error code: 1010", MJUserAgentRefused),
        (404, json.dumps({"code": 3, "description": "关联任务不存在或已失效"}).encode(), MJTaskNotFound),
        (502, b"<html>bad gateway</html>", MJTransientError),
        (400, relay_error(4, "prompt_is_required"), MJHTTPError),
    ],
)
def test_each_error_shape_is_its_own_cause(status: int, body: bytes, expected: type[MJError]) -> None:
    error = error_for(status, body, secret=KEY)
    assert type(error) is expected, error


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("无效的令牌", KeyProblem.WRONG),
        ("该令牌额度已用尽 TokenStatusExhausted[sk-abc***xyz]", KeyProblem.EXHAUSTED),
        (
            "[sk-abc***xyz] 该令牌额度已用尽 !token.UnlimitedQuota && token.RemainQuota = 0",
            KeyProblem.EXHAUSTED,
        ),
        ("该令牌已过期", KeyProblem.EXPIRED),
        ("该令牌状态不可用", KeyProblem.DISABLED),
    ],
)
def test_a_refused_token_says_why(message: str, problem: KeyProblem) -> None:
    error = error_for(401, gateway_error(message), secret=KEY)
    assert isinstance(error, MJAuthError) and error.problem is problem
    assert refusal_outage(error)[0] is Outage.KEY
    assert isinstance(error_for(401, b"Authorization header missing.", secret=KEY), MJAuthError)


def test_what_is_safe_to_resend_and_what_is_not() -> None:
    def stored_nothing(status: int, body: bytes) -> bool:
        error = error_for(status, body, secret=KEY)
        return isinstance(error, MJTransientError) and error.nothing_stored

    assert stored_nothing(400, relay_error(5, "do_request_failed"))
    assert stored_nothing(503, gateway_error("x 无可用渠道", "model_not_found"))
    assert stored_nothing(429, b"")
    assert not stored_nothing(503, b"<html>Service Unavailable</html>"), "a bare 503 may follow a stored job"


def test_the_key_never_shows_in_an_error() -> None:
    error = error_for(400, relay_error(4, f"bad token {KEY}"), secret=KEY)
    assert KEY not in str(error) and KEY not in getattr(error, "said", "")


def test_retry_causes_and_failure_reasons() -> None:
    assert retry_cause(MJUpstreamUnreachable("x")) is RetryCause.UPSTREAM
    assert retry_cause(MJNoChannel("x")) is RetryCause.NO_WORKER
    assert retry_cause(MJRateLimited("x")) is RetryCause.RATE_LIMITED
    assert retry_cause(MJTransientError("x")) is RetryCause.UNREACHABLE
    assert failure_reason(MJUnknownAction(400, "x")) == Reason.of(ReasonCode.UNSUPPORTED_ACTION)
    assert failure_reason(MJHTTPError(400, "x", said="prompt_is_required")) == Reason.of(
        ReasonCode.REFUSED, description="prompt_is_required (HTTP 400)"
    )
    outage, reason = refusal_outage(MJCreditExhausted(400, "x"))
    assert (outage, reason) == (Outage.CREDIT, Reason.of(ReasonCode.CREDIT_EXHAUSTED))


def test_submit_codes_as_the_relay_sends_them() -> None:
    # midjourney-proxy DiscordService.RedisEnqueue: a full queue is code 9.
    full = SubmitResult.from_api({"code": 9, "description": "提交失败，队列已满，请稍后重试", "result": None})
    assert full.queue_full and not full.accepted
    other_nine = SubmitResult.from_api({"code": 9, "description": "提交失败，系统异常", "result": None})
    assert not other_nine.queue_full
    no_account = SubmitResult.from_api({"code": 3, "description": "无可用的账号实例", "result": None})
    assert no_account.no_account
    # new-api rewrites 22 to 1 and keeps numberOfQueues; and a Remix window's 21 to 1.
    queued = SubmitResult.from_api(
        {
            "code": 1,
            "description": "排队中，前面还有2个任务",
            "result": "7",
            "properties": {"numberOfQueues": 2},
        }
    )
    assert queued.accepted and queued.queue_position == 2
    remix = SubmitResult.from_api({"code": 1, "description": "Waiting for window confirm", "result": "8"})
    assert remix.needs_modal


def test_tasks_as_the_relay_table_holds_them() -> None:
    fresh = Task.from_api(
        {"id": "1", "action": "IMAGINE", "status": "", "progress": "0%", "buttons": None, "properties": None,
         "videoUrl": "", "videoUrls": None, "startTime": 0}
    )  # fmt: skip
    assert fresh.status is TaskStatus.NOT_START and not fresh.status.is_terminal and fresh.start_time is None
    cancelled = Task.from_api({"id": "2", "status": "CANCEL"})
    assert cancelled.status.is_terminal
    assert ended_reason(cancelled)[0] == Reason.of(ReasonCode.TASK_CANCELLED)
    timed_out = Task.from_api({"id": "3", "status": "FAILURE", "failReason": "上游任务超时（超过1小时）"})
    assert ended_reason(timed_out)[0] == Reason.of(ReasonCode.RELAY_TIMEOUT)
    video = Task.from_api(
        {"id": "4", "status": "SUCCESS", "videoUrl": "https://a/0.mp4",
         "videoUrls": [{"url": "https://a/0.mp4"}, {"url": "https://a/1.mp4"}]}
    )  # fmt: skip
    assert video.video_urls == ("https://a/0.mp4", "https://a/1.mp4")


@pytest.mark.parametrize(
    ("custom_id", "runs"),
    [
        ("MJ::JOB::upsample::1::u", True),
        ("MJ::JOB::upsample_v7_2x_subtle::1::u::SOLO", True),
        ("MJ::JOB::variation::3::u", True),
        ("MJ::JOB::low_variation::1::u::SOLO", True),
        ("MJ::JOB::reroll::0::u::SOLO", True),
        ("MJ::JOB::pan_left::1::u::SOLO", True),
        ("MJ::Outpaint::50::1::u::SOLO", True),
        ("MJ::CustomZoom::u", True),
        ("MJ::Inpaint::1::u::SOLO", False),  # needs a mask drawn at modal time
        ("MJ::BOOKMARK::u", False),
        ("MJ::JOB::animate_high::1::u::SOLO", False),
        ("MJ::JOB::animate_low::1::u::SOLO", False),
        ("MJ::Job::PicReader::1", False),
        ("MJ::Picread::Retry", False),
        ("MJ::JOB::upsample::x::u", False),  # new-api's Atoi fails: index_parse_failed
        ("plain", False),  # new-api panics on an id with no "::"
    ],
)
def test_only_buttons_the_relay_can_run_are_shown(custom_id: str, runs: bool) -> None:
    assert relay_can_run(custom_id) is runs


@pytest.mark.parametrize(
    ("custom_id", "route"),
    [
        ("MJ::JOB::upsample::1::u", ButtonRoute.ACTION),
        ("MJ::CustomZoom::u", ButtonRoute.ACTION),
        ("MJ::Inpaint::1::u::SOLO", ButtonRoute.REGION),
        ("MJ::BOOKMARK::u", ButtonRoute.BOOKMARK),
        ("MJ::JOB::animate_high::1::u::SOLO", ButtonRoute.ANIMATE),
        ("MJ::JOB::animate_low_extend::1::u", ButtonRoute.EXTEND),
        ("MJ::Job::PicReader::2", ButtonRoute.PROMPT_LINE),
        ("MJ::Job::PromptAnalyzer::u::3", ButtonRoute.PROMPT_LINE),
        ("MJ::Picread::Retry", ButtonRoute.DESCRIBE_AGAIN),
        ("MJ::JOB::video_virtual_upscale::1::u", None),  # new-api: unknown_action, and nothing else runs it
        ("MJ::JOB::upsample::x::u", None),
        ("plain", None),
    ],
)
def test_each_button_has_the_route_that_runs_it(custom_id: str, route: ButtonRoute | None) -> None:
    assert route_of(custom_id) is route


def test_balance_from_the_billing_routes() -> None:
    balance = Balance.from_api(
        {"object": "billing_subscription", "hard_limit_usd": 12.5}, {"total_usage": 250}
    )
    assert balance is not None and (balance.left_usd, balance.used_usd, balance.unlimited) == (
        10.0,
        2.5,
        False,
    )
    unlimited = Balance.from_api({"hard_limit_usd": 100000000}, {"total_usage": 0})
    assert unlimited is not None and unlimited.unlimited
    assert Balance.from_api({"error": {"message": "db"}}, {"total_usage": 1}) is None


async def test_one_bad_item_in_a_batch_answer_never_costs_the_others() -> None:
    """A relay that answers list-by-condition with one malformed task: the others are still read."""

    async def batch(request: web.Request) -> web.Response:
        good = {"id": "1", "status": "IN_PROGRESS", "progress": "40%"}
        return web.json_response([good, {"id": "2", "status": "SUCCESS", "buttons": "not a list"}, "x"])

    app = web.Application()
    app.router.add_post("/mj/task/list-by-condition", batch)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as session:
            client = MJClient(session, f"http://127.0.0.1:{port}", KEY, user_agent="test/1.0")
            tasks = await client.fetch_many(["1", "2", "3"])
    finally:
        await runner.cleanup()
    assert [(task.id, task.progress) for task in tasks] == [("1", 40)]
