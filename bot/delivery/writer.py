"""The delivery writer: the only code that writes job messages to Discord.

It writes with the bot token through channel message routes, so no job depends on the 15-minute
interaction token. At most one write per message is pending, always with the newest state; final
results go before progress edits (a result itself is posted by final_results.py), and a per-channel
budget keeps us under Discord's route limits. What happened is reported to the engine, which owns every
job's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.backoff import backoff
from bot.channel_budget import ChannelBudget
from bot.delivery.final_results import ResultPoster
from bot.delivery.messages import MessagePoster, Post, Undeliverable
from bot.delivery.pending import DeliveryReport, PendingWrite, WriterStats
from bot.models import Job, JobStatus, Reason, ReasonCode
from bot.views import job_view

if TYPE_CHECKING:
    from bot.mj.client import MJClient
    from bot.mj.models import Task
    from bot.storage import Store

log = logging.getLogger(__name__)

CONCURRENCY = 8  # writes in flight at once
EDIT_INTERVAL = 1.5  # seconds between two progress edits of one message
MAX_FINAL_TRIES = 6  # posts of a final state before the writer gives up (about a minute of Discord trouble)
RETRY_FIRST = 2.0  # seconds before a final write is tried again; it doubles each time


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
        self._pending: dict[int, PendingWrite] = {}  # job id → newest write; insertion order = age
        self._in_flight: set[int] = set()
        self._spent_at: dict[int, float] = {}  # job id → when its write took a budget slot
        self._wake = asyncio.Event()
        self._workers: set[asyncio.Task[None]] = set()
        self.stats = WriterStats()
        self._results = ResultPoster(mj, store, self._poster, self.stats, self._restamp)

    def report_to(self, report: DeliveryReport) -> None:
        self._report = self._results.report = report

    @property
    def observe_lag(self) -> Callable[[float], None] | None:
        """Told the seconds from each task's finish to its result in Discord (metrics)."""
        return self._results.observe_lag

    @observe_lag.setter
    def observe_lag(self, observe: Callable[[float], None] | None) -> None:
        self._results.observe_lag = observe

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
        self._pending[job.id] = PendingWrite(job, final=False)
        self._wake.set()

    def finish(self, job: Job, task: Task | None = None) -> None:
        """Deliver a job's final state (and image, given its successful task). Never dropped."""
        if self._pending.pop(job.id, None) is not None:
            self.stats.coalesced += 1
        self._pending[job.id] = PendingWrite(job, final=True, task=task)
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

    def _pick(self, now: float) -> tuple[PendingWrite | None, float | None]:
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

    async def _perform(self, write: PendingWrite) -> None:
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

    async def _retry_or_drop(self, write: PendingWrite, err: Exception) -> None:
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

    async def _give_up(self, write: PendingWrite, why: str) -> None:
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

    async def _write(self, write: PendingWrite) -> None:
        job = write.job
        if write.task is not None and job.status is JobStatus.DELIVERING:
            await self._results.deliver(write, write.task)
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

    def _restamp(self, job: Job) -> None:
        """Move the write's budget slot to the moment its request really leaves (after a download, say)."""
        if (spent_at := self._spent_at.pop(job.id, None)) is not None:
            self._budget.restamp(job.channel_id, spent_at, time.monotonic())
