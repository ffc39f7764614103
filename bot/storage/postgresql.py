"""The PostgreSQL side of the seam (database.py): a pool of asyncpg connections, whose read-then-write
transactions stay safe when other processes use the same database.

A transaction takes a connection from the pool and keeps it for the task that opened it: the store methods
that task calls inside it run on that connection, so they are part of it (as with SQLite's re-entrant write
lock). A statement outside a transaction borrows a connection for itself (autocommit).

Isolation: READ COMMITTED, PostgreSQL's default, where every statement sees what was committed before it
started. That alone would let two submits both count a quota's last free place, so each read-then-write
takes a lock first and reads after it: `lock(key)`, a transaction-scoped advisory lock (the quota and
cooldown check locks its user; a change of defaults its scope), or `for_update` on the row it read (the
button a click claims, the job a Retry re-queues, the jobs retention deletes). The second transaction waits
for the first to commit, then its next statement sees the first's write: exactly SQLite's outcome, without
SERIALIZABLE's aborted transactions to retry. Retention locks a result's buttons before its job, in a
click's order, so a click on a result being deleted waits or is waited for, and never deadlocks. A
bookmark saved while retention waits for its job's row is read again once the row is held, so the job
stays; a bookmark of a job retention already deleted fails, as on SQLite.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.database import Database, Row

# A quoted literal (kept as it is), `IS ?`, or a `?`.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\bIS\s+\?|\?", re.IGNORECASE)


@lru_cache(maxsize=1024)
def to_postgresql(sql: str) -> str:
    """SQLite's spelling to PostgreSQL's: `?` → `$1, $2 …`; `x IS ?` → `x IS NOT DISTINCT FROM $n`."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group(0)
        if token.startswith("'"):
            return token
        count += 1
        return f"${count}" if token == "?" else f"IS NOT DISTINCT FROM ${count}"

    return _TOKEN.sub(replace, sql)


def _changed(status: str) -> int:
    """The row count in a command tag ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgreSQL(Database):
    dialect = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record]) -> None:
        self._pool = pool
        self._bound: dict[asyncio.Task[Any], PoolConnectionProxy[asyncpg.Record]] = {}

    @classmethod
    async def connect(cls, url: str, *, max_size: int = 10) -> PostgreSQL:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=max_size)
        return cls(pool)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[PoolConnectionProxy[asyncpg.Record]]:
        task = asyncio.current_task()
        bound = self._bound.get(task) if task is not None else None
        if bound is not None:
            yield bound
            return
        async with self._pool.acquire() as connection:
            yield connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._connection() as connection:
            return _changed(await connection.execute(to_postgresql(sql), *params))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._connection() as connection:
            await connection.executemany(to_postgresql(sql), rows)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._connection() as connection:
            row: Row | None = await connection.fetchrow(to_postgresql(sql), *params)
            return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as connection:
            return list(await connection.fetch(to_postgresql(sql), *params))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a transaction needs a task")
        if task in self._bound:
            yield
            return
        async with self._pool.acquire() as connection, connection.transaction():
            self._bound[task] = connection
            try:
                yield
            finally:
                del self._bound[task]

    async def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on `key` (hashed to 64 bits: a collision only makes two
        unrelated transactions wait for each other)."""
        task = asyncio.current_task()
        if task is None or task not in self._bound:
            raise RuntimeError("lock() outside a transaction would be released at once")
        await self._bound[task].execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)

    def day(self, column: str) -> str:
        return f"to_char(to_timestamp({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

    async def schema_version(self) -> int:
        # Inside the migration's transaction, after its lock: concurrent starts never race to create it.
        await self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = await self.fetch_one("SELECT version FROM schema_version")
        return int(row[0]) if row else 0

    async def set_schema_version(self, version: int) -> None:
        if await self.execute("UPDATE schema_version SET version = ?", (version,)) == 0:
            await self.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    async def run_script(self, script: str) -> None:
        async with self._connection() as connection:
            await connection.execute(script)  # no parameters: the simple protocol runs them all

    async def close(self) -> None:
        await self._pool.close()
