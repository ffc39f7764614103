"""new-api's own Midjourney task table (model/midjourney.go): its rows, how fetch shows a row
(MidjourneyDto) and how the refresh loop reads upstream's answer and updates a row."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.fakes.mj.newapi import TIMEOUT_REASON, go_json

if TYPE_CHECKING:
    from tests.fakes.mj.relay import FakeRelay

STRING_FIELDS = {
    "id": "mj_id",
    "action": "action",
    "customId": "",
    "botType": "",
    "prompt": "",
    "promptEn": "prompt_en",
    "description": "",
    "state": "state",
    "imageUrl": "image_url",
    "videoUrl": "video_url",
    "status": "status",
    "progress": "progress",
    "failReason": "fail_reason",
    "maskBase64": "",
}
INT_FIELDS = {"submitTime": "submit_time", "startTime": "start_time", "finishTime": "finish_time"}


@dataclass
class Row:
    """model/midjourney.go Midjourney, the columns the relay uses. One user and one channel."""

    pk: int
    mj_id: str
    action: str
    prompt: str
    description: str
    code: int
    quota: int
    submit_time: int
    prompt_en: str = ""
    state: str = ""
    start_time: int = 0
    finish_time: int = 0
    image_url: str = ""  # the raw upstream URL; fetch rewrites it (coverMidjourneyTaskDto)
    video_url: str = ""
    video_urls: str = ""  # JSON text
    status: str = ""
    progress: str = "0%"
    fail_reason: str = ""
    buttons: str = ""  # JSON text
    properties: str = ""  # JSON text


@dataclass
class Item:
    """One element of upstream's list-by-condition answer as json.Unmarshal fills dto.MidjourneyDto:
    missing and null fields are Go zero values."""

    mj_id: str = ""
    action: str = ""
    prompt_en: str = ""
    state: str = ""
    image_url: str = ""
    video_url: str = ""
    status: str = ""
    progress: str = ""
    fail_reason: str = ""
    submit_time: int = 0
    start_time: int = 0
    finish_time: int = 0
    video_urls: list[dict[str, Any]] | None = None
    buttons: Any = None
    properties: dict[str, str] | None = None


class Unparsable(ValueError):
    """json.Unmarshal would fail: the whole batch is dropped."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def dto(row: Row, forward_base: str | None) -> dict[str, Any]:
    """relay/mjproxy_handler.go coverMidjourneyTaskDto: every MidjourneyDto key in struct order;
    customId, botType and maskBase64 are never filled. `forward_base` is ServerAddress when
    MjForwardUrlEnabled (imageUrl → <server>/mj/image/<id>, with ?rand= until SUCCESS)."""
    image_url = row.image_url
    if image_url and forward_base is not None:
        image_url = f"{forward_base}/mj/image/{row.mj_id}"
        if row.status != "SUCCESS":
            image_url += f"?rand={time.time_ns()}"
    return {
        "id": row.mj_id,
        "action": row.action,
        "customId": "",
        "botType": "",
        "prompt": row.prompt,
        "promptEn": row.prompt_en,
        "description": row.description,
        "state": row.state,
        "submitTime": row.submit_time,
        "startTime": row.start_time,
        "finishTime": row.finish_time,
        "imageUrl": image_url,
        "videoUrl": row.video_url,
        "videoUrls": _stored(row.video_urls, _video_urls),
        "status": row.status,
        "progress": row.progress,
        "failReason": row.fail_reason,
        "buttons": _stored(row.buttons, _buttons),
        "maskBase64": "",
        "properties": _stored(row.properties, _properties),
    }


def _stored(text: str, parse: Any) -> Any:
    """A JSON column read back into its Go type, or null when it does not parse."""
    try:
        return parse(json.loads(text)) if text else None
    except (ValueError, TypeError, AttributeError):
        return None


def _video_urls(data: Any) -> list[dict[str, Any]] | None:
    if data is None:
        return None
    if not isinstance(data, list):
        raise TypeError("not a list")
    return [{"url": _string(item.get("url")) if item is not None else ""} for item in data]


def _buttons(data: Any) -> list[dict[str, Any]] | None:
    """dto.ActionButton keeps customId, emoji, label, type and style (any type; missing = null)."""
    if data is None:
        return None
    if not isinstance(data, list):
        raise TypeError("not a list")
    keys = ("customId", "emoji", "label", "type", "style")
    return [{k: item.get(k) if isinstance(item, dict) else None for k in keys} for item in data]


