"""The job lifecycle: submit fairly, poll, and hand every state change to the delivery writer.

Every state is written to SQLite before it is acted on, and every open job is resumed on start:
that one rule is the whole of crash recovery.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.delivery import Writer
from bot.jobs.cadence import Cadence
from bot.jobs.fair_queue import FairQueue
from bot.jobs.poller import Poller
from bot.mj.client import MJClient
from bot.mj.errors import MJAuthError, MJError, MJSubmitUncertain, MJTransientError, MJUserAgentRefused
from bot.mj.models import SubmitCode, SubmitResult, Task, TaskStatus
from bot.models import Job, JobStatus, Mode, NewJob
from bot.storage import ClaimResult, ProgressUpdate, Store
from bot.tasks import TaskRegistry

log = logging.getLogger(__name__)

UNCERTAIN_AFTER_RESTART = (
    "The bot restarted while submitting this job, so it cannot tell whether the API took it. "
    "Press Retry to submit it again (if the first submit did reach the API, it may be charged twice)."
)
NEEDS_MODAL = (
    "This action (Custom Zoom or Remix) asks for a prompt window, which this bot does not offer yet."
)
UNCERTAIN_AFTER_TIMEOUT = (
    "The API did not answer the submit in time, so the bot cannot tell whether it took the job. "
    "Press Retry to submit it again (if the first submit did reach the API, it may be charged twice)."
)


class Engine:
    def __init__(
        self,
        store: Store,
        mj: MJClient,
        writer: Writer,
        settings: Settings,
        registry: TaskRegistry,
        *,
        submit_concurrency: int = 4,
    ) -> None:
        self._store = store
        self._mj = mj
        self._writer = writer
        self._settings = settings
        self._registry = registry
        self._submit_slots = asyncio.Semaphore(submit_concurrency)
        self._jobs: dict[int, Job] = {}  # snapshots of the jobs being polled
        self.queue = FairQueue()
        self.poller = Poller(
            mj,
            self._on_tasks,
            self._on_missing,
            cadence=Cadence(settings.poll_min_interval, settings.poll_max_interval),
            # One batch request costs the same for one task or five hundred: no reason to back off.
            batch_cadence=Cadence(settings.batch_poll_interval, settings.batch_poll_interval, jitter=0.0),
        )

    # -- start and resume ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Probe the API's batch route, resume every open job, then start the loops."""
        await self.poller.probe_batch()
        jobs = await self._store.open_jobs()
        for job in jobs:
            await self._resume(job)
        if jobs:
            log.info("Resumed %d open jobs", len(jobs))
        self._registry.spawn(self._writer.run(), name="delivery-writer")
        self._registry.spawn(self.poller.run(), name="poller")
        self._registry.spawn(self._submit_loop(), name="submitter")

    async def _resume(self, job: Job) -> None:
        match job.status:
            case JobStatus.QUEUED:
                self.enqueue(job)
            case JobStatus.SUBMITTING:
                uncertain = await self._store.set_status(
                    job.id, JobStatus.UNCERTAIN, detail=UNCERTAIN_AFTER_RESTART
                )
                assert uncertain is not None
                self._writer.finish(uncertain)
            case JobStatus.RUNNING | JobStatus.STUCK | JobStatus.DELIVERING:
                assert job.task_id is not None
                self._watch(job, delay=0.0)
            case _:
                pass

    # -- what cogs call -----------------------------------------------------------------------------

    async def create_job(self, new: NewJob) -> Job:
        """Write the job row. The caller posts its message, then calls `enqueue`."""
        return await self._store.create_job(new)

    async def message_posted(self, job: Job, message_id: int, content: str) -> Job:
        await self._store.set_message(job.id, message_id)
        self._writer.note_posted(job.id, message_id, content)
        return replace(job, message_id=message_id)

    def enqueue(self, job: Job) -> None:
        """Queue a job for submission; one with no message yet gets its progress message now."""
        if job.message_id is None:
            self._writer.show(job)
        retry_at = job.next_attempt_at
        delay = (retry_at - datetime.now(UTC)).total_seconds() if retry_at else 0.0
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.queue.put, job.user_id, job.id)
        else:
            self.queue.put(job.user_id, job.id)

    async def cancel(self, job: Job, reason: str) -> None:
        """Cancel a job that was never submitted."""
        self.queue.discard(job.id)
        await self._store.set_status(job.id, JobStatus.CANCELLED, detail=reason)

    async def claim_button(self, button_id: int, new: NewJob) -> ClaimResult:
        """Create the job a button click asks for, once; a second click gets the first one's job."""
        claim = await self._store.claim_button(button_id, new)
        if claim.created:
            self.enqueue(claim.job)
        return claim

    async def retry_uncertain(self, job_id: int) -> Job | None:
        job = await self._store.retry_uncertain(job_id)
        if job is not None:
            self._writer.show(job)
            self.enqueue(job)
        return job

    def check_again(self, job_id: int) -> bool:
        return self.poller.poll_now(job_id)

    # -- submitting ---------------------------------------------------------------------------------

    async def _submit_loop(self) -> None:
        while True:
            job_id = await self.queue.get()
            await self._submit_slots.acquire()
            try:
                self._registry.spawn(self._submit(job_id), name=f"submit-job-{job_id}")
            except RuntimeError:
                self._submit_slots.release()
                raise

    async def _submit(self, job_id: int) -> None:
        try:
            job = await self._store.mark_submitting(job_id)
            if job is None:
                return  # cancelled, or already taken
            try:
                result = await self._send_submit(job)
            except MJSubmitUncertain:
                await self._finish(job, JobStatus.UNCERTAIN, UNCERTAIN_AFTER_TIMEOUT)
            except (MJAuthError, MJUserAgentRefused) as err:
                log.error("The MJ API refused the bot's credentials: %s", err)
                await self._finish(job, JobStatus.FAILED, f"{err} The bot's operator must fix this.")
            except MJTransientError as err:
                await self._retry_later(job, f"The API could not be reached ({err}); retrying")
            except MJError as err:
                await self._finish(job, JobStatus.FAILED, str(err))
            else:
                await self._on_submitted(job, result)
        finally:
            self._submit_slots.release()

    async def _send_submit(self, job: Job) -> SubmitResult:
        if job.custom_id is not None:
            assert job.parent_task_id is not None
            return await self._mj.submit_action(job.parent_task_id, job.custom_id)
        return await self._mj.submit_imagine(
            job.prompt,
            bot_type=job.bot_type.value if job.bot_type else None,
            modes=[job.mode.value] if job.mode else None,
        )

    async def _on_submitted(self, job: Job, result: SubmitResult) -> None:
        if result.needs_modal:
            await self._finish(job, JobStatus.FAILED, NEEDS_MODAL)
        elif result.accepted and result.task_id:
            running = await self._store.mark_running(job.id, result.task_id, result.queue_position)
            assert running is not None
            self._writer.show(running)
            self._watch(running)
        elif result.code == SubmitCode.QUEUE_FULL:
            await self._retry_later(job, "The API is busy (its queue is full); retrying")
        elif result.code == SubmitCode.BANNED_PROMPT:
            word = f" (banned word: **{result.banned_word}**)" if result.banned_word else ""
            detail = f"The prompt was rejected as sensitive{word}. Change it and try again."
            await self._finish(job, JobStatus.REJECTED, detail)
        else:
            await self._finish(job, JobStatus.FAILED, f"The API refused the job: {result.description}")

    async def _retry_later(self, job: Job, reason: str) -> None:
        waited = (datetime.now(UTC) - job.created_at).total_seconds()
        if waited >= self._settings.queue_full_retry_for:
            minutes = round(self._settings.queue_full_retry_for / 60)
            await self._finish(
                job, JobStatus.FAILED, f"{reason.removesuffix('; retrying')} for {minutes} min; giving up."
            )
            return
        base = self._settings.queue_full_retry_base
        delay = random.uniform(0.5, 1.0) * min(300.0, base * 2 ** (job.submit_attempts - 1))
        detail = f"{reason} (attempt {job.submit_attempts + 1})"
        queued = await self._store.requeue(job.id, datetime.now(UTC) + timedelta(seconds=delay), detail)
        assert queued is not None
        self._writer.show(queued)
        self.enqueue(queued)

    async def _finish(
        self, job: Job, status: JobStatus, detail: str | None = None, task: Task | None = None
    ) -> None:
        final = await self._store.set_status(
            job.id, status, detail=detail, task_action=task.action if task else None
        )
        assert final is not None
        self._jobs.pop(job.id, None)
        self._writer.finish(final, task)

    # -- polling ------------------------------------------------------------------------------------

    def _watch(self, job: Job, delay: float | None = None) -> None:
        assert job.task_id is not None
        self._jobs[job.id] = job
        self.poller.watch(job.id, job.task_id, delay=delay)

    def _deadline(self, job: Job) -> datetime:
        seconds = {
            Mode.RELAX: self._settings.deadline_relax,
            Mode.TURBO: self._settings.deadline_turbo,
        }.get(job.mode or Mode.FAST, self._settings.deadline_fast)
        return (job.submitted_at or job.created_at) + timedelta(seconds=seconds)

    async def _on_tasks(self, results: Sequence[tuple[int, Task]]) -> set[int]:
        """Apply fresh task states; answer the job ids that no longer need polling."""
        finished: set[int] = set()
        updates: list[ProgressUpdate] = []
        now = datetime.now(UTC)
        for job_id, task in results:
            job = self._jobs.get(job_id)
            if job is None:
                finished.add(job_id)
                continue
            if task.status is TaskStatus.SUCCESS:
                delivering = await self._store.set_status(
                    job_id, JobStatus.DELIVERING, task_action=task.action
                )
                assert delivering is not None
                self._jobs.pop(job_id, None)
                self._writer.finish(delivering, task)
                finished.add(job_id)
            elif task.status is TaskStatus.FAILURE:
                await self._finish(job, JobStatus.FAILED, task.fail_reason or "The API gave no reason.", task)
                finished.add(job_id)
            elif task.status is TaskStatus.MODAL:
                await self._finish(job, JobStatus.FAILED, NEEDS_MODAL)
                finished.add(job_id)
            else:
                status = job.status
                if status is JobStatus.RUNNING and now > self._deadline(job):
                    status = JobStatus.STUCK
                queue_position = job.queue_position if task.status is TaskStatus.NOT_START else None
                if (status, task.progress, queue_position) != (job.status, job.progress, job.queue_position):
                    job = replace(job, status=status, progress=task.progress, queue_position=queue_position)
                    self._jobs[job_id] = job
                    updates.append(ProgressUpdate(job_id, status, task.progress, queue_position))
                    self._writer.show(job)
        await self._store.save_progress(updates)
        return finished

    async def _on_missing(self, job_id: int) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            await self._finish(job, JobStatus.FAILED, "The API no longer knows this job's task.")
