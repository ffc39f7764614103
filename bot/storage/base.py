"""The connection wrapper every query group builds on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from bot.models import Job
from bot.storage.rows import job_from_row


class StoreBase:
    """One connection and its write lock, shared by the query groups that make up `Store`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection: a write must not slip into another coroutine's open transaction.
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _write_job(self, sql: str, params: Sequence[Any]) -> Job | None:
        async with self._write_lock:
            return await self._fetch_job(sql, params)

    async def _fetch_job(self, sql: str, params: Sequence[Any]) -> Job | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return job_from_row(row) if row else None

    async def _fetch_jobs(self, sql: str, params: Sequence[Any] = ()) -> list[Job]:
        async with self._db.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return [job_from_row(row) for row in rows]