def _properties(data: Any) -> dict[str, str] | None:
    """dto.Properties keeps finalPrompt and finalZhPrompt."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError("not an object")
    return {
        "finalPrompt": _string(data.get("finalPrompt")),
        "finalZhPrompt": _string(data.get("finalZhPrompt")),
    }


def _string(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unparsable("a string field holds another type")
    return value


def parse_items(raw: bytes) -> list[Item]:
    """json.Unmarshal(body, &[]dto.MidjourneyDto): strings must be strings, times integers; one bad
    field fails the whole batch (Unparsable)."""
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise Unparsable(str(err)) from err
    if data is None:
        return []
    if not isinstance(data, list):
        raise Unparsable("not an array")
    return [_item(entry) for entry in data]


def _item(entry: Any) -> Item:
    if entry is None:
        return Item()
    if not isinstance(entry, dict):
        raise Unparsable("an element is not an object")
    fields = {key.lower(): value for key, value in entry.items()}  # Go matches keys case-insensitively
    item = Item()
    for key, attribute in STRING_FIELDS.items():
        value = _string(fields.get(key.lower()))
        if attribute:
            setattr(item, attribute, value)
    for key, attribute in INT_FIELDS.items():
        number = fields.get(key.lower())
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise Unparsable(f"{key} is not an integer")
        setattr(item, attribute, number or 0)
    try:
        item.video_urls = _video_urls(fields.get("videourls"))
        item.properties = _properties(fields.get("properties"))
    except (TypeError, AttributeError) as err:
        raise Unparsable(str(err)) from err
    item.buttons = fields.get("buttons")
    return item


def apply_item(row: Row, item: Item, timeout_ms: int) -> tuple[bool, bool]:
    """controller/midjourney.go UpdateMidjourneyTaskBulk for one returned task: the 1-hour timeout,
    checkMjTaskNeedUpdate, the copied fields, and whether the task finished in failure with quota to
    give back. Returns (updated, refund)."""
    if now_ms() - row.submit_time > timeout_ms and row.progress != "100%":
        item.fail_reason, item.status = TIMEOUT_REASON, "FAILURE"
    video_urls = go_json(item.video_urls) if item.video_urls else ""
    changed = (
        row.code != 1
        or (row.progress, row.prompt_en, row.state, row.image_url, row.status, row.fail_reason)
        != (item.progress, item.prompt_en, item.state, item.image_url, item.status, item.fail_reason)
        or (row.submit_time, row.start_time, row.finish_time)
        != (item.submit_time, item.start_time, item.finish_time)
        or (row.video_url, row.video_urls) != (item.video_url, video_urls)
        or (row.progress != "100%" and item.fail_reason != "")
    )
    if not changed:
        return False, False
    row.code, row.progress, row.prompt_en, row.state = 1, item.progress, item.prompt_en, item.state
    row.submit_time, row.start_time, row.finish_time = item.submit_time, item.start_time, item.finish_time
    row.image_url, row.status, row.fail_reason = item.image_url, item.status, item.fail_reason
    if item.properties is not None:
        row.properties = go_json(item.properties)
    if item.buttons is not None:
        row.buttons = go_json(item.buttons)
    row.video_url, row.video_urls = item.video_url, video_urls
    refund = False
    if (row.progress != "100%" and item.fail_reason != "") or (
        row.progress == "100%" and row.status == "FAILURE"
    ):
        row.progress = "100%"
        refund = row.quota != 0
    return True, refund


async def refresh_round(relay: FakeRelay) -> None:
    """controller/midjourney.go UpdateMidjourneyTaskBulk, one round over the unfinished rows (progress
    not 100%): rows without an MJ id fail (no reason, no refund); the others are asked for at
    upstream's list-by-condition, one row per MJ id (the last one wins), copied, timed out and
    refunded (model.IncreaseUserQuota: the user, not the token)."""
    unfinished = [row for row in relay.rows if row.progress != "100%"]
    for row in unfinished:
        if not row.mj_id:
            row.status, row.progress = "FAILURE", "100%"
    by_id = {row.mj_id: row for row in unfinished if row.mj_id}
    for item in await _upstream_items(relay, [row.mj_id for row in unfinished if row.mj_id]):
        target = by_id.get(item.mj_id)
        if target is None:
            continue
        _, refund = apply_item(target, item, int(relay.task_timeout * 1000))
        if refund:
            relay.refund(target)
    for mj_id in {row.mj_id for row in relay.rows if row.mj_id}:
        first = relay.table_row(mj_id)  # what fetch shows
        if first is not None and first.status == "SUCCESS":
            relay.success_at.setdefault(mj_id, time.monotonic())


async def _upstream_items(relay: FakeRelay, ids: list[str]) -> list[Item]:
    """POST {channel}/mj/task/list-by-condition {"ids": [...]} with mj-api-secret, 15 s; a transport
    error, a non-200 status or a body that does not parse leaves every row as it is."""
    if not ids:
        return []
    headers = {"Content-Type": "application/json", "mj-api-secret": relay.upstream.api_key}
    try:
        relay.check_upstream()
        async with relay.session.post(
            f"{relay.upstream_url}/mj/task/list-by-condition",
            data=go_json({"ids": ids}).encode(),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=15),
        ) as response:
            status, body = response.status, await response.read()
        return parse_items(body) if status == 200 else []
    except (aiohttp.ClientError, TimeoutError, Unparsable):
        return []
