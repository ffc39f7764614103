"""Jobs: the insert (with its quota and cooldown re-check), each state move, and retention."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from bot.models import (
    DELIVERABLE,
    FINAL,
    OPEN,
    UNCHARGED,
    WAITING,
    Job,
    JobStatus,
    Mode,
    NewJob,
    Reason,
)
from bot.storage.inputs import InputQueries
from bot.storage.rows import JOB_COLUMNS, job_from_row, now, reason_columns
from bot.storage.types import CooldownActive, ProgressUpdate, Quota, QuotaExceeded


class JobQueries(InputQueries):
    async def create_job(self, new: NewJob, quota: Quota | None = None) -> Job:
        """Write a new QUEUED job; with a quota, the count and the insert are one transaction."""
        async with self._transaction():
            await self._check_quota(new.user_id, new.guild_id, quota)
            return await self._insert_job(new)

    async def create_jobs(self, news: Sequence[NewJob], quota: Quota | None = None) -> list[Job]:
        """Write several jobs of one user in one guild (a permutation prompt's), all or none."""
        if not news:
            return []
        async with self._transaction():
            await self._check_quota(news[0].user_id, news[0].guild_id, quota, jobs=len(news))
            return [await self._insert_job(new) for new in news]

    async def _check_quota(
        self, user_id: int, guild_id: int | None, quota: Quota | None, *, jobs: int = 1
    ) -> None:
        """Inside a transaction: the cooldown, and room for `jobs` more charged jobs today."""
        if quota is None:
            return
        # Until this transaction ends, the user's other submits wait here (any process), then count this one.
        await self._db.lock(f"quota:{user_id}")
        if quota.quiet_after is not None:
            row = await self._db.fetch_one(
                "SELECT MAX(created_at) FROM jobs WHERE user_id = ? AND guild_id IS ? AND created_at > ?"
                " AND status != ?",
                (user_id, guild_id, quota.quiet_after.timestamp(), JobStatus.CANCELLED),
            )
            if row is not None and row[0] is not None:
                raise CooldownActive(datetime.fromtimestamp(row[0], UTC))
        if quota.limit is None:
            return
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM jobs WHERE user_id = ? AND guild_id IS ? AND created_at >= ?"
            f" AND status NOT IN ({','.join('?' * len(UNCHARGED))})",
            (user_id, guild_id, quota.since.timestamp(), *UNCHARGED),
        )
        used = int(row[0]) if row else 0
        if used + jobs > quota.limit:
            raise QuotaExceeded(used)

    async def _insert_job(self, new: NewJob) -> Job:
        stamp = now()
        row = await self._db.fetch_one(
            "INSERT INTO jobs (status, user_id, guild_id, channel_id, reply_to_message_id, prompt, action, mode,"
            " bot_type, parent_job_id, parent_task_id, custom_id, upload_limit, created_at, updated_at,"
            " locale, dm, modal_prompt, lease_owner, lease_until)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING " + JOB_COLUMNS,
            (
                JobStatus.QUEUED,
                new.user_id,
                new.guild_id,
                new.channel_id,
                new.reply_to_message_id,
                new.prompt,
                new.action,
                new.mode,
                new.bot_type,
                new.parent_job_id,
                new.parent_task_id,
                new.custom_id,
                new.upload_limit,
                stamp,
                stamp,
                new.locale,
                int(new.dm),
                new.modal_prompt,
                *self._leased(),
            ),
        )
        if row is None:
            raise RuntimeError("INSERT … RETURNING returned no row")
        job = job_from_row(row)
        await self._insert_inputs(job.id, new.inputs)
        return job

    def _leased(self) -> tuple[str, float]:
        """(lease_owner, lease_until) for a job this process creates or queues: it works on it from now."""
        return self.lease.holder, self.lease.until()

    async def get_job(self, job_id: int) -> Job | None:
        return await self._fetch_job(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))

    async def open_jobs(self) -> list[Job]:
        marks = ",".join("?" * len(OPEN))
        return await self._fetch_jobs(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE status IN ({marks}) ORDER BY id", OPEN
        )

    async def set_message(self, job_id: int, message_id: int) -> None:
        await self._write(
            "UPDATE jobs SET message_id = ?, updated_at = ? WHERE id = ?", (message_id, now(), job_id)
        )

    async def mark_submitting(self, job_id: int) -> Job | None:
        """QUEUED → SUBMITTING, committed before the POST, by the lease's holder only. None if the job is no
        longer queued, or another process took it over (so it is never submitted twice)."""
        return await self._write_job(
            "UPDATE jobs SET status = ?, submit_attempts = submit_attempts + 1, updated_at = ?"
            f" WHERE id = ? AND status = ? AND lease_owner = ? RETURNING {JOB_COLUMNS}",
            (JobStatus.SUBMITTING, now(), job_id, JobStatus.QUEUED, self.lease.holder),
        )

    async def mark_delivering(self, job_id: int, task_action: str | None) -> Job | None:
        """A task succeeded: its job moves to DELIVERING, by the lease's holder only (so one process posts
        the result). None if another process took the job over, or it moved on meanwhile."""
        return await self._write_job(
            "UPDATE jobs SET status = ?, task_action = COALESCE(?, task_action),"
            " finished_at = COALESCE(finished_at, ?), updated_at = ?, shown = 0"
            f" WHERE id = ? AND lease_owner = ? AND status IN (?, ?, ?) RETURNING {JOB_COLUMNS}",
            (JobStatus.DELIVERING, task_action, now(), now(), job_id, self.lease.holder, *DELIVERABLE),
        )

    async def mark_running(self, job_id: int, task_id: str, queue_position: int | None) -> Job:
        stamp = now()
        return await self._update_job(
            job_id,
            "UPDATE jobs SET status = ?, task_id = ?, queue_position = ?, submitted_at = ?, updated_at = ?,"
            f" modal_task_id = NULL, retrying_since = NULL WHERE id = ? RETURNING {JOB_COLUMNS}",
            (JobStatus.RUNNING, task_id, queue_position, stamp, stamp, job_id),
        )

    async def requeue(self, job_id: int, retry_at: datetime, reason: Reason) -> Job:
        """Back to the queue after a busy answer; the first one of a row starts the retry budget."""
        stamp = now()
        return await self._update_job(
            job_id,
            "UPDATE jobs SET status = ?, next_attempt_at = ?, reason = ?, reason_args = ?, updated_at = ?,"
            f" retrying_since = COALESCE(retrying_since, ?) WHERE id = ? RETURNING {JOB_COLUMNS}",
            (JobStatus.QUEUED, retry_at.timestamp(), *reason_columns(reason), stamp, stamp, job_id),
        )

    async def retry_uncertain(self, job_id: int, mode: Mode | None, quota: Quota | None = None) -> Job | None:
        """UNCERTAIN → QUEUED, once: the user chose to submit again, in `mode`. The retry may be charged a
        second time, so it needs room in the quota like a new job. None if it was retried already."""
        async with self._transaction():
            job = await self._fetch_job(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?{self._db.for_update}", (job_id,)
            )  # a second Retry waits here for the first, then sees it QUEUED
            if job is None or job.status is not JobStatus.UNCERTAIN:
                return None
            await self._check_quota(job.user_id, job.guild_id, quota)
            return await self._fetch_job(
                "UPDATE jobs SET status = ?, mode = ?, reason = NULL, reason_args = NULL,"
                " next_attempt_at = NULL, finished_at = NULL, updated_at = ?, retrying_since = NULL,"
                f" lease_owner = ?, lease_until = ? WHERE id = ? AND status = ? RETURNING {JOB_COLUMNS}",
                (JobStatus.QUEUED, mode, now(), *self._leased(), job_id, JobStatus.UNCERTAIN),
            )

    async def save_progress(self, updates: Iterable[ProgressUpdate]) -> None:
        """Write many progress changes in one transaction."""
        stamp = now()
        rows = [(u.status, u.progress, u.queue_position, stamp, u.job_id) for u in updates]
        if rows:
            async with self._transaction():
                await self._db.execute_many(
                    "UPDATE jobs SET status = ?, progress = ?, queue_position = ?, updated_at = ? WHERE id = ?",
                    rows,
                )

    async def set_status(
        self,
        job_id: int,
        status: JobStatus,
        *,
        reason: Reason | None = None,
        task_action: str | None = None,
        banned_word: str | None = None,
        shown: bool = False,
    ) -> Job:
        """Move a job to `status`; `shown` when its message already says so (or there is none to say it).

        A `reason` replaces the job's reason; None keeps the one it has.
        """
        stamp = now()
        finished = stamp if status.is_final or status is JobStatus.DELIVERING else None
        code, args = reason_columns(reason)
        return await self._update_job(
            job_id,
            "UPDATE jobs SET status = ?, reason = COALESCE(?, reason), reason_args = COALESCE(?, reason_args),"
            " task_action = COALESCE(?, task_action), banned_word = COALESCE(?, banned_word),"
            " finished_at = COALESCE(finished_at, ?), updated_at = ?,"
            f" shown = ? WHERE id = ? RETURNING {JOB_COLUMNS}",
            (status, code, args, task_action, banned_word, finished, stamp, int(shown), job_id),
        )

    async def mark_shown(self, job_id: int, status: JobStatus) -> None:
        """The job's message shows `status`; a newer state written meanwhile stays to be shown."""
        await self._write("UPDATE jobs SET shown = 1 WHERE id = ? AND status = ?", (job_id, status))

    async def wait_for_input(self, job_id: int, modal_task_id: str, prefill: str) -> Job:
        """The API waits for a prompt (Remix, Custom Zoom) on `modal_task_id`; `prefill` starts the modal."""
        return await self._update_job(
            job_id,
            "UPDATE jobs SET status = ?, modal_task_id = ?, modal_prompt = ?, reason = NULL, reason_args = NULL,"
            " updated_at = ?,"
            f" shown = 0 WHERE id = ? RETURNING {JOB_COLUMNS}",
            (JobStatus.WAITING_INPUT, modal_task_id, prefill, now(), job_id),
        )

    async def mark_prompt_sent(self, job_id: int, task_id: str) -> None:
        """Committed before the prompt's POST: this job's prompt goes to the window of `task_id`."""
        await self._write("UPDATE jobs SET prompt_sent_to = ? WHERE id = ?", (task_id, job_id))

    async def set_modal_task(self, job_id: int, modal_task_id: str) -> None:
        await self._write("UPDATE jobs SET modal_task_id = ? WHERE id = ?", (modal_task_id, job_id))

    async def answer_window(self, job_id: int, prompt: str) -> Job | None:
        """WAITING_INPUT → QUEUED with the user's prompt for its window, once. None if it no longer waits."""
        return await self._write_job(
            "UPDATE jobs SET status = ?, modal_prompt = ?, reason = NULL, reason_args = NULL, updated_at = ?,"
            " retrying_since = NULL, lease_owner = ?, lease_until = ?,"
            f" next_attempt_at = NULL WHERE id = ? AND status = ? AND modal_task_id IS NOT NULL"
            f" RETURNING {JOB_COLUMNS}",
            (JobStatus.QUEUED, prompt, now(), *self._leased(), job_id, JobStatus.WAITING_INPUT),
        )

    async def cancel_waiting(self, job_id: int, reason: Reason) -> Job | None:
        """QUEUED or WAITING_INPUT → CANCELLED; None if the job already left the bot's hands."""
        return await self._write_job(
            "UPDATE jobs SET status = ?, reason = ?, reason_args = ?, finished_at = ?, updated_at = ?, shown = 0"
            f" WHERE id = ? AND status IN (?, ?) RETURNING {JOB_COLUMNS}",
            (JobStatus.CANCELLED, *reason_columns(reason), now(), now(), job_id, *WAITING),
        )

    # -- retention ----------------------------------------------------------------------------------

    async def prune_finished(self, before: datetime, batch: int = 500) -> int:
        """Delete final jobs that finished before `before`, with their buttons; answers how many.

        A newer job that points at one as its parent keeps its row; the link is cleared. A bookmarked
        job stays until its last bookmark is removed. Done in small transactions, so the writes of
        running jobs never wait long.
        """
        marks = ",".join("?" * len(FINAL))
        removed = 0
        while True:
            async with self._transaction():
                rows = await self._db.fetch_all(
                    f"SELECT id FROM jobs WHERE status IN ({marks}) AND finished_at < ?"
                    " AND id NOT IN (SELECT job_id FROM bookmarks) ORDER BY id LIMIT ?",  # saved results stay
                    (*FINAL, before.timestamp(), batch),
                )
                ids = [int(row[0]) for row in rows]
                if not ids:
                    return removed
                # Locked in a click's order (PostgreSQL), so the two never deadlock: the jobs' buttons first
                # (a click being claimed is waited for), then the jobs themselves.
                chosen = ",".join("?" * len(ids))
                await self._db.fetch_all(
                    f"SELECT id FROM buttons WHERE job_id IN ({chosen}) ORDER BY id{self._db.for_update}", ids
                )
                rows = await self._db.fetch_all(
                    f"SELECT id FROM jobs WHERE id IN ({chosen}) ORDER BY id{self._db.for_update}", ids
                )
                ids = [int(row[0]) for row in rows]
                if not ids:
                    continue  # another process pruned them meanwhile
                # A bookmark added while the row lock was awaited (PostgreSQL): read again, now it is held.
                saved = await self._db.fetch_all(
                    f"SELECT DISTINCT job_id FROM bookmarks WHERE job_id IN ({','.join('?' * len(ids))})", ids
                )
                ids = sorted(set(ids) - {int(row[0]) for row in saved})
                if not ids:
                    continue
                chosen = ",".join("?" * len(ids))
                await self._db.execute(
                    f"UPDATE jobs SET parent_job_id = NULL WHERE parent_job_id IN ({chosen})", ids
                )
                await self._db.execute(
                    f"UPDATE buttons SET used_by_job_id = NULL WHERE used_by_job_id IN ({chosen})", ids
                )
                await self._db.execute(f"DELETE FROM buttons WHERE job_id IN ({chosen})", ids)
                await self._db.execute(f"DELETE FROM job_inputs WHERE job_id IN ({chosen})", ids)
                await self._db.execute(f"DELETE FROM jobs WHERE id IN ({chosen})", ids)
            removed += len(ids)
