"""The job engine: the one owner of every job's status. Cogs ask it; the poller and the writer report to it.

Every state is written to SQLite before it is acted on, and every open job is resumed on start: that one
rule is the whole of crash recovery. The work is split: the submitter (submitter.py), applying task
states and delivery reports (results.py), and prompt windows (windows.py), over shared state (core.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.config import Settings
from bot.delivery import Writer
from bot.jobs.cadence import Cadence
from bot.jobs.core import JobCore
from bot.jobs.fair_queue import FairQueue
from bot.jobs.leases import LeaseKeeper
from bot.jobs.outcomes import OutageSink
from bot.jobs.poller import Poller
from bot.jobs.results import ResultApplier
from bot.jobs.slots import Slots
from bot.jobs.submitter import Submitter
from bot.jobs.timing import Timing
from bot.jobs.windows import PromptWindows
from bot.mj.client import MJClient
from bot.models import Job, JobStatus, Mode, NewJob, Reason, ReasonCode
from bot.policy import Policies
from bot.storage import ClaimResult, Quota, Store
from bot.tasks import TaskRegistry

log = logging.getLogger(__name__)


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
        timing: Timing,
    ) -> None:
        slots = Slots(policies.get)
        self._core = core = JobCore(
            store, mj, writer, settings=settings, registry=registry, slots=slots, alerts=alerts
        )
        self._windows = PromptWindows(core)
        self._results = ResultApplier(core, self._windows)
        self._submitter = Submitter(core, self._windows, retry_base=timing.retry_base)
        self.poller = core.poller = Poller(
            mj,
            self._results.on_tasks,
            self._results.on_unreadable,
            cadence=Cadence(timing.poll_min, timing.poll_max),
            # One batch request costs the same for one task or five hundred: no reason to back off.
            batch_cadence=Cadence(timing.batch_poll, timing.batch_poll, jitter=0.0),
            batch_gap=timing.batch_gap,
        )
        self.leases = LeaseKeeper(core, self._resume)
        writer.report_to(self._results)

    @property
    def queue(self) -> FairQueue:
        return self._core.queue

    @property
    def slots(self) -> Slots:
        return self._core.slots

    # -- start and resume ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Probe the API's batch route, resume every open job no live process holds (and this one's own
        from before a restart), then start the loops."""
        core = self._core
        await self.poller.probe_batch()
        if resumed := await self.leases.take_all(restarting=True):
            log.info("Resumed %d jobs", resumed)
        core.registry.keep_running(core.writer.run, name="delivery-writer")
        core.registry.keep_running(self.poller.run, name="poller")
        core.registry.keep_running(self._submitter.run, name="submitter")
        core.registry.keep_running(self.leases.run, name="lease-keeper")

    async def _resume(self, job: Job) -> None:
        """Carry on with a job this process just took (at start, or from a process that stopped)."""
        core = self._core
        match job.status:
            case JobStatus.QUEUED if job.dm and job.message_id is None and not job.is_action:
                # /imagine stopped before its DM was tried: closed DMs must not cost a job, so it is dropped
                # (refunded). A click in a DM already proved the DM works.
                dropped = Reason.of(ReasonCode.DM_UNCHECKED)
                await core.store.set_status(job.id, JobStatus.CANCELLED, reason=dropped, shown=True)
            case JobStatus.QUEUED:
                core.enqueue(job)
            case JobStatus.SUBMITTING:
                restarted = Reason.of(ReasonCode.UNCERTAIN_RESTART)
                core.writer.finish(await core.store.set_status(job.id, JobStatus.UNCERTAIN, reason=restarted))
            case JobStatus.RUNNING:
                core.slots.take(job.id, job.user_id, job.guild_id)
                core.watch(job, delay=0.0)
            case JobStatus.STUCK | JobStatus.DELIVERING:  # neither holds a slot
                core.watch(job, delay=0.0)
            case _:  # its last state never reached its message (the process stopped first)
                core.writer.finish(job)

    # -- what cogs call -----------------------------------------------------------------------------

    async def create_job(self, new: NewJob, quota: Quota | None = None) -> Job:
        """Write the job row (raises QuotaExceeded). The caller posts its message, then calls `enqueue`."""
        return await self._core.store.create_job(new, quota)

    async def create_jobs(self, news: Sequence[NewJob], quota: Quota | None = None) -> list[Job]:
        """Write several jobs at once, all or none (raises QuotaExceeded); each must then be enqueued."""
        return await self._core.store.create_jobs(news, quota)

    async def message_posted(self, job: Job, message_id: int, content: str) -> Job:
        await self._core.store.set_message(job.id, message_id)
        self._core.writer.note_posted(job.id, message_id, content)
        return replace(job, message_id=message_id)

    def enqueue(self, job: Job) -> None:
        self._core.enqueue(job)

    async def cancel(self, job: Job, why: ReasonCode) -> None:
        """Cancel a job that was never submitted (its message could not be posted, say)."""
        self._core.queue.discard(job.id)
        await self._core.store.set_status(job.id, JobStatus.CANCELLED, reason=Reason.of(why), shown=True)

    async def cancel_waiting(self, job_id: int) -> Job | None:
        """The owner drops a job still in the bot's hands (queued, or waiting for a prompt); None if too late."""
        cancelled = await self._core.store.cancel_waiting(job_id, Reason.of(ReasonCode.CANCELLED))
        if cancelled is not None:
            self._core.queue.discard(job_id)
            self._core.writer.finish(cancelled)
        return cancelled

    async def claim_button(self, button_id: int, new: NewJob, quota: Quota | None = None) -> ClaimResult:
        """Create the job a button click asks for, once; a second click gets the first one's job."""
        claim = await self._core.store.claim_button(button_id, new, quota)
        if claim.created:
            self._core.enqueue(claim.job)
        return claim

    async def retry_uncertain(self, job_id: int, mode: Mode | None, quota: Quota | None) -> Job | None:
        """Submit an UNCERTAIN job again, once (raises AdmissionLost when the quota has no room)."""
        job = await self._core.store.retry_uncertain(job_id, mode, quota)
        if job is not None:
            self._core.writer.show(job)
            self._core.enqueue(job)
        return job

    async def submit_prompt(self, job_id: int, prompt: str) -> Job | None:
        """The user's prompt for a task waiting in MODAL (Remix, Custom Zoom); None if it no longer waits."""
        return await self._windows.submit_prompt(job_id, prompt)

    async def check_again(self, job_id: int) -> bool:
        """Look at a running job's task now; one another process watches is taken over to do so."""
        if self.poller.poll_now(job_id):
            return True
        job = await self._core.store.adopt_running(job_id)
        if job is None:
            return False
        await self._resume(job)
        return True
