"""The delivery writer: the only code that writes job messages to Discord.

It writes with the bot token through channel message routes, so no job depends on the 15-minute
interaction token. At most one write per message is pending, always with the newest state; final
results go before progress edits, and a per-channel budget keeps us under Discord's route limits.
What happened is reported to the engine, which owns every job's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import discord

from bot import render
from bot.backoff import backoff
from bot.channel_budget import ChannelBudget
from bot.delivery import text_results
from bot.delivery.messages import MessagePoster, Post, Undeliverable
from bot.delivery.results import ResultImage
from bot.delivery.video import ResultVideo
from bot.images import DEFAULT_UPLOAD_LIMIT, ImageDoesNotFit
from bot.mj.buttons import shown
from bot.mj.errors import MJError, MJImageGone, MJImageTooLarge
from bot.mj.video import is_video, with_extends
from bot.models import Job, JobStatus, Reason, ReasonCode
from bot.storage import ButtonSpec
from bot.views import job_view

if TYPE_CHECKING:
    from bot.mj.client import MJClient
    from bot.mj.models import Task
    from bot.storage import Store

log = logging.getLogger(__name__)

CONCURRENCY = 8  # writes in flight at once
EDIT_INTERVAL = 1.5  # seconds between two progress edits of one message
MAX_FINAL_TRIES = 6  # posts of a final state before the writer gives up (about a minute of Discord trouble)
MAX_IMAGE_TRIES = 6  # downloads of a result's image before the job fails
MAX_GONE_TRIES = 2  # the API said the image is gone: once more, then the job fails
RETRY_FIRST = 2.0  # seconds before a final write is tried again; it doubles each time


class DeliveryReport(Protocol):
    """What the writer tells the engine (which owns the job's status)."""

    async def result_posted(self, job: Job) -> None: ...
    async def result_failed(self, job: Job, reason: Reason) -> None: ...
    async def result_unseen(self, job: Job, reason: Reason) -> None: ...
    async def state_shown(self, job: Job) -> None: ...


@dataclass(slots=True)
class _Write:
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


class Writer:
    """Queue of message writes: `show` for progress (coalesced, droppable), `finish` for results (never dropped)."""

    def __init__(
        self, client: discord.Client, store: Store, mj: MJClient, budget: ChannelBudget | None = None
    ) -> None:
        self._store = store
        self._mj = mj
        self._poster = MessagePoster(client, store)
        self._budget = budget or ChannelBudget()
        self._report: DeliveryReport | None = None
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._pending: dict[int, _Write] = {}  # job id → newest write; insertion order = age
        self._in_flight: set[int] = set()
        self._spent_at: dict[int, float] = {}  # job id → when its write took a budget slot
        self._wake = asyncio.Event()
        self._workers: set[asyncio.Task[None]] = set()
        self.stats = WriterStats()
        self.observe_lag: Callable[[float], None] | None = None  # seconds from the task's finish to its post

    def report_to(self, report: DeliveryReport) -> None:
        self._report = report

    @property
    def poster(self) -> MessagePoster:
        return self._poster

    # -- what the engine calls ----------------------------------------------------------------------

    def show(self, job: Job) -> None:
        """Show a job's progress soon. Replaces any progress edit not yet sent for it."""
        current = self._pending.get(job.id)
        if current is not None:
            self.stats.coalesced += 1
            if not current.final:
                current.job = job
            return
        self._pending[job.id] = _Write(job, final=False)
        self._wake.set()

    def finish(self, job: Job, task: Task | None = None) -> None:
        """Deliver a job's final state (and image, given its successful task). Never dropped."""
        if self._pending.pop(job.id, None) is not None:
            self.stats.coalesced += 1
        self._pending[job.id] = _Write(job, final=True, task=task)
        self._wake.set()

    def note_posted(self, job_id: int, message_id: int, content: str) -> None:
        """Record a message a cog posted as an interaction response, so unchanged edits are skipped."""
        self._poster.messages[job_id] = message_id
        self._poster.last_sent[job_id] = (time.monotonic(), content)

    # -- the loop -----------------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            while True:
                write, wait = self._pick(time.monotonic())
                if write is None:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):  # not wait_for: on 3.11 it can swallow a cancel
                        async with asyncio.timeout(wait):
                            await self._wake.wait()
                    continue
                await self._slots.acquire()
                self._spent_at[write.job.id] = time.monotonic()
                self._budget.spend(write.job.channel_id, self._spent_at[write.job.id])
                self._in_flight.add(write.job.id)
                worker = asyncio.create_task(self._perform(write), name=f"write-job-{write.job.id}")
                self._workers.add(worker)
                worker.add_done_callback(self._workers.discard)
        except asyncio.CancelledError:
            # Only a close stops the writes in flight; a loop that died leaves them to finish.
            for worker in list(self._workers):
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            raise

    def _pick(self, now: float) -> tuple[_Write | None, float | None]:
        """The next write allowed now: finals first, then the oldest progress edit."""
        soonest: float | None = None
        for want_final in (True, False):
            for job_id, write in self._pending.items():
                if write.final is not want_final or job_id in self._in_flight:
                    continue
                budget_wait = self._budget.wait_time(write.job.channel_id, now, progress=not write.final)
                wait = max(write.not_before - now, budget_wait)
                last = self._poster.last_sent.get(job_id)
                if not write.final and last is not None:
                    wait = max(wait, last[0] + EDIT_INTERVAL - now)
                if wait <= 0:
                    del self._pending[job_id]
                    return write, None
                soonest = wait if soonest is None else min(soonest, wait)
        return None, soonest

    async def _perform(self, write: _Write) -> None:
        job_id = write.job.id
        try:
            await self._write(write)
        except asyncio.CancelledError:
            raise
        except Undeliverable as err:
            if write.final:
                await self._give_up(write, str(err))
            else:
                log.info("Dropped a progress edit for job %s: %s", job_id, err)
        except Exception as err:
            await self._retry_or_drop(write, err)
        finally:
            self._spent_at.pop(job_id, None)
            self._in_flight.discard(job_id)
            self._slots.release()
            self._wake.set()

    async def _retry_or_drop(self, write: _Write, err: Exception) -> None:
        """Progress is dropped; a final write is tried again with backoff, a bounded number of times."""
        if not write.final:
            log.warning("Dropped a progress edit for job %s: %s", write.job.id, err)
            return
        write.attempts += 1
        self.stats.failed += 1
        if write.attempts >= MAX_FINAL_TRIES:
            await self._give_up(write, f"{err} ({write.attempts} tries)")
            return
        write.not_before = time.monotonic() + backoff(write.attempts + 1, RETRY_FIRST)
        log.warning("Delivery of job %s failed (%s); retry %d", write.job.id, err, write.attempts)
        if write.job.id not in self._pending:
            self._pending[write.job.id] = write

    async def _give_up(self, write: _Write, why: str) -> None:
        """A result nobody can be shown stays DONE: /show posts it once the user can see it."""
        job = write.job
        log.warning("Job %s cannot be shown (%s); giving up", job.id, why)
        self._poster.forget(job.id)
        if self._report is not None:
            if write.task is not None and job.status is JobStatus.DELIVERING:
                await self._report.result_unseen(job, Reason.of(ReasonCode.UNDELIVERED, job=job.id))
            else:
                await self._report.state_shown(job)  # nowhere to show it: a restart need not try
        self.stats.undeliverable += 1

    # -- one write ----------------------------------------------------------------------------------

    async def _write(self, write: _Write) -> None:
        job = write.job
        if write.task is not None and job.status is JobStatus.DELIVERING:
            await self._deliver_result(write, write.task)
            return
        content = render.job_content(job)
        last = self._poster.last_sent.get(job.id)
        if not write.final and last is not None and last[1] == content:
            self.stats.skipped_unchanged += 1
            return
        self._restamp(job)
        await self._poster.write(job, Post(content, job_view(job, []), final=write.final))
        if write.final:
            self._poster.forget(job.id)
            if self._report is not None:
                await self._report.state_shown(job)

    async def _deliver_result(self, write: _Write, task: Task) -> None:
        """Download (once), fit, post; only then report the job delivered, so a crash in between delivers
        again. An image that cannot be had fails the job after a few tries, in words the user can act on."""
        if is_video(task):
            await self._deliver_video(write, task)
            return
        job = write.job
        if job.action in render.TEXT_RESULTS:
            await self._deliver_text(write, task)
            return
        limit = job.upload_limit or DEFAULT_UPLOAD_LIMIT
        try:
            if write.image is None:
                write.image = await ResultImage.download(self._mj, task.id)
            fitted = await write.image.fitted(limit)
        except (ImageDoesNotFit, MJImageTooLarge) as err:
            log.warning("The image of job %s cannot be posted: %s", job.id, err)
            too_large = isinstance(err, MJImageTooLarge) or err.too_large
            why = (
                Reason.of(ReasonCode.IMAGE_TOO_LARGE, mib=limit // (1024 * 1024))
                if too_large
                else Reason.of(ReasonCode.IMAGE_UNREADABLE)
            )
            await self._fail_result(job, why)
            return
        except MJImageGone as err:
            if write.attempts + 1 < MAX_GONE_TRIES:
                raise
            log.warning("The image of job %s is gone: %s", job.id, err)
            await self._fail_result(job, Reason.of(ReasonCode.IMAGE_GONE))
            return
        except MJError as err:
            if write.attempts + 1 < MAX_IMAGE_TRIES:
                raise
            log.warning(
                "The image of job %s could not be fetched %d times: %s", job.id, write.attempts + 1, err
            )
            await self._fail_result(job, Reason.of(ReasonCode.IMAGE_UNAVAILABLE, tries=write.attempts + 1))
            return
        specs = [ButtonSpec(b.custom_id, b.label, b.emoji) for b in task.buttons if shown(b.custom_id)]
        buttons = await self._store.save_buttons(job.id, specs)
        done = replace(job, status=JobStatus.DONE)
        self._restamp(job)
        post = Post(render.job_content(done), job_view(done, buttons), write.image, final=True)
        try:
            await self._poster.write(done, post)
        except ImageDoesNotFit as err:  # fitted again for a DM or a smaller limit, and still too large
            log.warning("The image of job %s does not fit where it must go: %s", job.id, err)
            await self._fail_result(
                job, Reason.of(ReasonCode.IMAGE_TOO_LARGE, mib=DEFAULT_UPLOAD_LIMIT // 2**20)
            )
            return
        await self._posted(job, task)
        self.stats.reencoded += fitted.reencoded

    async def _deliver_text(self, write: _Write, task: Task) -> None:
        """A describe's prompts or a shorten's analysis: the text is kept first (its buttons read it, also
        after a restart), then posted like an image result, with describe's image when it can be had."""
        job = write.job
        text = text_results.result_text(job, task)
        if not text.strip():
            await self._fail_result(job, Reason.of(ReasonCode.EMPTY_RESULT))
            return
        if write.image is None and not write.without_image:
            write.image = await text_results.described_image(self._mj, job, task)
            write.without_image = write.image is None
        await self._store.set_result_text(job.id, text)
        buttons = await self._store.save_buttons(job.id, text_results.result_buttons(job, task))
        done = replace(job, status=JobStatus.DONE)
        self._restamp(job)
        content = render.text_result_content(done, text)
        try:
            await self._poster.write(done, Post(content, job_view(done, buttons), write.image, final=True))
        except ImageDoesNotFit:  # too large where it must go (a DM): the words alone
            write.image, write.without_image = None, True
            await self._poster.write(done, Post(content, job_view(done, buttons), final=True))
        await self._posted(job, task)

    async def _deliver_video(self, write: _Write, task: Task) -> None:
        """A video, attached as it came (or linked when over the limit), with an Extend per video."""
        job = write.job
        try:
            if write.video is None:
                limit = job.upload_limit or DEFAULT_UPLOAD_LIMIT
                write.video = await ResultVideo.download(self._mj, task, limit)
        except MJError as err:
            if write.attempts + 1 < (MAX_GONE_TRIES if isinstance(err, MJImageGone) else MAX_IMAGE_TRIES):
                raise
            log.warning("The video of job %s could not be fetched: %s", job.id, err)
            await self._fail_result(job, Reason.of(ReasonCode.VIDEO_UNAVAILABLE, tries=write.attempts + 1))
            return
        offered = with_extends(task.buttons)
        specs = [ButtonSpec(b.custom_id, b.label, b.emoji) for b in offered if shown(b.custom_id)]
        buttons = await self._store.save_buttons(job.id, specs)
        done = replace(job, status=JobStatus.DONE)
        self._restamp(job)
        for video in (write.video, write.video.as_link()):
            attached = video if video.data is not None else None
            try:
                await self._poster.write(
                    done, Post(video.content(done), job_view(done, buttons), attached, True)
                )
                break
            except ImageDoesNotFit:  # a DM's or a 413's smaller limit: its link instead
                log.info("The video of job %s is shown by its link", job.id)
        await self._posted(job, task)

    async def _posted(self, job: Job, task: Task) -> None:
        """A result is in Discord: only now is the job reported delivered."""
        self._poster.forget(job.id)
        if self._report is not None:
            await self._report.result_posted(job)
        self.stats.delivered += 1
        if self.observe_lag is not None and task.finish_time is not None:
            self.observe_lag(max(0.0, (datetime.now(UTC) - task.finish_time).total_seconds()))

    async def _fail_result(self, job: Job, why: Reason) -> None:
        failed = replace(job, status=JobStatus.FAILED, reason=why)
        self._restamp(job)
        with contextlib.suppress(Undeliverable, discord.HTTPException):
            await self._poster.write(failed, Post(render.job_content(failed), None, final=True))
        self._poster.forget(job.id)
        if self._report is not None:
            await self._report.result_failed(job, why)

    def _restamp(self, job: Job) -> None:
        """Move the write's budget slot to the moment its request really leaves (after a download, say)."""
        if (spent_at := self._spent_at.pop(job.id, None)) is not None:
            self._budget.restamp(job.channel_id, spent_at, time.monotonic())
