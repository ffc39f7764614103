"""new-api's submit path for one request: Distribute's model and channel, RelayMidjourneySubmit's checks,
price and quota, DoMidjourneyHttpRequest to upstream, the stored row, the code rewrites and the charge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from tests.fakes.mj.newapi import (
    FALLBACK_PRICE,
    QUOTA_PER_UNIT,
    ActionError,
    GoPanic,
    cover_plus_action,
    go_json,
    mj_error,
    model_name,
    openai_error,
    panic_error,
    sniffed,
)
from tests.fakes.mj.relay_table import now_ms

if TYPE_CHECKING:
    from tests.fakes.mj.relay import FakeRelay

# relay/constant/relay_mode.go Path2RelayModeMidjourney → the action a mode stands for (constant/midjourney.go)
FIXED_ACTIONS = {
    "imagine": "IMAGINE",
    "describe": "DESCRIBE",
    "edits": "EDITS",
    "shorten": "SHORTEN",
    "blend": "BLEND",
    "upload": "UPLOAD",
    "swap": "SWAP_FACE",
}
FREE_ACTIONS = ("INPAINT", "CUSTOM_ZOOM")  # RelayMidjourneySubmit: consumeQuota = false
STRING_FIELDS = (
    "prompt",
    "customId",
    "botType",
    "notifyHook",
    "action",
    "state",
    "taskId",
    "content",
    "maskBase64",
)


@dataclass
class MjRequest:
    """dto/midjourney.go MidjourneyRequest: the only fields the relay reads."""

    prompt: str = ""
    custom_id: str = ""
    action: str = ""
    index: int = 0
    task_id: str = ""


@dataclass
class Upstream:
    """dto.MidjourneyResponse as parsed from upstream's body, with the raw body and status."""

    status: int
    body: bytes
    code: int
    description: str
    result: str  # "" when result is not a string (upload's array)
    properties: Any


def parse_request(raw: bytes, content_type: str) -> MjRequest:
    """common/gin.go UnmarshalBodyReusable: only a JSON Content-Type is parsed (else every field is
    empty); a body json.Unmarshal refuses raises ValueError."""
    if not content_type.startswith("application/json"):
        return MjRequest()
    data = json.loads(raw)  # ValueError for an empty or broken body
    if data is None:
        return MjRequest()
    if not isinstance(data, dict):
        raise ValueError("json: cannot unmarshal array into Go value of type dto.MidjourneyRequest")
    for name in STRING_FIELDS:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ValueError(
                f"json: cannot unmarshal into Go struct field MidjourneyRequest.{name} of type string"
            )
    index = data.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise ValueError("json: cannot unmarshal into Go struct field MidjourneyRequest.index of type int")
    fields = {name: data.get(name) or "" for name in STRING_FIELDS}
    return MjRequest(fields["prompt"], fields["customId"], fields["action"], index or 0, fields["taskId"])


