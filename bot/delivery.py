"""The delivery writer: the only code that writes job messages to Discord.

It writes with the bot token through channel message routes, so no job depends on the 15-minute
interaction token. At most one write per message is pending, always with the newest state; final
results go before progress edits, and a per-channel budget keeps us under Discord's route limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord

from bot import render
from bot.channel_budget import ChannelBudget
from bot.i18n import t
from bot.images import DEFAULT_UPLOAD_LIMIT, ImageDoesNotFit, fit_to_limit
from bot.mj.buttons import relay_can_run
from bot.mj.errors import MJError, MJImageGone, MJImageTooLarge
from bot.models import Job, JobStatus, Reason, ReasonCode
from bot.storage import ButtonSpec
from bot.views import job_view

if TYPE_CHECKING:
    from bot.mj.client import MJClient
    from bot.mj.models import Task
    from bot.storage import Store

log = logging.getLogger(__name__)

MAX_IMAGE_TRIES = 6  # downloads of a result's image before the job fails (each try retries transient errors)
MAX_GONE_TRIES = 2  # the API said the image is gone: once more, then the job fails


class Undeliverable(Exception):
    """Neither the job's channel nor the user's direct messages take the message: retrying cannot help."""


@dataclass(slots=True)
class _Write:
    job: Job
    final: bool
    task: Task | None = None
    attempts: int = 0
    not_before: float = 0.0


@dataclass(slots=True)
class WriterStats:
    created: int = 0
    edited: int = 0
    skipped_unchanged: int = 0
    coalesced: int = 0
    delivered: int = 0
    reencoded: int = 0
    direct_messages: int = 0
    failed: int = 0
    undeliverable: int = 0


class Writer:
    """Queue of message writes: `show` for progress (coalesced, droppable), `finish` for results (never dropped)."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        mj: MJClient,
        *,
        concurrency: int = 8,
        min_edit_interval: float = 1.5,
        coalesce: bool = True,
        max_image_bytes: int = 64 * 1024 * 1024,
        budget: ChannelBudget | None = None,
    ) -> None:
        self._client = client
        self._store = store
        self._mj = mj
        self._min_edit_interval = min_edit_interval
        self._coalesce = coalesce
        self._backlog: deque[_Write] = deque()  # uncoalesced writes (the benchmark's naive baseline)
        self._max_image_bytes = max_image_bytes
        self._budget = budget or ChannelBudget()
        self._slots = asyncio.Semaphore(concurrency)
        self._pending: dict[int, _Write] = {}  # job id → newest write; insertion order = age
        self._in_flight: set[int] = set()
        self._last_sent: dict[int, tuple[float, str]] = {}  # job id → (when, content)
        self._messages: dict[int, int] = {}  # job id → message id posted by this writer
        self._spent_at: dict[int, float] = {}  # job id → when its write took a budget slot
        self._wake = asyncio.Event()
        self._workers: set[asyncio.Task[None]] = set()
        self.stats = WriterStats()

    # -- what the engine calls ----------------------------------------------------------------------

    def show(self, job: Job) -> None:
        """Show a job's progress soon. Replaces any progress edit not yet sent for it."""
        current = self._pending.get(job.id)
        if current is not None and not self._coalesce:
            self._backlog.append(_Write(job, final=False))
            return
        if current is not None:
            self.stats.coalesced += 1
            if current.final:
                return
            current.job = job
            return
        self._pending[job.id] = _Write(job, final=False)
        self._wake.set()

    def finish(self, job: Job, task: Task | None = None) -> None:
        """Deliver a job's final state (and image, given its successful task). Never dropped."""
        if job.id in self._pending and not self._coalesce:
            self._backlog.append(_Write(job, final=True, task=task))
            return
        if job.id in self._pending:
            self.stats.coalesced += 1
        self._pending.pop(job.id, None)
        self._pending[job.id] = _Write(job, final=True, task=task)
        self._wake.set()

    def note_posted(self, job_id: int, message_id: int, content: str) -> None:
        """Record a message a cog posted as an interaction response, so unchanged edits are skipped."""
        self._messages[job_id] = message_id
        self._last_sent[job_id] = (time.monotonic(), content)

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
                if not self._coalesce:
                    self._refill_from_backlog(write.job.id)
                self._spent_at[write.job.id] = time.monotonic()
                self._budget.spend(write.job.channel_id, self._spent_at[write.job.id])
                self._in_flight.add(write.job.id)
                worker = asyncio.create_task(self._perform(write), name=f"write-job-{write.job.id}")
                self._workers.add(worker)
                worker.add_done_callback(self._workers.discard)
        finally:
            for worker in list(self._workers):
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)

    def _refill_from_backlog(self, job_id: int) -> None:
        for queued in list(self._backlog):
            if queued.job.id == job_id:
                self._backlog.remove(queued)
                self._pending[job_id] = queued
                return

    def _pick(self, now: float) -> tuple[_Write | None, float | None]:
        """The next write allowed now: finals first, then the oldest progress edit."""
        soonest: float | None = None
        for want_final in (True, False):
            for job_id, write in self._pending.items():
                if write.final is not want_final or job_id in self._in_flight:
                    continue
                # The naive baseline (no coalescing) has no priorities either: every write is equal.
                progress = not write.final and self._coalesce
                budget_wait = self._budget.wait_time(write.job.channel_id, now, progress=progress)
                wait = max(write.not_before - now, budget_wait)
                if not write.final and job_id in self._last_sent:
                    wait = max(wait, self._last_sent[job_id][0] + self._min_edit_interval - now)
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
            await self._give_up(write, err)
        except Exception as err:
            self._retry_or_drop(write, err)
        finally:
            self._spent_at.pop(job_id, None)
            self._in_flight.discard(job_id)
            self._slots.release()
            self._wake.set()

    def _retry_or_drop(self, write: _Write, err: Exception) -> None:
        """Progress is dropped; a result is retried with backoff for as long as the bot runs.

        Its job stays DELIVERING in the database until it is posted, so a restart retries it too.
        """
        if not write.final:
            log.warning("Dropped a progress edit for job %s: %s", write.job.id, err)
            return
        write.attempts += 1
        self.stats.failed += 1
        write.not_before = time.monotonic() + min(300.0, 2.0**write.attempts)
        log.warning("Delivery of job %s failed (%s); retry %d", write.job.id, err, write.attempts)
        if write.job.id not in self._pending:
            self._pending[write.job.id] = write

    async def _give_up(self, write: _Write, err: Undeliverable) -> None:
        """A result nobody can be shown stays DONE in the database: /show posts it once the user can see it."""
        job = write.job
        log.warning("Job %s cannot be posted in its channel or by DM (%s); giving up", job.id, err)
        self.stats.undeliverable += 1
        self._forget(job.id)
        if write.task is not None and job.status is JobStatus.DELIVERING:
            undelivered = Reason.of(ReasonCode.UNDELIVERED, job=job.id)
            await self._store.set_status(job.id, JobStatus.DONE, reason=undelivered, shown=True)
        else:
            await self._store.mark_shown(job.id, job.status)  # nowhere to show it: a restart need not try

    # -- one write ----------------------------------------------------------------------------------

    async def _write(self, write: _Write) -> None:
        job = write.job
        if write.task is not None and job.status is JobStatus.DELIVERING:
            await self._deliver_image(job, write.task, write.attempts)
            return
        content = render.job_content(job)
        last = self._last_sent.get(job.id)
        if not write.final and last is not None and last[1] == content:
            self.stats.skipped_unchanged += 1
            return
        await self._send(job, content=content, view=job_view(job, []), files=None, final=write.final)
        if write.final:
            await self._store.mark_shown(job.id, job.status)
            self._forget(job.id)

    async def _deliver_image(self, job: Job, task: Task, attempts: int) -> None:
        """Download, fit, post; only then mark the job DONE, so a crash in between delivers again.

        An image that cannot be had fails the job after a few tries, with words the user can act on.
        """
        limit = job.upload_limit or DEFAULT_UPLOAD_LIMIT
        try:
            data, content_type = await self._mj.download_image(task.id, max_bytes=self._max_image_bytes)
            fitted = await asyncio.to_thread(fit_to_limit, data, limit, content_type)
        except (ImageDoesNotFit, MJImageTooLarge) as err:
            log.warning("The image of job %s cannot be posted: %s", job.id, err)
            if isinstance(err, MJImageTooLarge) or err.too_large:
                await self._fail_image(job, Reason.of(ReasonCode.IMAGE_TOO_LARGE, mib=limit // (1024 * 1024)))
            else:
                await self._fail_image(job, Reason.of(ReasonCode.IMAGE_UNREADABLE))
            return
        except MJImageGone as err:
            if attempts + 1 < MAX_GONE_TRIES:
                raise
            log.warning("The image of job %s is gone: %s", job.id, err)
            await self._fail_image(job, Reason.of(ReasonCode.IMAGE_GONE))
            return
        except MJError as err:
            if attempts + 1 < MAX_IMAGE_TRIES:
                raise
            log.warning("The image of job %s could not be fetched %d times: %s", job.id, attempts + 1, err)
            await self._fail_image(job, Reason.of(ReasonCode.IMAGE_UNAVAILABLE, tries=attempts + 1))
            return
        specs = [
            ButtonSpec(b.custom_id, b.label, b.emoji) for b in task.buttons if relay_can_run(b.custom_id)
        ]
        buttons = await self._store.save_buttons(job.id, specs)
        done = replace(job, status=JobStatus.DONE)
        file = discord.File(io.BytesIO(fitted.data), filename=f"{task.id}.{fitted.filename_ext}")
        content = render.job_content(done)
        await self._send(done, content=content, view=job_view(done, buttons), files=[file], final=True)
        await self._store.set_status(job.id, JobStatus.DONE, shown=True)
        self.stats.delivered += 1
        if fitted.reencoded:
            self.stats.reencoded += 1
        self._forget(job.id)

    async def _fail_image(self, job: Job, why: Reason) -> None:
        failed = replace(job, status=JobStatus.FAILED, reason=why)
        with contextlib.suppress(Undeliverable):
            await self._send(failed, content=render.job_content(failed), view=None, files=None, final=True)
        await self._store.set_status(job.id, JobStatus.FAILED, reason=why, shown=True)
        self._forget(job.id)

    def _forget(self, job_id: int) -> None:
        self._last_sent.pop(job_id, None)
        self._messages.pop(job_id, None)

    async def _send(
        self,
        job: Job,
        *,
        content: str,
        view: discord.ui.View | None,
        files: list[discord.File] | None,
        final: bool,
    ) -> None:
        """Edit the job's message, or post it (as a reply, for actions) when there is none or it was deleted.

        A final write that cannot reach its channel (deleted, or permissions taken away) goes to the user
        by DM; when the DM is refused too (closed DMs), it raises Undeliverable.
        """
        try:
            await self._send_to_channel(job, content=content, view=view, files=files)
        except (discord.Forbidden, discord.NotFound) as err:
            if not final:
                raise  # progress: the caller drops it
            if job.dm:
                raise Undeliverable(str(err)) from err
            log.warning(
                "Job %s cannot be posted in channel %s (%s); sending it by DM", job.id, job.channel_id, err
            )
            for file in files or ():
                file.reset()
            note = t(job.locale, "job.dm_note", channel=job.channel_id) + "\n"
            try:
                dm = await self._client.create_dm(discord.Object(job.user_id))
                await dm.send(
                    content=note + render.job_content(job, render.CONTENT_LIMIT - len(note)),
                    view=view or discord.utils.MISSING,
                    files=files or discord.utils.MISSING,
                )
            except (discord.Forbidden, discord.NotFound) as dm_err:
                raise Undeliverable(f"{err}; by DM: {dm_err}") from dm_err
            self.stats.direct_messages += 1

    async def _send_to_channel(
        self, job: Job, *, content: str, view: discord.ui.View | None, files: list[discord.File] | None
    ) -> None:
        if (spent_at := self._spent_at.pop(job.id, None)) is not None:
            self._budget.restamp(job.channel_id, spent_at, time.monotonic())
        guild_id = None if job.dm else job.guild_id
        channel = self._client.get_partial_messageable(job.channel_id, guild_id=guild_id)
        mentions = discord.AllowedMentions(users=[discord.Object(job.user_id)], everyone=False, roles=False)
        message_id = self._messages.get(job.id, job.message_id)
        if message_id is not None:
            message = channel.get_partial_message(message_id)
            try:
                if files is not None:
                    await message.edit(
                        content=content, view=view, attachments=files, allowed_mentions=mentions
                    )
                else:
                    await message.edit(content=content, view=view, allowed_mentions=mentions)
                self.stats.edited += 1
                self._last_sent[job.id] = (time.monotonic(), content)
                return
            except discord.NotFound as err:
                if err.code != 10008:  # not "Unknown Message": the channel itself is gone
                    raise
                log.info("The message of job %s was deleted; posting a new one", job.id)
                for file in files or ():
                    file.reset()
        extra: dict[str, Any] = {}
        if job.reply_to_message_id is not None:
            extra["reference"] = discord.MessageReference(
                message_id=job.reply_to_message_id, channel_id=job.channel_id, fail_if_not_exists=False
            )
        if view is not None:
            extra["view"] = view
        if files:
            extra["files"] = files
        sent = await channel.send(content=content, allowed_mentions=mentions, **extra)
        await self._store.set_message(job.id, sent.id)
        self._messages[job.id] = sent.id
        self.stats.created += 1
        self._last_sent[job.id] = (time.monotonic(), content)
