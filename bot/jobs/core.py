"""What the parts of the engine share: the job rows, the queue and the slots, the watched snapshots, and
the few moves every part makes (queue a job, finish a job, free its slot, watch its task)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.delivery import Writer
from bot.jobs.fair_queue import FairQueue
from bot.jobs.outcomes import OutageSink
from bot.jobs.poller import Poller
from bot.jobs.slots import Slots
from bot.mj.client import MJClient
from bot.mj.models import Task
from bot.models import Job, JobStatus, Mode, Reason, ReasonCode
from bot.storage import Store
from bot.tasks import TaskRegistry


class JobCore:
    """The one owner of job state in memory; every status change goes through the store from here."""

    def __init__(
        self,
        store: Store,
        mj: MJClient,
        writer: Writer,
        *,
        settings: Settings,
        registry: TaskRegistry,
        slots: Slots,
        alerts: OutageSink,
    ) -> None:
        self.store = store
        self.mj = mj
        self.writer = writer
        self.settings = settings
        self.registry = registry
        self.slots = slots
        self.alerts = alerts
        self.queue = FairQueue()
        self.jobs: dict[int, Job] = {}  # snapshots of the jobs being polled
        self.poller: Poller | None = None  # set by the engine once built

    def enqueue(self, job: Job) -> None:
        """Queue a job for submission; one with no message yet gets its progress message now.

        A job over its user's or guild's concurrency limit waits here, and its message says so.
        """
        blocked = self.slots.blocked(job.user_id, job.guild_id)
        if blocked is not None and not job.submit_attempts:
            code = ReasonCode.WAITING_SLOT if blocked.scope == "user" else ReasonCode.WAITING_GUILD
            self.writer.show(
                replace(job, reason=Reason.of(code, running=blocked.running, limit=blocked.limit))
            )
        elif job.message_id is None:
            self.writer.show(job)
        retry_at = job.next_attempt_at
        delay = (retry_at - datetime.now(UTC)).total_seconds() if retry_at else 0.0
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.queue.put, job.user_id, job.id, job.guild_id)
        else:
            self.queue.put(job.user_id, job.id, job.guild_id)

    def release(self, job_id: int) -> None:
        """Free the job's concurrency slot, so the queue looks again."""
        if self.slots.release(job_id):
            self.queue.wake()

    async def finish(
        self,
        job: Job,
        status: JobStatus,
        reason: Reason | None = None,
        task: Task | None = None,
        *,
        banned_word: str | None = None,
    ) -> None:
        """A final state: written, the job forgotten here, its slot freed, its message told."""
        task_action = task.action if task else None
        final = await self.store.set_status(
            job.id, status, reason=reason, task_action=task_action, banned_word=banned_word
        )
        self.jobs.pop(job.id, None)
        self.release(job.id)
        self.writer.finish(final, task)

    def local_job_ids(self) -> set[int]:
        """The jobs this process works on now: queued here, or watched."""
        return self.queue.ids() | set(self.jobs)

    def forget(self, job_id: int) -> None:
        """Stop working on a job here (another process holds it now); its row is not touched."""
        self.queue.discard(job_id)
        self.jobs.pop(job_id, None)
        if self.poller is not None:
            self.poller.unwatch(job_id)
        self.release(job_id)

    def watch(self, job: Job, delay: float | None = None) -> None:
        if job.task_id is None or self.poller is None:
            raise RuntimeError(f"job {job.id} has no task to watch")
        self.jobs[job.id] = job
        self.poller.watch(job.id, job.task_id, delay=delay)

    def deadline(self, job: Job) -> datetime:
        """When a running job is shown as "seems stuck" (its slot freed), by mode."""
        seconds = {
            Mode.RELAX: self.settings.deadline_relax,
            Mode.TURBO: self.settings.deadline_turbo,
        }.get(job.mode or Mode.FAST, self.settings.deadline_fast)
        return (job.submitted_at or job.created_at) + timedelta(seconds=seconds)