def parse_upstream(status: int, body: bytes) -> Upstream | None:
    """service/midjourney.go DoMidjourneyHttpRequest: MidjourneyResponse, else MidjourneyUploadResponse
    (result []string), else None (unmarshal_response_body_failed)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None
    code, description, result = data.get("code"), data.get("description"), data.get("result")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        return None
    if description is not None and not isinstance(description, str):
        return None
    if result is not None and not isinstance(result, str):
        if not isinstance(result, list) or not all(isinstance(r, str) for r in result):
            return None
        result = ""  # the upload shape: no task id
    return Upstream(status, body, code or 0, description or "", result or "", data.get("properties"))


def mj_request_path(raw_path: str) -> str:
    """relay/mjproxy_handler.go getMjRequestPath: a /mj-… prefix is cut at "/mj/" (query kept); any
    other prefix is forwarded as it is."""
    if "/mj-" in raw_path:
        parts = raw_path.split("/mj/")
        if len(parts) >= 2:
            return "/mj/" + parts[1]
    return raw_path


async def submit(relay: FakeRelay, request: web.Request, mode: str, request_id: str) -> web.StreamResponse:
    """One MJ submit through the relay (modes: imagine, action, modal, change, describe, blend, shorten,
    edits, video, upload, swap)."""
    raw = await request.read()
    # middleware/distributor.go Distribute → getModelRequest
    try:
        req = parse_request(raw, request.content_type)
    except ValueError as err:
        return openai_error(400, f"Invalid request, 无效的midjourney请求, {err}", request_id)
    action = FIXED_ACTIONS.get(mode, "")
    if mode == "action":
        try:
            req.action, req.index = cover_plus_action(req.custom_id, req.action)
        except ActionError as err:
            return openai_error(400, f"Invalid request, {err}", request_id)
        except GoPanic as err:
            return panic_error(err.index, err.length)
        mode = "change"  # RelayMidjourneySubmit: relayInfo.RelayMode = Change
    model = {"change": model_name(req.action), "modal": "mj_modal", "video": "mj_video"}.get(mode)
    model = model or model_name(action)
    if not relay.channel_available or model not in relay.channel_models:
        message = f"分组 default 下模型 {model} 无可用渠道（distributor）"
        return openai_error(503, message, request_id, code="model_not_found")
    # relay/mjproxy_handler.go RelayMidjourneySubmit
    if mode == "imagine" and req.prompt == "":
        return mj_error(4, "prompt_is_required")
    prompt = req.prompt
    if mode in ("change", "modal", "video"):
        action = {"change": req.action, "modal": "MODAL", "video": "VIDEO"}[mode]
        if req.task_id:
            if mode == "change" and req.action == "":
                return mj_error(4, "action_is_required")
            if mode == "change" and req.index == 0:
                return mj_error(4, "index_is_required")
            origin = relay.table_row(req.task_id)
            if origin is None:
                return mj_error(4, "task_not_found")
            if relay.action_check_success and origin.status != "SUCCESS" and mode != "modal":
                return mj_error(4, "task_status_not_success")
            prompt = origin.prompt
    if mode == "swap":
        data = json.loads(raw) if raw else {}
        if not isinstance(data, dict) or not data.get("sourceBase64") or not data.get("targetBase64"):
            return mj_error(4, "sour_base64_and_target_base64_is_required")
        prompt = "InsightFace"
    consume = action not in FREE_ACTIONS
    price = relay.prices.get(model, FALLBACK_PRICE)
    quota = int(price * QUOTA_PER_UNIT)
    if consume and relay.user_quota is not None and relay.user_quota - quota < 0:
        return mj_error(4, "quota_not_enough")
    upstream = await forward(relay, request, raw)
    if isinstance(upstream, web.Response):
        return upstream  # code 5: nothing stored, nothing charged
    billed = Billed(model, quota, consume and mode != "swap")
    return answer(relay, upstream, action, prompt, billed, swap=mode == "swap")


async def forward(relay: FakeRelay, request: web.Request, raw: bytes) -> Upstream | web.Response:
    """service/midjourney.go DoMidjourneyHttpRequest: the caller's JSON object re-serialised (keys
    sorted) minus accountFilter/notifyHook unless enabled, speed flags cleared when MjModeClearEnabled,
    Content-Type and Accept copied, mj-api-secret = the channel key; 60 s."""
    try:
        body = json.loads(raw)
    except ValueError:
        return mj_error(5, "read_request_body_failed")
    if not isinstance(body, dict):
        return mj_error(5, "read_request_body_failed")
    if not relay.notify_enabled:
        body.pop("notifyHook", None)
    if not relay.account_filter_enabled:
        body.pop("accountFilter", None)
    if relay.mode_clear_enabled and isinstance(body.get("prompt"), str):
        for flag in ("--fast", "--relax", "--turbo"):
            body["prompt"] = body["prompt"].replace(flag, "")
    headers = {name: request.headers[name] for name in ("Content-Type", "Accept") if name in request.headers}
    headers["mj-api-secret"] = relay.upstream.api_key
    url = relay.upstream_url + mj_request_path(request.raw_path)
    timeout = aiohttp.ClientTimeout(total=relay.upstream_timeout)
    data = go_json(body, sort_keys=True).encode()
    try:
        relay.check_upstream()
        async with relay.session.post(url, data=data, headers=headers, timeout=timeout) as response:
            status, answer_body = response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError):
        return mj_error(5, "do_request_failed")
    if not answer_body:
        return mj_error(5, "empty_response_body")
    # the commented-out check: a non-2xx status is not an error here
    parsed = parse_upstream(status, answer_body)
    return parsed if parsed is not None else mj_error(5, "unmarshal_response_body_failed")


@dataclass
class Billed:
    """What a submit costs: the model, its quota and whether it is charged at all."""

    model: str
    quota: int
    consume: bool


def answer(
    relay: FakeRelay, up: Upstream, action: str, prompt: str, billed: Billed, *, swap: bool
) -> web.Response:
    """RelayMidjourneySubmit after the upstream call: a row for every JSON reply, 21/22 rewritten to 1
    (21 kept for INPAINT and CUSTOM_ZOOM), the raw body passed with upstream's status, and the deferred
    charge (HTTP 200 and code 1/21/22 only)."""
    row = relay.new_row(
        mj_id=up.result,
        action=action,
        prompt=prompt,
        description=up.description,
        code=up.code,
        quota=billed.quota,
    )
    body, consume = up.body, billed.consume
    if up.code not in (1, 21, 22):
        row.fail_reason, consume = up.description, False
    if up.code == 21:
        props = up.properties if isinstance(up.properties, dict) else {}
        if isinstance(props.get("imageUrl"), str) and isinstance(props.get("status"), str):
            row.image_url, row.status = props["imageUrl"], props["status"]
            if row.status == "SUCCESS":
                row.progress, row.start_time = "100%", now_ms()
                row.finish_time = row.start_time
        if action not in ("INPAINT", "CUSTOM_ZOOM"):
            body = body.replace(b'"code":21', b'"code":1')  # textual: only this exact spelling
    if up.code == 1 and action == "UPLOAD":
        row.progress, row.status = "100%", "SUCCESS"
    if up.code == 22:
        body = body.replace(b'"code":22', b'"code":1')  # numberOfQueues stays in properties
    if swap:
        # relay/mjproxy_handler.go RelaySwapFace: charged on 200 + code 1; the answer is re-marshalled
        consume = up.status == 200 and up.code == 1
        fields = {"code": up.code, "description": up.description, "properties": up.properties}
        body = go_json({**fields, "result": up.result}).encode()
    if consume and up.status == 200:
        relay.charge(row, billed.model, billed.quota)
    return sniffed(body, up.status)


async def image_seed(relay: FakeRelay, task_id: str) -> web.Response:
    """relay/mjproxy_handler.go RelayMidjourneyTaskImageSeed: GET upstream's image-seed with body null
    and, in b44c1304, no mj-api-secret (Distribute chose no channel); 30 s; re-marshalled, HTTP 200."""
    row = relay.table_row(task_id)
    if row is None:
        return mj_error(4, "task_no_found")
    url = f"{relay.upstream_url}/mj/task/{task_id}/image-seed"
    try:
        relay.check_upstream()
        timeout = aiohttp.ClientTimeout(total=30)
        async with relay.session.get(url, data=b"null", timeout=timeout) as response:
            status, body = response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError):
        return mj_error(5, "do_request_failed")
    if not body:
        return mj_error(5, "empty_response_body")
    up = parse_upstream(status, body)
    if up is None:
        return mj_error(5, "unmarshal_response_body_failed")
    fields = {
        "code": up.code,
        "description": up.description,
        "properties": up.properties,
        "result": up.result,
    }
    return web.Response(body=go_json(fields).encode(), content_type="application/json")
