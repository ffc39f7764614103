"""What an answer of the API means for a job: a reason to show, a cause to retry, an outage to report.

Pure: the engine asks, and acts on the answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from bot.mj.banned_words import BANNED_TOPIC, banned_word_in
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
from bot.mj.models import Task, TaskStatus
from bot.models import Reason, ReasonCode

UNREACHABLE_ALERT_AFTER = 5 * 60  # seconds of failed submits before the operator hears of it
# new-api controller/midjourney.go UpdateMidjourneyTaskBulk: an unfinished task after an hour.
RELAY_TIMEOUT = "上游任务超时"


class RetryCause(StrEnum):
    """Why a submit goes back to the queue; each is the `retry_<cause>` and `gave_up_<cause>` reason."""

    UNREACHABLE = "unreachable"  # no answer, a timeout, a bare 5xx (nothing sent)
    UPSTREAM = "upstream"  # the relay could not reach midjourney-proxy (new-api code 5)
    QUEUE_FULL = "queue_full"  # code 23, or midjourney-proxy's code 9
    NO_WORKER = "no_worker"  # no relay channel, or no midjourney-proxy account, free
    RATE_LIMITED = "rate_limited"  # HTTP 429

    @property
    def is_outage(self) -> bool:
        """The service itself is down, not merely busy: worth telling the operator if it lasts."""
        return self in (RetryCause.UNREACHABLE, RetryCause.UPSTREAM, RetryCause.NO_WORKER)


class Outage(StrEnum):
    """Something only the operator can fix; they hear of it once, until it is over."""

    CREDIT = "credit"
    KEY = "key"
    UNREACHABLE = "unreachable"


class OutageSink(Protocol):
    """Where outages go (bot/alerts.py tells the server's admins)."""

    def outage(self, kind: Outage, guild_id: int | None) -> None: ...
    def recovered(self) -> None: ...


def retry_cause(err: MJTransientError) -> RetryCause:
    if isinstance(err, MJUpstreamUnreachable):
        return RetryCause.UPSTREAM
    if isinstance(err, MJNoChannel):
        return RetryCause.NO_WORKER
    if isinstance(err, MJRateLimited):
        return RetryCause.RATE_LIMITED
    return RetryCause.UNREACHABLE


_KEY_REASONS = {
    KeyProblem.WRONG: ReasonCode.WRONG_KEY,
    KeyProblem.EXHAUSTED: ReasonCode.KEY_EXHAUSTED,
    KeyProblem.EXPIRED: ReasonCode.KEY_EXPIRED,
    KeyProblem.DISABLED: ReasonCode.KEY_DISABLED,
}


def refusal_outage(err: MJAuthError | MJUserAgentRefused | MJCreditExhausted) -> tuple[Outage, Reason]:
    """A refusal only the operator can fix: which outage it is, and what the user reads."""
    if isinstance(err, MJCreditExhausted):
        return Outage.CREDIT, Reason.of(ReasonCode.CREDIT_EXHAUSTED)
    if isinstance(err, MJUserAgentRefused):
        return Outage.KEY, Reason.of(ReasonCode.USER_AGENT_REFUSED)
    return Outage.KEY, Reason.of(_KEY_REASONS[err.problem])


def failure_reason(err: MJError) -> Reason:
    """Why a submit the API refused failed, in a code the user's language can word."""
    if isinstance(err, MJUnknownAction):
        return Reason.of(ReasonCode.UNSUPPORTED_ACTION)
    if isinstance(err, MJTaskNotFound):
        return Reason.of(ReasonCode.PARENT_GONE)
    if isinstance(err, MJParentNotReady):
        return Reason.of(ReasonCode.PARENT_NOT_READY)
    if isinstance(err, MJHTTPError):
        said = f"{err.said} (HTTP {err.status})" if err.said else f"HTTP {err.status}"
        return Reason.of(ReasonCode.REFUSED, description=said)
    return Reason.of(ReasonCode.REFUSED, description=str(err))


def is_banned(fail_reason: str) -> bool:
    """A FAILURE for the prompt's content: midjourney-proxy's "可能包含敏感词" (its own word list, no word
    named) or Midjourney's "Banned prompt detected, …" (DiscordService, DiscordWebSocketService)."""
    return bool(BANNED_TOPIC.search(fail_reason))


def ended_reason(task: Task) -> tuple[Reason, str | None]:
    """How a task that ended without an image reads: the reason, and a banned word it names."""
    if task.status is TaskStatus.CANCEL:
        return Reason.of(ReasonCode.TASK_CANCELLED), None
    if RELAY_TIMEOUT in task.fail_reason:
        return Reason.of(ReasonCode.RELAY_TIMEOUT), None
    return Reason.of(ReasonCode.TASK_FAILED, text=task.fail_reason), banned_word_in(task.fail_reason)
