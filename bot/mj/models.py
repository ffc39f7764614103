"""The API's JSON, typed once at the edge. Nothing past `from_api` touches a raw dict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any

from bot.mj.errors import MJMalformedResponse


class TaskStatus(StrEnum):
    NOT_START = "NOT_START"
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    MODAL = "MODAL"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: str) -> TaskStatus:
        try:
            return cls(value.upper())
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in (TaskStatus.SUCCESS, TaskStatus.FAILURE)


class SubmitCode(IntEnum):
    SUCCESS = 1
    EXISTS = 21
    QUEUED = 22
    QUEUE_FULL = 23
    BANNED_PROMPT = 24


def _frozen(value: object) -> Mapping[str, Any]:
    return MappingProxyType(dict(value)) if isinstance(value, dict) else MappingProxyType({})


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _time(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _progress(value: object) -> int:
    text = str(value or "").strip().rstrip("%")
    try:
        return max(0, min(100, int(float(text))))
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class TaskButton:
    custom_id: str
    label: str
    emoji: str
    style: int
    type: int

    @classmethod
    def from_api(cls, data: object) -> TaskButton:
        if not isinstance(data, dict) or not isinstance(data.get("customId"), str) or not data["customId"]:
            raise MJMalformedResponse("a task button has no customId")
        return cls(
            custom_id=data["customId"],
            label=_text(data, "label"),
            emoji=_text(data, "emoji"),
            style=data["style"] if isinstance(data.get("style"), int) else 2,
            type=data["type"] if isinstance(data.get("type"), int) else 2,
        )


@dataclass(frozen=True, slots=True)
class Task:
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

    @classmethod
    def from_api(cls, data: object) -> Task:
        if not isinstance(data, dict):
            raise MJMalformedResponse("the task is not a JSON object")
        task_id, status = data.get("id"), data.get("status")
        if isinstance(task_id, int) and not isinstance(task_id, bool):
            task_id = str(task_id)
        if not isinstance(task_id, str) or not task_id or not isinstance(status, str) or not status:
            raise MJMalformedResponse("the task has no id or no status")
        buttons = data.get("buttons") or []
        if not isinstance(buttons, list):
            raise MJMalformedResponse("the task's buttons are not a list")
        properties = _frozen(data.get("properties"))
        final_prompt = properties.get("finalPrompt")
        return cls(
            id=task_id,
            action=_text(data, "action").upper(),
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
        )


@dataclass(frozen=True, slots=True)
class SubmitResult:
    code: int
    description: str
    task_id: str | None
    queue_position: int | None
    banned_word: str | None
    properties: Mapping[str, Any]

    @property
    def accepted(self) -> bool:
        return (
            self.code in (SubmitCode.SUCCESS, SubmitCode.EXISTS, SubmitCode.QUEUED)
            and self.task_id is not None
        )

    @property
    def needs_modal(self) -> bool:
        return self.code == SubmitCode.EXISTS and "waiting for window confirm" in self.description.lower()

    @classmethod
    def from_api(cls, data: object) -> SubmitResult:
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("code"), int)
            or isinstance(data["code"], bool)
        ):
            raise MJMalformedResponse("the submit answer has no code")
        result = data.get("result")
        if isinstance(result, int) and not isinstance(result, bool):
            result = str(result)
        properties = _frozen(data.get("properties"))
        queue = properties.get("numberOfQueues")
        banned = properties.get("bannedWord")
        return cls(
            code=data["code"],
            description=_text(data, "description"),
            task_id=result if isinstance(result, str) and result else None,
            queue_position=queue
            if isinstance(queue, int) and not isinstance(queue, bool) and queue > 0
            else None,
            banned_word=banned if isinstance(banned, str) and banned else None,
            properties=properties,
        )
