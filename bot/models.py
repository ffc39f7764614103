"""The bot's own records: a job (one unit of paid work) and its buttons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType


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
    def is_charged(self) -> bool:
        """Counts towards a daily quota: failures, refusals and cancellations are refunded."""
        return self not in UNCHARGED

    @property
    def is_final(self) -> bool:
        return self in FINAL


# The sets of states the bot asks about, each written once.
FINAL = (JobStatus.DONE, JobStatus.FAILED, JobStatus.REJECTED, JobStatus.UNCERTAIN, JobStatus.CANCELLED)
UNCHARGED = (JobStatus.FAILED, JobStatus.REJECTED, JobStatus.CANCELLED)  # refunded: not in any quota
WAITING = (JobStatus.QUEUED, JobStatus.WAITING_INPUT)  # still in the bot's hands: /cancel can drop them
OPEN = (JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.RUNNING, JobStatus.STUCK, JobStatus.DELIVERING)
DELIVERABLE = (JobStatus.RUNNING, JobStatus.STUCK, JobStatus.DELIVERING)  # a task's SUCCESS delivers these
UNFINISHED = (*OPEN, JobStatus.WAITING_INPUT)  # neither final nor waiting for nothing
SHOWN_LAST = (*FINAL, JobStatus.WAITING_INPUT)  # a job's last word: a restart shows it if it was cut off


class ReasonCode(StrEnum):
    """Why a job is where it is. Stored as a code with its arguments; `render` words it for the reader.

    Each code is the message key `reason.<code>`; API text (a failReason, a refusal's description) travels
    as an argument, untranslated.
    """

    CANCELLED = "cancelled"  # by its owner
    DM_CLOSED = "dm_closed"
    DM_UNCHECKED = "dm_unchecked"  # the bot restarted before the DM was tried
    NOT_POSTED = "not_posted"  # the answer to the interaction could not be sent
    UNCERTAIN_RESTART = "uncertain_restart"
    UNCERTAIN_ERROR = "uncertain_error"
    UNCERTAIN_TIMEOUT = "uncertain_timeout"
    # A busy or unreachable API: retried (attempt), then given up (minutes). See jobs/outcomes.RetryCause.
    RETRY_UNREACHABLE = "retry_unreachable"
    RETRY_UPSTREAM = "retry_upstream"
    RETRY_QUEUE_FULL = "retry_queue_full"
    RETRY_NO_WORKER = "retry_no_worker"
    RETRY_RATE_LIMITED = "retry_rate_limited"
    GAVE_UP_UNREACHABLE = "gave_up_unreachable"
    GAVE_UP_UPSTREAM = "gave_up_upstream"
    GAVE_UP_QUEUE_FULL = "gave_up_queue_full"
    GAVE_UP_NO_WORKER = "gave_up_no_worker"
    GAVE_UP_RATE_LIMITED = "gave_up_rate_limited"
    REFUSED = "refused"  # description: the API's words
    UNSUPPORTED_ACTION = "unsupported_action"  # the relay cannot run this button
    PARENT_GONE = "parent_gone"  # the API no longer knows the task a button belongs to
    PARENT_NOT_READY = "parent_not_ready"
    TASK_FAILED = "task_failed"  # text: the API's failReason ("" when it gave none)
    TASK_CANCELLED = "task_cancelled"
    RELAY_TIMEOUT = "relay_timeout"  # new-api ends a task unfinished after an hour
    TASK_LOST = "task_lost"
    IMAGE_TOO_LARGE = "image_too_large"  # mib
    IMAGE_UNREADABLE = "image_unreadable"
    IMAGE_GONE = "image_gone"  # the image link at the API expired
    IMAGE_UNAVAILABLE = "image_unavailable"  # tries
    VIDEO_UNAVAILABLE = "video_unavailable"  # tries
    VIDEO_OFF = "video_off"  # description: the API's words (video, or Remix, is off at the API)
    UNDELIVERED = "undelivered"  # job
    EMPTY_RESULT = "empty_result"  # a describe or shorten that came back without its text
    # Only the operator can fix these; they are told once per outage (bot/alerts.py).
    CREDIT_EXHAUSTED = "credit_exhausted"
    WRONG_KEY = "wrong_key"
    KEY_EXHAUSTED = "key_exhausted"
    KEY_EXPIRED = "key_expired"
    KEY_DISABLED = "key_disabled"
    USER_AGENT_REFUSED = "user_agent_refused"
    WAITING_SLOT = "waiting_slot"  # running, limit (shown, never stored)
    WAITING_GUILD = "waiting_guild"  # running, limit (shown, never stored)
    LEGACY = "legacy"  # text: a sentence stored before reasons were codes


ReasonArg = str | int


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    args: Mapping[str, ReasonArg] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, code: ReasonCode, **args: ReasonArg) -> Reason:
        return cls(code, MappingProxyType(dict(args)))


class Mode(StrEnum):
    FAST = "FAST"
    RELAX = "RELAX"
    TURBO = "TURBO"


class SubmitRoute(StrEnum):
    """The submit route of a job that is not a click: its `action` column."""

    IMAGINE = "IMAGINE"
    DESCRIBE = "DESCRIBE"
    BLEND = "BLEND"
    SHORTEN = "SHORTEN"
    VIDEO = "VIDEO"


@dataclass(frozen=True, slots=True)
class JobInputs:
    """What a submit sends besides its prompt, kept until the job is pruned so a restart or a retry
    sends it again: images as data URLs, a describe's link, a blend's dimensions, a video's motion,
    a Vary (Region) mask."""

    images: tuple[str, ...] = ()
    link: str | None = None
    dimensions: str | None = None  # PORTRAIT, SQUARE or LANDSCAPE (blend)
    motion: str | None = None  # low or high (video)
    mask: str | None = None  # a PNG data URL, white where the region is (Vary (Region))
    index: int | None = None  # a video Extend: which video of its task (0-3); the task is parent_task_id


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
    inputs: JobInputs | None = None  # stored beside the job (job_inputs), read when it is submitted


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
    reason: Reason | None
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
    prompt_sent_to: str | None = None  # the MODAL task this job's prompt was sent to (never twice)

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


@dataclass(frozen=True, slots=True)
class PendingPrompts:
    """A permutation prompt's jobs, waiting for their owner to confirm the count.

    `template` is the job each prompt becomes; `rules_channel_id` is the channel whose rules apply
    (None in a DM); `by_dm` when the results go to the user's direct messages.
    """

    template: NewJob
    prompts: tuple[str, ...]
    rules_channel_id: int | None
    explicit_mode: bool
    by_dm: bool
    created_at: datetime
