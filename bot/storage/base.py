"""What every query group builds on: the database (database.py: one interface, SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.models import Job
from bot.storage.database import Database
from bot.storage.rows import JOB_COLUMNS, job_from_row
from bot.storage.types import Lease


class MissingJob(LookupError):
    """A job that must exist does not (its row was deleted, or the id is wrong)."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


class StoreBase:
    """The database, shared by the query groups that make up `Store`."""

    def __init__(self, db: Database, lease: Lease | None = None) -> None:
        self._db = db
        self.lease = lease or Lease()  # who this process is: the jobs it creates or takes are leased to it

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """A transaction; inside another one of the same task, simply part of it."""
        async with self._db.transaction():
            yield

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._db.execute(sql, params)

    async def _write_job(self, sql: str, params: Sequence[Any]) -> Job | None:
        """An update that may match no row (the job moved on meanwhile): None then."""
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
        row = await self._db.fetch_one(sql, params)
        return job_from_row(row) if row else None

    async def _fetch_jobs(self, sql: str, params: Sequence[Any] = ()) -> list[Job]:
        return [job_from_row(row) for row in await self._db.fetch_all(sql, params)]
