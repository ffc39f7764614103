"""Error answers, read once at the edge: which cause an HTTP status and body stand for.

The relay answers in three shapes (new-api controller/relay.go, middleware/utils.go, relay/mjproxy_handler.go):

- its own errors: HTTP 400 `{"code": 4 | 5, "description": "<reason> ", "type": "upstream_error"}`;
- auth and channel errors: the OpenAI shape `{"error": {"message", "type", "code"}}` with 401, 403 or 503;
- image errors: `{"error": "<text>"}`.

midjourney-proxy itself answers 401 in plain text and 404 with `{"code": 3, …}` for a missing parent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

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

RELAY_UNREACHABLE_CODE = 5  # new-api constant/midjourney.go MjErrorUnknown: upstream not reached
TEXT_SHOWN = 160
_UA_REFUSED = re.compile(r"error code:?\s*1010", re.IGNORECASE)
_REQUEST_ID = re.compile(r"\s*\(request id: [^)]*\)\s*$")
# new-api model/token.go ValidateUserToken, in its words and in English.
_KEY_PROBLEMS = (
    (KeyProblem.EXHAUSTED, re.compile(r"额度已用尽|exhausted|quota", re.IGNORECASE)),
    (KeyProblem.EXPIRED, re.compile(r"已过期|expired", re.IGNORECASE)),
    (KeyProblem.DISABLED, re.compile(r"状态不可用|禁用|disabled", re.IGNORECASE)),
)
_TASK_GONE = ("task_no_found", "task_not_found", "midjourney_task_not_found", "关联任务不存在")
_NO_CHANNEL = re.compile(r"model_not_found|无可用渠道|no available channel", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What an error answer says: the relay's code (its own shape only) and its words."""

    code: int | None
    text: str
    error_code: str = ""  # the OpenAI shape's `error.code`, e.g. "model_not_found"


def read_error_body(raw: bytes, secret: str) -> ErrorBody:
    """The code and words of an error body in any of the shapes above; plain text otherwise."""
    text = raw.decode("utf-8", errors="replace")
    try:
        data: object = json.loads(text)
    except ValueError:
        return ErrorBody(None, _short(text, secret))
    if not isinstance(data, dict):
        return ErrorBody(None, "")
    error = data.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        return ErrorBody(None, _short(str(error.get("message") or ""), secret), str(code or ""))
    if isinstance(error, str):
        return ErrorBody(None, _short(error, secret))
    code = data.get("code")
    words = data.get("description") or data.get("message") or ""
    number = code if isinstance(code, int) and not isinstance(code, bool) else None
    return ErrorBody(number, _short(str(words), secret))


def _short(text: str, secret: str) -> str:
    if secret:
        text = text.replace(secret, "***")
    return " ".join(_REQUEST_ID.sub("", text).split())[:TEXT_SHOWN]


def error_for(status: int, raw: bytes, *, secret: str) -> MJError:
    """The MJError an answer with this status and body stands for."""
    if status == 403 and _UA_REFUSED.search(raw.decode("utf-8", errors="replace")):
        return MJUserAgentRefused()
    body = read_error_body(raw, secret)
    if status == 401:
        problem = next((p for p, words in _KEY_PROBLEMS if words.search(body.text)), KeyProblem.WRONG)
        return MJAuthError(problem)
    if status == 429:
        return MJRateLimited(f"The MJ API asks the bot to slow down (HTTP 429){_said(body)}.", status=status)
    if body.code == RELAY_UNREACHABLE_CODE:
        return MJUpstreamUnreachable(
            f"The relay could not reach midjourney-proxy{_said(body)}.", status=status
        )
    if _NO_CHANNEL.search(body.error_code) or _NO_CHANNEL.search(body.text):
        return MJNoChannel(f"The relay has no upstream channel free{_said(body)}.", status=status)
    if body.text.startswith("quota_not_enough"):
        return MJCreditExhausted(
            status, "The operator's balance at the MJ API is used up (quota_not_enough)."
        )
    if "unknown_action" in body.text:
        return MJUnknownAction(status, f"The MJ API cannot run this button{_said(body)}.")
    if body.text.startswith("task_status_not_success"):
        return MJParentNotReady(status, "The MJ API does not show that job as finished yet.")
    if any(marker in body.text for marker in _TASK_GONE):
        return MJTaskNotFound(status, f"The MJ API does not know that task{_said(body)}.")
    if status >= 500 or status in (408, 425):
        return MJTransientError(f"The MJ API is having trouble (HTTP {status}).", status=status)
    return MJHTTPError(
        status, f"The MJ API refused the request (HTTP {status}){_said(body)}.", said=body.text
    )


def _said(body: ErrorBody) -> str:
    return f": {body.text}" if body.text else ""
