"""The API's JSON, typed once at the edge. Nothing past `from_api` touches a raw dict."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any

from bot.mj.errors import MJMalformedResponse

log = logging.getLogger(__name__)
_UNKNOWN_SEEN: set[str] = set()  # statuses already logged, so each is logged once


class TaskStatus(StrEnum):
    """A task's status; anything the bot does not know is UNKNOWN (not terminal: not started yet)."""

    NOT_START = "NOT_START"
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    MODAL = "MODAL"
    CANCEL = "CANCEL"  # midjourney-proxy Models/Enums.cs: final
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: str) -> TaskStatus:
        """An empty status is NOT_START: new-api's own row before its first refresh from upstream
        (relay/mjproxy_handler.go inserts `status: ""`)."""
        text = value.strip().upper()
        if not text:
            return cls.NOT_START
        try:
            return cls(text)
        except ValueError:
            if text not in _UNKNOWN_SEEN:
                _UNKNOWN_SEEN.add(text)
                log.warning(
                    "The MJ API reported a status the bot does not know: %r (taken as not started)", text
                )
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in (TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCEL)


class TaskAction(StrEnum):
    """What a task does; anything the bot does not know is OTHER (the raw string stays on `Task.action`)."""

    IMAGINE = "IMAGINE"
    UPSCALE = "UPSCALE"
    VARIATION = "VARIATION"
    REROLL = "REROLL"
    ZOOM = "ZOOM"
    PAN = "PAN"
    DESCRIBE = "DESCRIBE"
    BLEND = "BLEND"
    SHORTEN = "SHORTEN"
    SWAP_FACE = "SWAP_FACE"
    OTHER = "OTHER"

    @classmethod
    def parse(cls, value: str) -> TaskAction:
        try:
            return cls(value.strip().upper())
        except ValueError:
            return cls.OTHER


class SubmitCode(IntEnum):
    SUCCESS = 1
    NOT_FOUND = 3  # midjourney-proxy ReturnCode.cs: "无可用的账号实例" (no account free) among others
    FAILURE = 9  # midjourney-proxy: a full queue ("提交失败，队列已满，请稍后重试") among others
    EXISTS = 21
    QUEUED = 22
    QUEUE_FULL = 23  # the spec's; midjourney-proxy never sends it (it sends 9)
    BANNED_PROMPT = 24


MODAL_DESCRIPTION = "waiting for window confirm"  # midjourney-proxy's remix / custom zoom confirmation
# midjourney-proxy DiscordService.RedisEnqueue: code 9 with these words is a full queue.
QUEUE_FULL_WORDS = ("队列已满", "queue is full", "queue full")
NO_ACCOUNT_WORDS = ("无可用的账号实例", "no available account")


def _freeze(value: Any) -> Any:
    """A read-only deep copy of parsed JSON: objects become mappings, arrays become tuples."""
    if isinstance(value, dict):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _properties(data: Mapping[str, Any], *, strict: bool) -> Mapping[str, Any]:
    value = data.get("properties")
    if value is None or (not strict and not isinstance(value, dict)):
        return MappingProxyType({})
    if not isinstance(value, dict):
        raise MJMalformedResponse("the answer's properties are not an object")
    frozen: Mapping[str, Any] = _freeze(value)
    return frozen


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(data: Mapping[str, Any], key: str) -> str:
    """An optional string field: missing or null is "", any other type is malformed."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MJMalformedResponse(f"the field {key} is not a string")
    return value


def _time(data: Mapping[str, Any], key: str) -> datetime | None:
    """An optional millisecond timestamp as an aware UTC datetime; missing, null or 0 is None."""
    value = data.get(key)
    if value is None:
        return None
    if not (_is_int(value) or isinstance(value, float)):
        raise MJMalformedResponse(f"the field {key} is not a timestamp")
    if not math.isfinite(value) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _progress(value: object) -> int:
    """Parse "37%" → 37, clamped to 0..100; missing or garbage → 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().removesuffix("%").strip())
        except ValueError:
            return 0
    else:
        return 0
    if not math.isfinite(number):
        return 0
    return max(0, min(100, int(number)))


def _int_field(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key)
    if value is None:
        return default
    if not _is_int(value):
        raise MJMalformedResponse(f"the field {key} is not an integer")
    result: int = value
    return result


@dataclass(frozen=True, slots=True)
class TaskButton:
    """One action the task offers; `custom_id` goes back to the API verbatim."""

    custom_id: str
    label: str
    emoji: str
    style: int
    type: int

    @classmethod
    def from_api(cls, data: object) -> TaskButton:
        if not isinstance(data, dict):
            raise MJMalformedResponse("a task button is not an object")
        custom_id = data.get("customId")
        if not isinstance(custom_id, str) or not custom_id:
            raise MJMalformedResponse("a task button has no customId")
        return cls(
            custom_id=custom_id,
            label=_text(data, "label"),
            emoji=_text(data, "emoji"),
            style=_int_field(data, "style", 2),
            type=_int_field(data, "type", 2),
        )


