"""new-api's wire shapes (QuantumNous/new-api b44c1304): its JSON, error bodies, request ids, the
customId → action mapping, model names, prices and the OpenAI-style billing answers."""

from __future__ import annotations

import json
import random
import re
import string
import time
from typing import Any

from aiohttp import web

QUOTA_PER_UNIT = 500_000  # common/constants.go QuotaPerUnit: quota per USD
# setting/ratio_setting/model_ratio.go defaultModelPrice, USD per call
DEFAULT_PRICES = {
    "mj_imagine": 0.1,
    "mj_variation": 0.1,
    "mj_reroll": 0.1,
    "mj_blend": 0.1,
    "mj_modal": 0.1,
    "mj_zoom": 0.1,
    "mj_shorten": 0.1,
    "mj_high_variation": 0.1,
    "mj_low_variation": 0.1,
    "mj_pan": 0.1,
    "mj_inpaint": 0.0,
    "mj_custom_zoom": 0.0,
    "mj_describe": 0.05,
    "mj_upscale": 0.05,
    "swap_face": 0.05,
    "mj_upload": 0.05,
    "mj_video": 0.8,
    "mj_edits": 0.1,
}
FALLBACK_PRICE = 0.1  # relay/helper/price.go ModelPriceHelperPerCall: a model in neither map
PANIC_URL = "https://github.com/Calcium-Ion/new-api"
TIMEOUT_REASON = "上游任务超时（超过1小时）"  # controller/midjourney.go UpdateMidjourneyTaskBulk


def go_json(data: Any, *, sort_keys: bool = False) -> str:
    """encoding/json.Marshal: compact, UTF-8 kept, <, > and & escaped, U+2028/2029 escaped. A map
    (gin.H, map[string]any) has its keys sorted; a struct keeps its field order."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def go_number(value: float) -> float | int:
    """A float64 as encoding/json writes it: no ".0" on a whole number."""
    return int(value) if value == int(value) and abs(value) < 1e21 else value


def gin_json(data: Any, status: int, *, sort_keys: bool = True) -> web.Response:
    """gin's c.JSON: application/json; charset=utf-8."""
    body = go_json(data, sort_keys=sort_keys).encode()
    return web.Response(status=status, body=body, content_type="application/json", charset="utf-8")


def sniffed(body: bytes, status: int) -> web.Response:
    """Bytes written with no Content-Type: net/http sniffs JSON as text/plain; charset=utf-8."""
    return web.Response(status=status, body=body, content_type="text/plain", charset="utf-8")


def mj_error(code: int, description: str, status: int = 400) -> web.Response:
    """controller/relay.go RelayMidjourney: every relay error is HTTP 400 with "<description> <result>"
    (result is always "", hence the trailing space) and type upstream_error."""
    return gin_json({"code": code, "description": f"{description} ", "type": "upstream_error"}, status)


def openai_error(status: int, message: str, request_id: str, code: str = "") -> web.Response:
    """middleware/utils.go abortWithOpenAiMessage: auth and distribution errors, even on MJ routes."""
    error = {"code": code, "message": f"{message} (request id: {request_id})", "type": "new_api_error"}
    return gin_json({"error": error}, status)


def panic_error(index: int, length: int) -> web.Response:
    """main.go gin.CustomRecovery: a Go panic (here: index out of range) answered as 500."""
    message = (
        f"Panic detected, error: runtime error: index out of range [{index}] with length {length}. "
        f"Please submit a issue here: {PANIC_URL}"
    )
    return gin_json({"error": {"message": message, "type": "new_api_panic"}}, 500)


def new_request_id() -> str:
    """middleware/request-id.go: common.GetTimeString() (yyyyMMddHHmmss + ns % 1e9) + 8 random chars."""
    now = time.time_ns()
    stamp = time.strftime("%Y%m%d%H%M%S", time.localtime(now / 1e9))
    return f"{stamp}{now % 1_000_000_000}{''.join(random.choices(string.ascii_letters + string.digits, k=8))}"


class ActionError(Exception):
    """service/midjourney.go CoverPlusActionToNormalAction's MidjourneyErrorWrapper(4, …)."""


class GoPanic(Exception):
    """An index out of range in Go: splits[i] with len(splits) <= i."""

    def __init__(self, index: int, length: int) -> None:
        super().__init__(f"index out of range [{index}] with length {length}")
        self.index, self.length = index, length


def cover_plus_action(custom_id: str, body_action: str) -> tuple[str, int]:
    """service/midjourney.go CoverPlusActionToNormalAction: (action, index) for a customId; the checks
    run in this order, so any action containing "pan" is PAN."""
    if custom_id == "":
        raise ActionError("custom_id_is_required")
    splits = custom_id.split("::")

    def part(i: int) -> str:
        if i >= len(splits):
            raise GoPanic(i, len(splits))
        return splits[i]

    action = part(2) if part(1) == "JOB" else part(1)
    if action == "":
        raise ActionError("unknown_action")
    if "upsample" in action:
        return "UPSCALE", _atoi(part(3))
    if "variation" in action:
        if action == "variation":
            return "VARIATION", _atoi(part(3))
        named = {"low_variation": "LOW_VARIATION", "high_variation": "HIGH_VARIATION"}
        return named.get(action, body_action), 1  # e.g. strong_variation keeps the body's action
    if "pan" in action:
        return "PAN", 1
    if "reroll" in action:
        return "REROLL", 1
    fixed = {"Outpaint": "ZOOM", "CustomZoom": "CUSTOM_ZOOM", "Inpaint": "INPAINT"}
    if action in fixed:
        return fixed[action], 1
    raise ActionError(f"unknown_action:{custom_id}")


def _atoi(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ActionError("index_parse_failed")
    return int(text)


def model_name(action: str) -> str:
    """service/midjourney.go CoverActionToModelName."""
    return "swap_face" if action == "SWAP_FACE" else f"mj_{action.lower()}"


def subscription(remain: int, used: int, unlimited: bool, expired_time: int) -> dict[str, Any]:
    """controller/billing.go GetSubscription with DisplayTokenStatEnabled (default) and USD display:
    the token's quota in USD; an unlimited token shows 100000000; a token that never expires 0."""
    amount: float = 100000000 if unlimited else (remain + used) / QUOTA_PER_UNIT
    amount = go_number(amount)
    return {
        "object": "billing_subscription",
        "has_payment_method": True,
        "soft_limit_usd": amount,
        "hard_limit_usd": amount,
        "system_hard_limit_usd": amount,
        "access_until": max(expired_time, 0),
    }


def usage(used: int) -> dict[str, Any]:
    """controller/billing.go GetUsage: the token's used quota in cents (unit: 0.01 dollar)."""
    return {"object": "list", "total_usage": go_number(used / QUOTA_PER_UNIT * 100)}
