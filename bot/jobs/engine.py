"""The job lifecycle: submit fairly, poll, and hand every state change to the delivery writer.

Every state is written to SQLite before it is acted on, and every open job is resumed on start:
that one rule is the whole of crash recovery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.delivery import Writer
from bot.jobs.cadence import Cadence
from bot.jobs.fair_queue import FairQueue
from bot.jobs.outcomes import (
    UNREACHABLE_ALERT_AFTER,
    Outage,
    OutageSink,
    RetryCause,
    ended_reason,
    failure_reason,
    is_banned,
    refusal_outage,
    retry_cause,
)
from bot.jobs.poller import Poller
from bot.jobs.slots import Slots
from bot.mj.banned_words import banned_word_in
from bot.mj.client import MJClient
from bot.mj.errors import (
    MJAuthError,
    MJCreditExhausted,
    MJError,
    MJSubmitUncertain,
    MJTransientError,
    MJUserAgentRefused,
)
from bot.mj.models import SubmitCode, SubmitResult, Task, TaskStatus
from bot.models import Job, JobStatus, Mode, NewJob, Reason, ReasonCode
from bot.policy import Policies
from bot.storage import ClaimResult, ProgressUpdate, Quota, Store
from bot.tasks import TaskRegistry

log = logging.getLogger(__name__)

STORAGE_RETRY_DELAY = 2.0  # seconds before a job whose row could not be written is tried again


class Engine:
    def __init__(
        self,
        store: Store,
        mj: MJClient,
        writer: Writer,
        settings: Settings,
        registry: TaskRegistry,
        *,
        policies: Policies,
        alerts: OutageSink,
        submit_concurrency: int = 4,
    ) -> None:
        self._store = store
        self._alerts = alerts
        writer.report_to(self)
        self._mj = mj
        self._writer = writer
        self._settings = settings
        self._registry = registry
        self._submit_slots = asyncio.Semaphore(submit_concurrency)
        self._jobs: dict[int, Job] = {}  # snapshots of the jobs being polled
        self.queue = FairQueue()
        self.slots = Slots(policies.get)
        self.poller = Poller(
            mj,
            self._on_tasks,
            self._on_unreadable,
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
        for job in (unshown := await self._store.unshown_jobs()):
            self._writer.finish(job)  # the bot stopped before this job's message showed how it ended
        if unshown:
            log.info("Showing the last state of %d jobs", len(unshown))
        self._registry.keep_running(self._writer.run, name="delivery-writer")
        self._registry.keep_running(self.poller.run, name="poller")
        self._registry.keep_running(self._submit_loop, name="submitter")

    async def _resume(self, job: Job) -> None:
        match job.status:
            case JobStatus.QUEUED if job.dm and job.message_id is None and not job.is_action:
                # /imagine stopped before its DM was tried: closed DMs must not cost a job, so it is dropped
                # (refunded). A click in a DM already proved the DM works.
                await self._store.set_status(
                    job.id, JobStatus.CANCELLED, reason=Reason.of(ReasonCode.DM_UNCHECKED), shown=True
                )
            case JobStatus.QUEUED:
                self.enqueue(job)
            case JobStatus.SUBMITTING:
                uncertain = await self._store.set_status(
                    job.id, JobStatus.UNCERTAIN, reason=Reason.of(ReasonCode.UNCERTAIN_RESTART)
                )
                assert uncertain is not None
                self._writer.finish(uncertain)
            case JobStatus.RUNNING:
                assert job.task_id is not None
                self.slots.take(job.id, job.user_id, job.guild_id)
                self._watch(job, delay=0.0)
            case JobStatus.STUCK | JobStatus.DELIVERING:  # neither holds a slot
                assert job.task_id is not None
                self._watch(job, delay=0.0)
            case _:
                pass

    # -- what the writer reports (DeliveryReport) ----------------------------------------------------

    async def result_posted(self, job: Job) -> None:
        await self._store.set_status(job.id, JobStatus.DONE, shown=True)

    async def result_failed(self, job: Job, reason: Reason) -> None:
        """The result's image cannot be had or posted: the job failed (the relay refunds it)."""
        await self._store.set_status(job.id, JobStatus.FAILED, reason=reason, shown=True)

    async def result_unseen(self, job: Job, reason: Reason) -> None:
        """A result nobody could be shown stays DONE: /show posts it once the user can see it."""
        await self._store.set_status(job.id, JobStatus.DONE, reason=reason, shown=True)

    async def state_shown(self, job: Job) -> None:
        await self._store.mark_shown(job.id, job.status)

    # -- what cogs call -----------------------------------------------------------------------------

    async def create_job(self, new: NewJob, quota: Quota | None = None) -> Job:
        """Write the job row (raises QuotaExceeded). The caller posts its message, then calls `enqueue`."""
        return await self._store.create_job(new, quota)

    async def create_jobs(self, news: Sequence[NewJob], quota: Quota | None = None) -> list[Job]:
        """Write several jobs at once, all or none (raises QuotaExceeded); each must then be enqueued."""
        return await self._store.create_jobs(news, quota)

    async def message_posted(self, job: Job, message_id: int, content: str) -> Job:
        await self._store.set_message(job.id, message_id)
        self._writer.note_posted(job.id, message_id, content)
        return replace(job, message_id=message_id)

    def enqueue(self, job: Job) -> None:
        """Queue a job for submission; one with no message yet gets its progress message now.

        A job over its user's or guild's concurrency limit waits here, and its message says so.
        """
        blocked = self.slots.blocked(job.user_id, job.guild_id)
        if blocked is not None and not job.submit_attempts:
            code = ReasonCode.WAITING_SLOT if blocked.scope == "user" else ReasonCode.WAITING_GUILD
            self._writer.show(
                replace(job, reason=Reason.of(code, running=blocked.running, limit=blocked.limit))
            )
        elif job.message_id is None:
            self._writer.show(job)
        retry_at = job.next_attempt_at
        delay = (retry_at - datetime.now(UTC)).total_seconds() if retry_at else 0.0
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.queue.put, job.user_id, job.id, job.guild_id)
        else:
            self.queue.put(job.user_id, job.id, job.guild_id)

    async def cancel(self, job: Job, why: ReasonCode) -> None:
        """Cancel a job that was never submitted (its message could not be posted, say)."""
        self.queue.discard(job.id)
        await self._store.set_status(job.id, JobStatus.CANCELLED, reason=Reason.of(why), shown=True)

    async def cancel_waiting(self, job_id: int) -> Job | None:
        """The owner drops a job still in the bot's hands (queued, or waiting for a prompt); None if too late."""
        cancelled = await self._store.cancel_waiting(job_id, Reason.of(ReasonCode.CANCELLED))
        if cancelled is not None:
            self.queue.discard(job_id)
            self._writer.finish(cancelled)
        return cancelled

    async def claim_button(self, button_id: int, new: NewJob, quota: Quota | None = None) -> ClaimResult:
        """Create the job a button click asks for, once; a second click gets the first one's job."""
        claim = await self._store.claim_button(button_id, new, quota)
        if claim.created:
            self.enqueue(claim.job)
        return claim

    async def retry_uncertain(self, job_id: int, mode: Mode | None, quota: Quota | None) -> Job | None:
        """Submit an UNCERTAIN job again, once (raises AdmissionLost when the quota has no room)."""
        job = await self._store.retry_uncertain(job_id, mode, quota)
        if job is not None:
            self._writer.show(job)
            self.enqueue(job)
        return job

    async def submit_prompt(self, job_id: int, prompt: str) -> Job | None:
        """The user's prompt for a task waiting in MODAL (Remix, Custom Zoom); None if it no longer waits.

        It is queued like any submit, so the user's and the server's concurrency limits hold.
        """
        job = await self._store.answer_window(job_id, prompt)
        if job is None:
            return None
        self._writer.show(job)
        self.enqueue(job)
        return job

    def check_again(self, job_id: int) -> bool:
        return self.poller.poll_now(job_id)

    # -- submitting ---------------------------------------------------------------------------------

    def _can_start(self, user_id: int, guild_id: int | None) -> bool:
        return self.slots.blocked(user_id, guild_id) is None

    async def _submit_loop(self) -> None:
        while True:
            job_id, user_id, guild_id = await self.queue.get(self._can_start)
            self.slots.take(job_id, user_id, guild_id)  # now, so the next pick sees it
            await self._submit_slots.acquire()
            try:
                self._registry.spawn(self._submit(job_id), name=f"submit-job-{job_id}")
            except RuntimeError:
                self._submit_slots.release()
                self._release(job_id)
                raise

    async def _submit(self, job_id: int) -> None:
        try:
            try:
                job = await self._store.mark_submitting(job_id)
            except Exception:
                # Nothing was sent: the job stays QUEUED in the database; free its slot and try it again.
                log.exception("Job %s could not be marked as submitting; it is queued again", job_id)
                self._release(job_id)
                self._requeue_later(job_id)
                return
            if job is None:
                self._release(job_id)
                return  # cancelled, or already taken
            await self._submit_with(job, lambda: self._send_submit(job))
        finally:
            self._submit_slots.release()

    def _requeue_later(self, job_id: int) -> None:
        async def again() -> None:
            await asyncio.sleep(STORAGE_RETRY_DELAY)
            job = await self._store.get_job(job_id)
            if job is not None and job.status is JobStatus.QUEUED:
                self.enqueue(job)

        with contextlib.suppress(RuntimeError):  # shutting down: the job is resumed at the next start
            self._registry.spawn(again(), name=f"requeue-job-{job_id}")

    async def _submit_with(self, job: Job, send: Callable[[], Awaitable[SubmitResult]]) -> None:
        """Send a submit and act on its answer; every failure ends in a state the user can see."""
        try:
            await self._send_and_apply(job, send)
        except Exception:
            # A bug or a storage fault: the API may have taken the job, so the user decides (Retry).
            log.exception("Submitting job %s failed unexpectedly", job.id)
            self._release(job.id)
            with contextlib.suppress(Exception):
                await self._finish(job, JobStatus.UNCERTAIN, Reason.of(ReasonCode.UNCERTAIN_ERROR))

    async def _send_and_apply(self, job: Job, send: Callable[[], Awaitable[SubmitResult]]) -> None:
        try:
            result = await send()
        except MJSubmitUncertain:
            await self._finish(job, JobStatus.UNCERTAIN, Reason.of(ReasonCode.UNCERTAIN_TIMEOUT))
        except (MJAuthError, MJUserAgentRefused, MJCreditExhausted) as err:
            log.error("The MJ API refused job %s: %s", job.id, err)
            outage, reason = refusal_outage(err)
            self._alerts.outage(outage, job.guild_id)
            await self._finish(job, JobStatus.FAILED, reason)
        except MJTransientError as err:
            log.info("Submit of job %s will be retried: %s", job.id, err)
            await self._retry_later(job, retry_cause(err))
        except MJError as err:
            await self._finish(job, JobStatus.FAILED, failure_reason(err))
        else:
            await self._on_submitted(job, result)

    async def _send_submit(self, job: Job) -> SubmitResult:
        if job.modal_task_id is not None and job.modal_prompt is not None:
            # The user's answer to a prompt window, sent again (the API was busy, or Retry): the window
            # is still open, so the paid action is not clicked a second time.
            await self._store.mark_prompt_sent(job.id, job.modal_task_id)
            return await self._mj.submit_modal(job.modal_task_id, job.modal_prompt)
        if job.custom_id is not None:
            assert job.parent_task_id is not None
            result = await self._mj.submit_action(job.parent_task_id, job.custom_id)
            if result.needs_modal and result.task_id and job.modal_prompt is not None:
                # Custom Zoom: the user gave the prompt before the click was submitted. A retry answers
                # this same window instead of clicking (and paying) again.
                await self._store.set_modal_task(job.id, result.task_id)
                await self._store.mark_prompt_sent(job.id, result.task_id)
                return await self._mj.submit_modal(result.task_id, job.modal_prompt)
            return result
        return await self._mj.submit_imagine(
            job.prompt,
            bot_type=job.bot_type.value if job.bot_type else None,
            mode=job.mode.value if job.mode else None,
        )

    async def _on_submitted(self, job: Job, result: SubmitResult) -> None:
        if result.needs_modal or result.accepted:
            self._alerts.recovered()
        if result.needs_modal and result.task_id:
            final_prompt = result.properties.get("finalPrompt")
            await self._wait_for_input(
                job, result.task_id, final_prompt if isinstance(final_prompt, str) else None
            )
        elif result.accepted and result.task_id:
            running = await self._store.mark_running(job.id, result.task_id, result.queue_position)
            assert running is not None
            self._writer.show(running)
            self._watch(running)
        elif result.queue_full:
            await self._retry_later(job, RetryCause.QUEUE_FULL)
        elif result.no_account:
            await self._retry_later(job, RetryCause.NO_WORKER)
        elif result.code == SubmitCode.BANNED_PROMPT:
            # Code 24 names the word in `properties.bannedWord`; some servers only in the description.
            word = result.banned_word or banned_word_in(result.description)
            await self._finish(job, JobStatus.REJECTED, banned_word=word)
        else:
            await self._finish(
                job, JobStatus.FAILED, Reason.of(ReasonCode.REFUSED, description=result.description)
            )

    async def _wait_for_input(self, job: Job, modal_task_id: str, final_prompt: str | None) -> None:
        """The API asks for a prompt window: the job waits for the user's modal, holding no slot."""
        waiting = await self._store.wait_for_input(job.id, modal_task_id, final_prompt or job.prompt)
        assert waiting is not None
        self._jobs.pop(job.id, None)
        self._release(job.id)
        self._writer.finish(waiting)

    async def _retry_later(self, job: Job, why: RetryCause) -> None:
        self._release(job.id)
        waited = (datetime.now(UTC) - (job.retrying_since or datetime.now(UTC))).total_seconds()
        if why.is_outage and waited >= min(UNREACHABLE_ALERT_AFTER, self._settings.queue_full_retry_for):
            self._alerts.outage(Outage.UNREACHABLE, job.guild_id)
        if waited >= self._settings.queue_full_retry_for:
            minutes = round(self._settings.queue_full_retry_for / 60)
            gave_up = Reason.of(ReasonCode(f"gave_up_{why.value}"), minutes=minutes)
            await self._finish(job, JobStatus.FAILED, gave_up)
            return
        base = self._settings.queue_full_retry_base
        delay = random.uniform(0.5, 1.0) * min(300.0, base * 2 ** (job.submit_attempts - 1))
        retrying = Reason.of(ReasonCode(f"retry_{why.value}"), attempt=job.submit_attempts + 1)
        queued = await self._store.requeue(job.id, datetime.now(UTC) + timedelta(seconds=delay), retrying)
        assert queued is not None
        self._writer.show(queued)
        self.enqueue(queued)

    def _release(self, job_id: int) -> None:
        if self.slots.release(job_id):
            self.queue.wake()

    async def _finish(
        self,
        job: Job,
        status: JobStatus,
        reason: Reason | None = None,
        task: Task | None = None,
        *,
        banned_word: str | None = None,
    ) -> None:
        final = await self._store.set_status(
            job.id, status, reason=reason, task_action=task.action if task else None, banned_word=banned_word
        )
        assert final is not None
        self._jobs.pop(job.id, None)
        self._release(job.id)
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
        typed: list[tuple[Job, str]] = []  # MODAL tasks whose prompt the user already gave
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
                self._release(job_id)
                self._writer.finish(delivering, task)
                finished.add(job_id)
            elif task.status in (TaskStatus.FAILURE, TaskStatus.CANCEL):
                reason, word = ended_reason(task)
                if job.is_action:  # only a prompt of one's own can be edited and sent again
                    await self._finish(job, JobStatus.FAILED, reason, task)
                else:
                    status = JobStatus.REJECTED if is_banned(task.fail_reason) else JobStatus.FAILED
                    await self._finish(job, status, reason, task, banned_word=word)
                finished.add(job_id)
            # A MODAL whose window already has the prompt is new-api's window row, left as it was (its
            # refresh updates only the newest row of a task id): the job waits like any other.
            elif task.status is TaskStatus.MODAL and job.prompt_sent_to != task.id:
                if job.modal_prompt is not None:
                    # Custom Zoom whose action answered code 1: send the typed prompt, don't ask again.
                    self._jobs.pop(job_id, None)
                    self._release(job_id)  # its prompt is queued like any submit
                    typed.append((job, job.modal_prompt))
                else:
                    prefill = job.modal_prompt or task.final_prompt or task.prompt or None
                    await self._wait_for_input(job, task.id, prefill)
                finished.add(job_id)
            else:
                status = job.status
                if status is JobStatus.RUNNING and now > self._deadline(job):
                    status = JobStatus.STUCK
                    self._release(job_id)  # still watched, but no longer holds up the user's next jobs
                queue_position = job.queue_position if task.status is TaskStatus.NOT_START else None
                if (status, task.progress, queue_position) != (job.status, job.progress, job.queue_position):
                    job = replace(job, status=status, progress=task.progress, queue_position=queue_position)
                    self._jobs[job_id] = job
                    updates.append(ProgressUpdate(job_id, status, task.progress, queue_position))
                    self._writer.show(job)
        await self._store.save_progress(updates)
        # Spawned last: the poller drops the finished watches as this returns, before any new one is made.
        for waiting, prompt in typed:
            self._registry.spawn(self._send_typed_prompt(waiting, prompt), name=f"modal-job-{waiting.id}")
        return finished

    async def _send_typed_prompt(self, job: Job, prompt: str) -> None:
        """Answer a MODAL task with the prompt the user typed before the click was submitted."""
        assert job.task_id is not None
        await self._store.wait_for_input(job.id, job.task_id, prompt)
        if await self.submit_prompt(job.id, prompt) is None:
            log.info("Job %s stopped waiting before its typed prompt was sent", job.id)

    async def _on_unreadable(self, job_id: int) -> None:
        """The task cannot be read (errors, or the API no longer knows it): past its deadline the job is
        STUCK, its slot freed and the user told; it is still watched, and Check again asks at once."""
        job = self._jobs.get(job_id)
        if job is not None and job.status is JobStatus.RUNNING and datetime.now(UTC) > self._deadline(job):
            await self._store.save_progress(
                [ProgressUpdate(job_id, JobStatus.STUCK, job.progress, job.queue_position)]
            )
            self._stuck(job)

    def _stuck(self, job: Job) -> Job:
        """RUNNING → STUCK in memory: the slot is freed and the message says so (the caller saves it)."""
        stuck = replace(job, status=JobStatus.STUCK)
        self._jobs[job.id] = stuck
        self._release(job.id)  # still watched, but no longer holds up the user's next jobs
        self._writer.show(stuck)
        return stuck
