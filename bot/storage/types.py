"""The store's small types: what a job insert re-checks, a button to save, progress, a click's outcome,
and the lease a process holds on the jobs it works on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.models import Job, JobStatus


class AdmissionLost(Exception):
    """The insert's own re-check refused the job: another submit of the user's got in first."""


class QuotaExceeded(AdmissionLost):
    """Creating the job would pass the user's daily quota; `used` jobs were already charged."""

    def __init__(self, used: int) -> None:
        super().__init__(used)
        self.used = used


class CooldownActive(AdmissionLost):
    """The user submitted at `last_submit`, inside the guild's cooldown."""

    def __init__(self, last_submit: datetime) -> None:
        super().__init__(last_submit)
        self.last_submit = last_submit


@dataclass(frozen=True, slots=True)
class Quota:
    """What a job insert re-checks in its own transaction, for the new job's user and guild:
    at most `limit` charged jobs since `since`, and no submit after `quiet_after` (a cooldown)."""

    limit: int | None
    since: datetime
    quiet_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button to store for a delivered job, in display order."""

    custom_id: str
    label: str
    emoji: str


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    job_id: int
    status: JobStatus
    progress: int
    queue_position: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """The outcome of a click: the new job, or the job an earlier click already started."""

    job: Job
    created: bool


@dataclass(frozen=True, slots=True)
class Lease:
    """Who this process is to the database (`holder`, unique among the processes sharing it), and how long
    its hold on a job lasts unless renewed (seconds)."""

    holder: str = "local"
    seconds: float = 15.0

    def until(self) -> float:
        """The end of a lease taken or renewed now, in epoch seconds."""
        return datetime.now(UTC).timestamp() + self.seconds
