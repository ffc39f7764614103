"""Applying what the poller reads, and what the writer reports: each task state moves its job on.

SUCCESS hands the result to the writer (DELIVERING); FAILURE and CANCEL end the job in words the user can
act on (a banned prompt can be edited); MODAL opens a prompt window; anything else is progress, and a job
past its deadline becomes STUCK (its slot freed, still watched).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.jobs.core import JobCore
from bot.jobs.outcomes import ended_reason, is_banned
from bot.jobs.windows import PromptWindows
from bot.mj.models import Task, TaskStatus
from bot.models import Job, JobStatus, Reason
from bot.storage import ProgressUpdate


class ResultApplier:
    def __init__(self, core: JobCore, windows: PromptWindows) -> None:
        self._core = core
        self._windows = windows

    async def on_tasks(self, results: Sequence[tuple[int, Task]]) -> set[int]:
        """Apply fresh task states; answer the job ids that no longer need polling."""
        core = self._core
        finished: set[int] = set()
        updates: list[ProgressUpdate] = []
        typed: list[tuple[Job, str]] = []  # MODAL tasks whose prompt the user already gave
        now = datetime.now(UTC)
        for job_id, task in results:
            job = core.jobs.get(job_id)
            if job is None:
                finished.add(job_id)
            elif task.status is TaskStatus.SUCCESS:
                delivering = await core.store.mark_delivering(job_id, task.action)
                core.jobs.pop(job_id, None)
                core.release(job_id)
                if delivering is not None:  # else another process took the job over: it delivers
                    core.writer.finish(delivering, task)
                finished.add(job_id)
            elif task.status in (TaskStatus.FAILURE, TaskStatus.CANCEL):
                await self._ended(job, task)
                finished.add(job_id)
            # A MODAL whose window already has the prompt is new-api's window row, left as it was (its
            # refresh updates only the newest row of a task id): the job waits like any other.
            elif task.status is TaskStatus.MODAL and job.prompt_sent_to != task.id:
                if job.modal_prompt is not None:
                    core.jobs.pop(job_id, None)
                    core.release(job_id)  # its prompt is queued like any submit
                    typed.append((job, job.modal_prompt))
                else:
                    prefill = task.final_prompt or task.prompt or None
                    await self._windows.wait_for_input(job, task.id, prefill)
                finished.add(job_id)
            elif (update := self._progress(job, task, now)) is not None:
                updates.append(update)
        await core.store.save_progress(updates)
        # Sent last: the poller drops the finished watches as this returns, before any new one is made.
        for waiting, prompt in typed:
            self._windows.send_typed_later(waiting, prompt)
        return finished

    async def _ended(self, job: Job, task: Task) -> None:
        reason, word = ended_reason(task)
        if job.is_action:  # only a prompt of one's own can be edited and sent again
            await self._core.finish(job, JobStatus.FAILED, reason, task)
        else:
            status = JobStatus.REJECTED if is_banned(task.fail_reason) else JobStatus.FAILED
            await self._core.finish(job, status, reason, task, banned_word=word)

    def _progress(self, job: Job, task: Task, now: datetime) -> ProgressUpdate | None:
        """The job's new progress (or STUCK, past its deadline), when it changed; shown at once."""
        core = self._core
        status = job.status
        if status is JobStatus.RUNNING and now > core.deadline(job):
            status = JobStatus.STUCK
            core.release(job.id)  # still watched, but no longer holds up the user's next jobs
        queue_position = job.queue_position if task.status is TaskStatus.NOT_START else None
        if (status, task.progress, queue_position) == (job.status, job.progress, job.queue_position):
            return None
        job = replace(job, status=status, progress=task.progress, queue_position=queue_position)
        core.jobs[job.id] = job
        core.writer.show(job)
        return ProgressUpdate(job.id, status, task.progress, queue_position)

    async def on_unreadable(self, job_id: int) -> None:
        """The task cannot be read (errors, or the API no longer knows it): past its deadline the job is
        STUCK, its slot freed and the user told; it is still watched, and Check again asks at once."""
        core = self._core
        job = core.jobs.get(job_id)
        if job is not None and job.status is JobStatus.RUNNING and datetime.now(UTC) > core.deadline(job):
            await core.store.save_progress(
                [ProgressUpdate(job_id, JobStatus.STUCK, job.progress, job.queue_position)]
            )
            stuck = replace(job, status=JobStatus.STUCK)
            core.jobs[job_id] = stuck
            core.release(job_id)
            core.writer.show(stuck)

    # -- what the writer reports (DeliveryReport): the writer shows, the engine writes the status ----

    async def result_posted(self, job: Job) -> None:
        await self._core.store.set_status(job.id, JobStatus.DONE, shown=True)

    async def result_failed(self, job: Job, reason: Reason) -> None:
        """The result's image cannot be had or posted: the job failed (the relay refunds it)."""
        await self._core.store.set_status(job.id, JobStatus.FAILED, reason=reason, shown=True)

    async def result_unseen(self, job: Job, reason: Reason) -> None:
        """A result nobody could be shown stays DONE: /show posts it once the user can see it."""
        await self._core.store.set_status(job.id, JobStatus.DONE, reason=reason, shown=True)

    async def state_shown(self, job: Job) -> None:
        await self._core.store.mark_shown(job.id, job.status)
