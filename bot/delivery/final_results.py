"""Posting a finished job's result: an image (a grid, an upscale), a text (describe's prompts, shorten's
analysis) or a video, with its buttons. Only once it is in Discord is the job reported delivered, so a
crash in between delivers it again; a result that cannot be had fails the job in words the user can act on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.delivery import text_results
from bot.delivery.messages import MessagePoster, Post, Undeliverable
from bot.delivery.pending import DeliveryReport, PendingWrite, WriterStats
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

MAX_IMAGE_TRIES = 6  # downloads of a result's image before the job fails
MAX_GONE_TRIES = 2  # the API said the image is gone: once more, then the job fails


class ResultPoster:
    """The writer's final writes of a successful task; an error it raises is retried by the writer."""

    def __init__(
        self,
        mj: MJClient,
        store: Store,
        poster: MessagePoster,
        stats: WriterStats,
        restamp: Callable[[Job], None],
    ) -> None:
        self._mj = mj
        self._store = store
        self._poster = poster
        self._stats = stats
        self._restamp = restamp
        self.report: DeliveryReport | None = None
        self.observe_lag: Callable[[float], None] | None = None  # seconds from the task's finish to its post

    async def deliver(self, write: PendingWrite, task: Task) -> None:
        """Post the result of `write`'s job by its kind: a video, a text, or an image."""
        if is_video(task):
            await self._video(write, task)
        elif write.job.action in render.TEXT_RESULTS:
            await self._text(write, task)
        else:
            await self._image(write, task)

    async def _image(self, write: PendingWrite, task: Task) -> None:
        """Download (once), fit, post. An image that cannot be had fails the job after a few tries."""
        job = write.job
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
            await self.fail(job, why)
            return
        except MJImageGone as err:
            if write.attempts + 1 < MAX_GONE_TRIES:
                raise
            log.warning("The image of job %s is gone: %s", job.id, err)
            await self.fail(job, Reason.of(ReasonCode.IMAGE_GONE))
            return
        except MJError as err:
            if write.attempts + 1 < MAX_IMAGE_TRIES:
                raise
            log.warning(
                "The image of job %s could not be fetched %d times: %s", job.id, write.attempts + 1, err
            )
            await self.fail(job, Reason.of(ReasonCode.IMAGE_UNAVAILABLE, tries=write.attempts + 1))
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
            await self.fail(job, Reason.of(ReasonCode.IMAGE_TOO_LARGE, mib=DEFAULT_UPLOAD_LIMIT // 2**20))
            return
        await self._posted(job, task)
        self._stats.reencoded += fitted.reencoded

    async def _text(self, write: PendingWrite, task: Task) -> None:
        """A describe's prompts or a shorten's analysis: the text is kept first (its buttons read it, also
        after a restart), then posted like an image result, with describe's image when it can be had."""
        job = write.job
        text = text_results.result_text(job, task)
        if not text.strip():
            await self.fail(job, Reason.of(ReasonCode.EMPTY_RESULT))
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

    async def _video(self, write: PendingWrite, task: Task) -> None:
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
            await self.fail(job, Reason.of(ReasonCode.VIDEO_UNAVAILABLE, tries=write.attempts + 1))
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
        if self.report is not None:
            await self.report.result_posted(job)
        self._stats.delivered += 1
        if self.observe_lag is not None and task.finish_time is not None:
            self.observe_lag(max(0.0, (datetime.now(UTC) - task.finish_time).total_seconds()))

    async def fail(self, job: Job, why: Reason) -> None:
        failed = replace(job, status=JobStatus.FAILED, reason=why)
        self._restamp(job)
        with contextlib.suppress(Undeliverable, discord.HTTPException):
            await self._poster.write(failed, Post(render.job_content(failed), None, final=True))
        self._poster.forget(job.id)
        if self.report is not None:
            await self.report.result_failed(job, why)
