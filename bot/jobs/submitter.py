"""The submitter: takes queued jobs fairly under the concurrency limits, marks each SUBMITTING (committed
before the POST), sends it, and moves it on by the answer: RUNNING, a prompt window, back to the queue
(busy or unreachable, with backoff), or a final state the user can read."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime, timedelta

from bot.backoff import backoff
from bot.jobs.core import JobCore
from bot.jobs.outcomes import (
    UNREACHABLE_ALERT_AFTER,
    Outage,
    RetryCause,
    failure_reason,
    refusal_outage,
    retry_cause,
)
from bot.jobs.windows import PromptWindows
from bot.mj.banned_words import banned_word_in
from bot.mj.errors import (
    MJAuthError,
    MJCreditExhausted,
    MJError,
    MJSubmitUncertain,
    MJTransientError,
    MJUserAgentRefused,
)
from bot.mj.models import SubmitCode, SubmitResult
from bot.mj.video import video_is_off
from bot.models import Job, JobInputs, JobStatus, Reason, ReasonCode, SubmitRoute

log = logging.getLogger(__name__)

SUBMIT_CONCURRENCY = 4  # submits in flight at once
STORAGE_RETRY_DELAY = 2.0  # seconds before a job whose row could not be written is tried again


class Submitter:
    def __init__(self, core: JobCore, windows: PromptWindows, *, retry_base: float) -> None:
        self._core = core
        self._windows = windows
        self._retry_base = retry_base
        self._in_flight = asyncio.Semaphore(SUBMIT_CONCURRENCY)

    def _can_start(self, user_id: int, guild_id: int | None) -> bool:
        return self._core.slots.blocked(user_id, guild_id) is None

    async def run(self) -> None:
        core = self._core
        while True:
            job_id, user_id, guild_id = await core.queue.get(self._can_start)
            core.slots.take(job_id, user_id, guild_id)  # now, so the next pick sees it
            await self._in_flight.acquire()
            try:
                core.registry.spawn(self._submit(job_id), name=f"submit-job-{job_id}")
            except RuntimeError:
                self._in_flight.release()
                core.release(job_id)
                raise

    async def _submit(self, job_id: int) -> None:
        core = self._core
        try:
            try:
                job = await core.store.mark_submitting(job_id)
            except Exception:
                # Nothing was sent: the job stays QUEUED in the database; free its slot and try it again.
                log.exception("Job %s could not be marked as submitting; it is queued again", job_id)
                core.release(job_id)
                self._requeue_later(job_id)
                return
            if job is None:
                core.release(job_id)
                return  # cancelled, or already taken
            await self._submit_job(job)
        finally:
            self._in_flight.release()

    def _requeue_later(self, job_id: int) -> None:
        async def again() -> None:
            await asyncio.sleep(STORAGE_RETRY_DELAY)
            job = await self._core.store.get_job(job_id)
            if job is not None and job.status is JobStatus.QUEUED:
                self._core.enqueue(job)

        with contextlib.suppress(RuntimeError):  # shutting down: the job is resumed at the next start
            self._core.registry.spawn(again(), name=f"requeue-job-{job_id}")

    async def _submit_job(self, job: Job) -> None:
        """Send a submit and act on its answer; every failure ends in a state the user can see."""
        try:
            await self._send_and_apply(job)
        except Exception:
            # A bug or a storage fault: the API may have taken the job, so the user decides (Retry).
            log.exception("Submitting job %s failed unexpectedly", job.id)
            self._core.release(job.id)
            with contextlib.suppress(Exception):
                await self._core.finish(job, JobStatus.UNCERTAIN, Reason.of(ReasonCode.UNCERTAIN_ERROR))

    async def _send_and_apply(self, job: Job) -> None:
        core = self._core
        try:
            result = await self._send(job)
        except MJSubmitUncertain:
            await core.finish(job, JobStatus.UNCERTAIN, Reason.of(ReasonCode.UNCERTAIN_TIMEOUT))
        except (MJAuthError, MJUserAgentRefused, MJCreditExhausted) as err:
            log.error("The MJ API refused job %s: %s", job.id, err)
            outage, reason = refusal_outage(err)
            core.alerts.outage(outage, job.guild_id)
            await core.finish(job, JobStatus.FAILED, reason)
        except MJTransientError as err:
            log.info("Submit of job %s will be retried: %s", job.id, err)
            await self._retry_later(job, retry_cause(err))
        except MJError as err:
            await core.finish(job, JobStatus.FAILED, failure_reason(err))
        else:
            await self._on_answer(job, result)

    async def _send(self, job: Job) -> SubmitResult:
        store, mj = self._core.store, self._core.mj
        inputs = await store.get_inputs(job.id) or JobInputs()
        if job.modal_task_id is not None and job.modal_prompt is not None:
            # The user's answer to a prompt window, sent again (the API was busy, or Retry): the window
            # is still open, so the paid action is not clicked a second time.
            await store.mark_prompt_sent(job.id, job.modal_task_id)
            return await mj.submit_modal(job.modal_task_id, job.modal_prompt, mask=inputs.mask)
        if job.custom_id is not None:
            result = await mj.submit_action(job.parent_task_id or "", job.custom_id)
            if result.needs_modal and result.task_id and job.modal_prompt is not None:
                # Custom Zoom, Vary (Region): the user gave the prompt (and the region) before the click
                # was submitted. A retry answers this same window instead of clicking (and paying) again.
                await store.set_modal_task(job.id, result.task_id)
                await store.mark_prompt_sent(job.id, result.task_id)
                return await mj.submit_modal(result.task_id, job.modal_prompt, mask=inputs.mask)
            return result
        return await self._send_new(job, inputs)

    async def _send_new(self, job: Job, inputs: JobInputs) -> SubmitResult:
        """A job that is not a click, by the route its `action` names."""
        mj = self._core.mj
        bot_type = job.bot_type.value if job.bot_type else None
        mode = job.mode.value if job.mode else None
        match SubmitRoute(job.action):
            case SubmitRoute.DESCRIBE:
                image = inputs.images[0] if inputs.images else None
                return await mj.submit_describe(image=image, link=inputs.link, bot_type=bot_type)
            case SubmitRoute.BLEND:
                dimensions = inputs.dimensions or "SQUARE"
                return await mj.submit_blend(
                    inputs.images, dimensions=dimensions, bot_type=bot_type, mode=mode
                )
            case SubmitRoute.SHORTEN:
                return await mj.submit_shorten(job.prompt, bot_type=bot_type, mode=mode)
            case SubmitRoute.VIDEO if inputs.index is not None:  # a video's Extend: no image
                motion = inputs.motion or "low"
                task_id = job.parent_task_id or ""
                return await mj.submit_video(job.prompt, motion=motion, task_id=task_id, index=inputs.index)
            case SubmitRoute.VIDEO:
                image = inputs.link or (inputs.images[0] if inputs.images else "")
                return await mj.submit_video(job.prompt, image=image, motion=inputs.motion or "low")
            case SubmitRoute.IMAGINE:
                return await mj.submit_imagine(job.prompt, bot_type=bot_type, mode=mode, images=inputs.images)

    async def _on_answer(self, job: Job, result: SubmitResult) -> None:
        core = self._core
        if result.needs_modal or result.accepted:
            core.alerts.recovered()
        if result.needs_modal and result.task_id:
            final_prompt = result.properties.get("finalPrompt")
            prefill = final_prompt if isinstance(final_prompt, str) else None
            await self._windows.wait_for_input(job, result.task_id, prefill)
        elif result.accepted and result.task_id:
            running = await core.store.mark_running(job.id, result.task_id, result.queue_position)
            core.writer.show(running)
            core.watch(running)
        elif result.queue_full:
            await self._retry_later(job, RetryCause.QUEUE_FULL)
        elif result.no_account:
            await self._retry_later(job, RetryCause.NO_WORKER)
        elif result.code == SubmitCode.BANNED_PROMPT:
            # Code 24 names the word in `properties.bannedWord`; some servers only in the description.
            word = result.banned_word or banned_word_in(result.description)
            await core.finish(job, JobStatus.REJECTED, banned_word=word)
        else:
            code = ReasonCode.REFUSED
            if job.action == SubmitRoute.VIDEO and video_is_off(result.description):
                code = ReasonCode.VIDEO_OFF  # only the operator can fix it: say so
            await core.finish(job, JobStatus.FAILED, Reason.of(code, description=result.description))

    async def _retry_later(self, job: Job, why: RetryCause) -> None:
        """Back to the queue with backoff, until the retry budget (QUEUE_FULL_RETRY_FOR) is spent."""
        core = self._core
        core.release(job.id)
        budget = core.settings.queue_full_retry_for
        waited = (datetime.now(UTC) - (job.retrying_since or datetime.now(UTC))).total_seconds()
        if why.is_outage and waited >= min(UNREACHABLE_ALERT_AFTER, budget):
            core.alerts.outage(Outage.UNREACHABLE, job.guild_id)
        if waited >= budget:
            gave_up = Reason.of(ReasonCode(f"gave_up_{why.value}"), minutes=round(budget / 60))
            await core.finish(job, JobStatus.FAILED, gave_up)
            return
        delay = random.uniform(0.5, 1.0) * backoff(job.submit_attempts, self._retry_base)
        retrying = Reason.of(ReasonCode(f"retry_{why.value}"), attempt=job.submit_attempts + 1)
        queued = await core.store.requeue(job.id, datetime.now(UTC) + timedelta(seconds=delay), retrying)
        core.writer.show(queued)
        core.enqueue(queued)
