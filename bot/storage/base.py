"""The connection wrapper every query group builds on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from bot.models import Job
from bot.storage.rows import JOB_COLUMNS, job_from_row


class MissingJob(LookupError):
    """A job that must exist does not (its row was deleted, or the id is wrong)."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


class WriteLock:
    """One writer at a time on the one connection, re-entered freely by the task that holds it.

    So a store method may be called inside another's transaction: it becomes part of that transaction.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @property
    def mine(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        if self.mine:
            yield
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                yield
            finally:
                self._owner = None


class StoreBase:
    """One connection and its write lock, shared by the query groups that make up `Store`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection: a write must not slip into another coroutine's open transaction.
        self._write_lock = WriteLock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """A transaction; inside another one of the same task, simply part of it."""
        if self._write_lock.mine:
            yield
            return
        async with self._write_lock.held():
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        async with self._write_lock.held():
            await self._db.execute(sql, params)

    async def _write_job(self, sql: str, params: Sequence[Any]) -> Job | None:
        """An update that may match no row (the job moved on meanwhile): None then."""
        async with self._write_lock.held():
            return await self._fetch_job(sql, params)

    async def _update_job(self, job_id: int, sql: str, params: Sequence[Any]) -> Job:
        """An update of a job that must exist; MissingJob when it does not."""
        job = await self._write_job(sql, params)
        if job is None:
            raise MissingJob(job_id)
        return job

    async def require_job(self, job_id: int) -> Job:
        """A job that must exist; MissingJob when it does not."""
        job = await self._fetch_job(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        if job is None:
            raise MissingJob(job_id)
        return job

    async def _fetch_job(self, sql: str, params: Sequence[Any]) -> Job | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return job_from_row(row) if row else None

    async def _fetch_jobs(self, sql: str, params: Sequence[Any] = ()) -> list[Job]:
        async with self._db.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return [job_from_row(row) for row in rows]
