"""The bot's own records: a job (one unit of paid work) and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class JobStatus(StrEnum):
    """A job's state. It only moves forward; see DESIGN.md."""

    QUEUED = "QUEUED"  # written, not yet sent to the API
    SUBMITTING = "SUBMITTING"  # the submit POST is (or was, before a crash) in flight
    RUNNING = "RUNNING"  # the API took it; we poll its task
    STUCK = "STUCK"  # past its deadline; still polled slowly, still checkable
    DELIVERING = "DELIVERING"  # the task finished; the result is being posted
    DONE = "DONE"
    FAILED = "FAILED"  # the API said FAILURE, or refused the submit
    REJECTED = "REJECTED"  # the prompt was refused as sensitive (code 24)
    UNCERTAIN = "UNCERTAIN"  # the submit may or may not have reached the API: the user decides
    WAITING_INPUT = "WAITING_INPUT"  # the API waits for a prompt (Remix, Custom Zoom): the user's modal
    CANCELLED = "CANCELLED"

    @property
    def is_active(self) -> bool:
        """Occupies one of the user's concurrent slots at the API."""
        return self in (JobStatus.SUBMITTING, JobStatus.RUNNING, JobStatus.STUCK)

    @property
    def is_charged(self) -> bool:
        """Counts towards a daily quota: failures, refusals and cancellations are refunded."""
        return self not in (JobStatus.FAILED, JobStatus.REJECTED, JobStatus.CANCELLED)

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {JobStatus.DONE, JobStatus.FAILED, JobStatus.REJECTED, JobStatus.UNCERTAIN, JobStatus.CANCELLED}
)


class Mode(StrEnum):
    FAST = "FAST"
    RELAX = "RELAX"
    TURBO = "TURBO"


class BotType(StrEnum):
    MID_JOURNEY = "MID_JOURNEY"
    NIJI_JOURNEY = "NIJI_JOURNEY"


@dataclass(frozen=True, slots=True)
class NewJob:
    """What a cog knows when it asks for a job."""

    user_id: int
    guild_id: int | None
    channel_id: int
    prompt: str
    action: str = "IMAGINE"
    mode: Mode | None = None
    bot_type: BotType | None = None
    parent_job_id: int | None = None
    parent_task_id: str | None = None
    custom_id: str | None = None
    reply_to_message_id: int | None = None
    upload_limit: int | None = None
    locale: str = "en-US"
    dm: bool = False  # the user asked for results by direct message
    modal_prompt: str | None = None  # given in advance for an action that opens a modal (Custom Zoom)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    status: JobStatus
    user_id: int
    guild_id: int | None
    channel_id: int
    message_id: int | None
    reply_to_message_id: int | None
    prompt: str
    action: str
    mode: Mode | None
    bot_type: BotType | None
    parent_job_id: int | None
    parent_task_id: str | None
    custom_id: str | None
    task_id: str | None
    task_action: str | None
    progress: int
    queue_position: int | None
    detail: str | None
    upload_limit: int | None
    submit_attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None
    locale: str = "en-US"
    dm: bool = False
    modal_task_id: str | None = None
    modal_prompt: str | None = None
    banned_word: str | None = None
    retrying_since: datetime | None = None  # the first busy answer of the submit being retried

    @property
    def is_action(self) -> bool:
        return self.custom_id is not None


@dataclass(frozen=True, slots=True)
class StoredButton:
    """A button we delivered: its Discord custom_id is `mj:b:<id>`; the API's customId stays here."""

    id: int
    job_id: int
    position: int
    custom_id: str
    label: str
    emoji: str
    used_by_job_id: int | None

    @property
    def used(self) -> bool:
        return self.used_by_job_id is not None


@dataclass(frozen=True, slots=True)
class Defaults:
    """A user's or a channel's defaults for new jobs; None means "not set here"."""

    mode: Mode | None = None
    bot_type: BotType | None = None
    aspect: str | None = None
    version: str | None = None
    suffix: str | None = None
    dm: bool | None = None

    def over(self, fallback: Defaults) -> Defaults:
        """These defaults, with `fallback` filling what is not set."""
        return Defaults(
            mode=self.mode or fallback.mode,
            bot_type=self.bot_type or fallback.bot_type,
            aspect=self.aspect or fallback.aspect,
            version=self.version or fallback.version,
            suffix=self.suffix or fallback.suffix,
            dm=self.dm if self.dm is not None else fallback.dm,
        )
