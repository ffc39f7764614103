"""Leases: which process works on which open job, so several processes can share one database.

A job needs an owner while it is open (queued, submitting, running, stuck or delivering) or while its
last state has not reached its message yet. The process that creates or re-queues a job holds its lease;
each process renews all of its leases in one statement, and takes over jobs whose lease ran out (their
process died) with FOR UPDATE SKIP LOCKED, so two processes never take the same job. The moves that cost
money or post a result (QUEUED → SUBMITTING, → DELIVERING) are made only by the lease's holder.
"""

from __future__ import annotations

from bot.models import OPEN, SHOWN_LAST, Job, JobStatus
from bot.storage.jobs import JobQueries
from bot.storage.rows import JOB_COLUMNS, now

_OPEN = ",".join(f"'{status}'" for status in OPEN)
_SHOWN_LAST = ",".join(f"'{status}'" for status in SHOWN_LAST)
NEEDS_OWNER = f"(status IN ({_OPEN}) OR (shown = 0 AND status IN ({_SHOWN_LAST})))"


class LeaseQueries(JobQueries):
    async def renew_leases(self) -> set[int]:
        """Renew every lease this process holds; answers the ids of the jobs it still holds."""
        rows = await self._db.fetch_all(
            f"UPDATE jobs SET lease_until = ? WHERE lease_owner = ? AND {NEEDS_OWNER} RETURNING id",
            (self.lease.until(), self.lease.holder),
        )
        return {int(row[0]) for row in rows}

    async def jobs_by_holder(self) -> dict[str, int]:
        """The jobs that need an owner, counted by the process whose lease they are under ("" for none)."""
        rows = await self._db.fetch_all(
            f"SELECT COALESCE(lease_owner, ''), COUNT(*) FROM jobs WHERE {NEEDS_OWNER} GROUP BY 1"
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def release_leases(self) -> None:
        """This process stops: its jobs may be taken by another at once (or by itself when it restarts)."""
        await self._write("UPDATE jobs SET lease_until = 0 WHERE lease_owner = ?", (self.lease.holder,))

    async def take_leases(self, *, limit: int = 500, restarting: bool = False) -> list[Job]:
        """Take up to `limit` jobs whose lease ran out (or that never had one); `restarting`: also the ones
        this holder leased before it restarted, which no other process may have taken since."""
        stamp = now()
        mine = " OR lease_owner = ?" if restarting else ""
        params: tuple[object, ...] = (self.lease.holder, self.lease.until(), stamp)
        return await self._fetch_jobs(
            "UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id IN ("
            f"SELECT id FROM jobs WHERE {NEEDS_OWNER} AND (lease_until IS NULL OR lease_until < ?{mine})"
            f" ORDER BY id LIMIT ?{self._db.skip_locked}) RETURNING {JOB_COLUMNS}",
            (*params, *((self.lease.holder,) if restarting else ()), limit),
        )

    async def held_elsewhere(self, job_ids: set[int]) -> set[int]:
        """Of these jobs (the ones this process works on), those whose lease another process holds now."""
        if not job_ids:
            return set()
        marks = ",".join("?" * len(job_ids))
        rows = await self._db.fetch_all(
            f"SELECT id FROM jobs WHERE id IN ({marks}) AND COALESCE(lease_owner, '') != ?",
            (*sorted(job_ids), self.lease.holder),
        )
        return {int(row[0]) for row in rows}

    async def adopt_running(self, job_id: int) -> Job | None:
        """Take a running (or stuck) job's lease from whoever holds it: a user asked this process to look
        at its task. The other process lets go at its next round; only one of them can deliver."""
        return await self._write_job(
            "UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE id = ? AND status IN (?, ?)"
            f" AND task_id IS NOT NULL RETURNING {JOB_COLUMNS}",
            (self.lease.holder, self.lease.until(), job_id, JobStatus.RUNNING, JobStatus.STUCK),
        )
