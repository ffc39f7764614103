"""What the writer keeps per write and counts, and what it reports to the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.delivery.results import ResultImage
from bot.delivery.video import ResultVideo
from bot.models import Job, Reason

if TYPE_CHECKING:
    from bot.mj.models import Task


class DeliveryReport(Protocol):
    """What the writer tells the engine (which owns the job's status)."""

    async def result_posted(self, job: Job) -> None: ...
    async def result_failed(self, job: Job, reason: Reason) -> None: ...
    async def result_unseen(self, job: Job, reason: Reason) -> None: ...
    async def state_shown(self, job: Job) -> None: ...


@dataclass(slots=True)
class PendingWrite:
    """The newest write of one job's message, and what it keeps across its retries."""

    job: Job
    final: bool
    task: Task | None = None
    attempts: int = 0
    not_before: float = 0.0
    image: ResultImage | None = None  # kept across retries: downloaded once
    without_image: bool = False  # a text result whose image could not be had: posted without it
    video: ResultVideo | None = None  # likewise, for a video task


@dataclass(slots=True)
class WriterStats:
    skipped_unchanged: int = 0
    coalesced: int = 0
    delivered: int = 0
    reencoded: int = 0
    failed: int = 0
    undeliverable: int = 0
