"""Migration 5: the sentences older versions stored in `jobs.detail`, read back as reason codes.

Each code lists the templates it was once written with (en-US and zh-CN, as they shipped); a sentence
that matches none is kept whole as `legacy` text.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable

from bot.models import ReasonArg, ReasonCode

_RETRY_HINT = (
    "Press Retry to submit it again (if the first submit did reach the API, it may be charged twice)."
)
_TEMPLATES: dict[ReasonCode, tuple[str, ...]] = {
    ReasonCode.UNCERTAIN_RESTART: (
        "The bot restarted while submitting this job, so it cannot tell whether the API took it. "
        + _RETRY_HINT,
        "机器人在提交此任务时重启了，无法确定 API 是否已接收。"
        "点击“重试”重新提交（若首次提交其实已到达 API，可能会被重复扣费）。",
    ),
    ReasonCode.UNCERTAIN_ERROR: (
        "Something went wrong inside the bot while submitting this job, so it cannot tell whether the API "
        "took it. Press Retry to submit it again (if it did reach the API, it may be charged twice).",
        "机器人在提交此任务时内部出错，无法确定 API 是否已接收。点击“重试”重新提交（若其实已到达 API，可能会被重复扣费）。",
    ),
    ReasonCode.UNCERTAIN_TIMEOUT: (
        "The API did not answer the submit in time, so the bot cannot tell whether it took the job. "
        + _RETRY_HINT,
        "API 未及时响应提交，机器人无法确定任务是否已被接收。"
        "点击“重试”重新提交（若首次提交其实已到达 API，可能会被重复扣费）。",
    ),
    ReasonCode.RETRY_UNREACHABLE: (
        "The API could not be reached ({error}); retrying (attempt {attempt})",
        "无法连接 API（{error}）；正在重试（第 {attempt} 次）",
    ),
    ReasonCode.RETRY_QUEUE_FULL: (
        "The API is busy (its queue is full); retrying (attempt {attempt})",
        "API 繁忙（队列已满）；正在重试（第 {attempt} 次）",
    ),
    ReasonCode.GAVE_UP_UNREACHABLE: (
        "The API could not be reached for {minutes} min; giving up. Please try again in a few minutes.",
        "API 已连续 {minutes} 分钟无法连接，已放弃。请过几分钟再试。",
    ),
    ReasonCode.GAVE_UP_QUEUE_FULL: (
        "The API is busy (its queue is full) and stayed so for {minutes} min; giving up. "
        "Please try again in a few minutes.",
        "API 已连续 {minutes} 分钟繁忙（队列已满），已放弃。请过几分钟再试。",
    ),
    ReasonCode.REFUSED: ("The API refused the job: {description}", "API 拒绝了此任务：{description}"),
    ReasonCode.TASK_LOST: ("The API no longer knows this job's task.", "API 已查不到此任务。"),
    ReasonCode.IMAGE_UNREADABLE: ("The image could not be posted: {error}.", "图片无法发布：{error}。"),
    ReasonCode.CANCELLED: ("Cancelled by its owner.", "已被发起人取消。"),
    ReasonCode.UNDELIVERED: (
        "The result could not be posted in its channel or by DM. Use /show job:{job} where you can see it.",
        "结果无法在其频道或通过私信发布。请在你能看到的地方使用 /展示 任务:{job}。",
    ),
    ReasonCode.DM_CLOSED: (
        "Direct messages are closed: nothing was submitted.",
        "私信已关闭：未提交任何内容。",
    ),
    ReasonCode.DM_UNCHECKED: (
        "The bot restarted before it could reach your direct messages. Nothing was submitted.",
        "机器人在联系你的私信之前重启了。未提交任何内容。",
    ),
    ReasonCode.NOT_POSTED: ("The answer to the interaction could not be sent.",),
    ReasonCode.WRONG_KEY: (
        "The MJ API key is wrong (HTTP 401). The bot's operator must fix this.",
        "MJ API 密钥错误（HTTP 401），需要机器人运营者修复。",
    ),
    ReasonCode.USER_AGENT_REFUSED: (
        "The MJ API refused the bot's User-Agent (403, error code 1010). The bot's operator must fix this.",
        "MJ API 拒绝了机器人的 User-Agent（403，错误代码 1010），需要机器人运营者修复。",
    ),
}
# Arguments kept as numbers; the rest stay text. The old `{error}` was English exception text: dropped.
_NUMERIC = frozenset({"attempt", "minutes", "job"})
_DROPPED = frozenset({"error"})


def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name:
            parts.append(rf"(?P<{name}>.*?)")
    return re.compile("".join(parts), re.DOTALL)


_PATTERNS = [(code, _pattern(template)) for code, templates in _TEMPLATES.items() for template in templates]


def legacy_reason(detail: str) -> tuple[ReasonCode, dict[str, ReasonArg]]:
    """The reason an old `detail` sentence stood for, with its arguments."""
    text = detail.removeprefix("⏳").strip()
    for code, pattern in _PATTERNS:
        if match := pattern.fullmatch(text):
            args: dict[str, ReasonArg] = {}
            for name, value in match.groupdict().items():
                if name in _DROPPED:
                    continue
                args[name] = int(value) if name in _NUMERIC and value.isdigit() else value
            return code, args
    return ReasonCode.LEGACY, {"text": detail}


def converted(rows: Iterable[tuple[int, str]]) -> list[tuple[str, str, int]]:
    """(reason, reason_args JSON, job id) for each (job id, detail) row."""
    result = []
    for job_id, detail in rows:
        code, args = legacy_reason(detail)
        result.append((code.value, json.dumps(args, ensure_ascii=False), job_id))
    return result
