"""new-api's token check (middleware/auth.go TokenAuth, model/token.go ValidateUserToken) for FakeRelay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakes.mj.newapi import openai_error

if TYPE_CHECKING:
    from tests.fakes.mj.relay import FakeRelay

TOKEN_STATES = ("enabled", "disabled", "expired", "exhausted")


def _bearer(value: str) -> str:
    return value.removeprefix("Bearer ").removeprefix("bearer ")


def token_error(relay: FakeRelay, request: web.Request, request_id: str) -> web.Response | None:
    """The OpenAI-shaped refusal for a request's key, or None when the token may be used. The key is
    the Authorization value (Bearer stripped), or mj-api-secret when that is empty or
    "midjourney-proxy"; then "sk-" is stripped and a "-<channel>" suffix split off."""
    if relay.token_state not in TOKEN_STATES:
        raise ValueError(f"token_state must be one of {', '.join(TOKEN_STATES)}")
    key = _bearer(request.headers.get("Authorization", ""))
    if key in ("", "midjourney-proxy"):
        key = _bearer(request.headers.get("mj-api-secret", ""))
    parts = key.removeprefix("sk-").split("-")
    key, ours = parts[0], relay.api_key.removeprefix("sk-")
    if key == "":
        return openai_error(401, "未提供令牌", request_id)
    if key != ours:
        return openai_error(401, "无效的令牌", request_id)
    masked = f"sk-{key[:3]}***{key[-3:]}"
    if relay.token_state == "exhausted":
        return openai_error(401, f"该令牌额度已用尽 TokenStatusExhausted[{masked}]", request_id)
    if relay.token_state == "expired":
        return openai_error(401, "该令牌已过期", request_id)
    if relay.token_state == "disabled":
        return openai_error(401, "该令牌状态不可用", request_id)
    if not relay.token_unlimited and relay.token_remain_quota <= 0:
        message = (
            f"[sk-{key[:3]}***{key[-3:]}] 该令牌额度已用尽 !token.UnlimitedQuota && "
            f"token.RemainQuota = {relay.token_remain_quota}"
        )
        return openai_error(401, message, request_id)
    if len(parts) > 1 and parts[1]:
        return openai_error(403, "普通用户不支持指定渠道", request_id)  # only admins pick a channel
    return None