@dataclass(frozen=True, slots=True)
class Task:
    """A task as `GET /mj/task/{id}/fetch` describes it."""

    id: str
    action: str
    status: TaskStatus
    progress: int
    prompt: str
    prompt_en: str
    description: str
    fail_reason: str
    submit_time: datetime | None
    start_time: datetime | None
    finish_time: datetime | None
    buttons: tuple[TaskButton, ...]
    final_prompt: str | None
    properties: Mapping[str, Any]
    video_urls: tuple[str, ...] = ()  # new-api dto/midjourney.go: videoUrl, and videoUrls [{url}]
    image_url: str = ""  # new-api: ServerAddress/mj/image/{id} when MjForwardUrlEnabled, else upstream's

    @property
    def kind(self) -> TaskAction:
        """The action as an enum (OTHER when unknown); `action` keeps the raw string."""
        return TaskAction.parse(self.action)

    @classmethod
    def from_api(cls, data: object) -> Task:
        if not isinstance(data, dict):
            raise MJMalformedResponse("the task is not a JSON object")
        task_id, status = data.get("id"), data.get("status")
        if _is_int(task_id):
            task_id = str(task_id)
        if not isinstance(task_id, str) or not task_id:
            raise MJMalformedResponse("the task has no id")
        if not isinstance(status, str):
            raise MJMalformedResponse("the task has no status")
        buttons = data.get("buttons")
        if buttons is None:
            buttons = []
        if not isinstance(buttons, list):
            raise MJMalformedResponse("the task's buttons are not a list")
        properties = _properties(data, strict=True)
        final_prompt = properties.get("finalPrompt")
        return cls(
            id=task_id,
            action=_text(data, "action"),
            status=TaskStatus.parse(status),
            progress=_progress(data.get("progress")),
            prompt=_text(data, "prompt"),
            prompt_en=_text(data, "promptEn"),
            description=_text(data, "description"),
            fail_reason=_text(data, "failReason"),
            submit_time=_time(data, "submitTime"),
            start_time=_time(data, "startTime"),
            finish_time=_time(data, "finishTime"),
            buttons=tuple(TaskButton.from_api(b) for b in buttons),
            final_prompt=final_prompt if isinstance(final_prompt, str) and final_prompt else None,
            properties=properties,
            video_urls=_video_urls(data),
            image_url=url if isinstance(url := data.get("imageUrl"), str) else "",  # only ever a link shown
        )


def _video_urls(data: Mapping[str, Any]) -> tuple[str, ...]:
    """`videoUrls` ([{"url": …}], or null) then `videoUrl`, without repeats."""
    urls: list[str] = []
    listed = data.get("videoUrls")
    for item in listed if isinstance(listed, list) else ():
        url = item.get("url") if isinstance(item, dict) else None
        if isinstance(url, str) and url and url not in urls:
            urls.append(url)
    single = _text(data, "videoUrl")
    if single and single not in urls:
        urls.insert(0, single)
    return tuple(urls)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The answer of any submit endpoint."""

    code: int
    description: str
    task_id: str | None
    queue_position: int | None
    banned_word: str | None
    properties: Mapping[str, Any]
    urls: tuple[str, ...] = ()  # upload-discord-images answers its links as a list

    @property
    def accepted(self) -> bool:
        """A task exists to poll (codes 1, 21, 22 with a result). Check `needs_modal` first."""
        return (
            self.code in (SubmitCode.SUCCESS, SubmitCode.EXISTS, SubmitCode.QUEUED)
            and self.task_id is not None
        )

    @property
    def needs_modal(self) -> bool:
        """ "Waiting for window confirm": the task waits for `submit_modal`. midjourney-proxy says it with
        code 21; new-api rewrites that 21 to 1 for everything but Custom Zoom and Inpaint."""
        return (
            self.code in (SubmitCode.SUCCESS, SubmitCode.EXISTS)
            and MODAL_DESCRIPTION in self.description.lower()
        )

    @property
    def queue_full(self) -> bool:
        """The API's queue is full: code 23 (the spec) or code 9 saying so (midjourney-proxy)."""
        if self.code == SubmitCode.QUEUE_FULL:
            return True
        said = self.description.lower()
        return self.code == SubmitCode.FAILURE and any(words in said for words in QUEUE_FULL_WORDS)

    @property
    def no_account(self) -> bool:
        """midjourney-proxy has no account free for the job right now (code 3); nothing was created."""
        said = self.description.lower()
        return self.code == SubmitCode.NOT_FOUND and any(words in said for words in NO_ACCOUNT_WORDS)

    @classmethod
    def from_api(cls, data: object) -> SubmitResult:
        if not isinstance(data, dict) or not _is_int(data.get("code")):
            raise MJMalformedResponse("the submit answer has no code")
        result = data.get("result")
        if _is_int(result):
            result = str(result)
        description = data.get("description")
        properties = _properties(data, strict=False)
        queue = properties.get("numberOfQueues")
        banned = properties.get("bannedWord")
        return cls(
            code=data["code"],
            description=description if isinstance(description, str) else "",
            task_id=result if isinstance(result, str) and result else None,
            queue_position=queue
            if isinstance(queue, int) and not isinstance(queue, bool) and queue >= 0
            else None,
            banned_word=banned if isinstance(banned, str) and banned else None,
            properties=properties,
            urls=tuple(url for url in result if isinstance(url, str) and url)
            if isinstance(result, list)
            else (),
        )
