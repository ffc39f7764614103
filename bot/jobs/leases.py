"""The lease keeper: renews this process's hold on its open jobs, lets go of the ones another process took,
and takes over the jobs of a process that stopped renewing (it died), each resumed as at start.

A dead process's jobs are taken within one lease (JOB_LEASE_SECONDS) and one round (a third of it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.jobs.core import JobCore
from bot.models import Job

log = logging.getLogger(__name__)

ROUNDS_PER_LEASE = 3  # renewals within one lease: two may fail before the lease runs out
TAKE_AT_ONCE = 500  # jobs taken over in one statement

Resume = Callable[[Job], Awaitable[None]]


class LeaseKeeper:
    def __init__(self, core: JobCore, resume: Resume) -> None:
        self._core = core
        self._resume = resume
        self.taken_over = 0  # jobs taken from processes that stopped (for /metrics)

    @property
    def period(self) -> float:
        return self._core.store.lease.seconds / ROUNDS_PER_LEASE

    async def take_all(self, *, restarting: bool = False) -> int:
        """Take and resume every job that has no live holder; `restarting`: this holder's own too."""
        count = 0
        while True:
            jobs = await self._core.store.take_leases(limit=TAKE_AT_ONCE, restarting=restarting)
            for job in sorted(jobs, key=lambda job: job.id):
                await self._resume(job)
            count += len(jobs)
            if len(jobs) < TAKE_AT_ONCE:
                return count

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            # A busy or unreachable database: the next round tries again, well within the lease.
            try:
                await self.round()
            except Exception:
                log.warning("A lease round failed; the next one tries again", exc_info=True)

    async def round(self) -> None:
        store = self._core.store
        await store.renew_leases()
        self._let_go(await store.held_elsewhere(self._core.local_job_ids()))
        if taken := await self.take_all():
            self.taken_over += taken
            log.warning("Took over %d jobs from a bot process that stopped renewing its leases", taken)

    def _let_go(self, job_ids: set[int]) -> None:
        """Another process took these jobs (this one stalled past its lease): stop working on them here."""
        for job_id in job_ids:
            self._core.forget(job_id)
        if job_ids:
            log.warning("Let go of %d jobs another bot process took over", len(job_ids))
