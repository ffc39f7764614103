"""The store: opening a database, migrations and small facts; the query groups it is made of hold the rest
(jobs.py, leases.py, buttons.py, reports.py, preferences.py, pending.py, region_links.py, bookmarks.py, results.py).
SQLite by default; PostgreSQL for a `postgresql://` URL (database.py tells how both sit behind one
interface)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import aiosqlite

from bot.storage.bookmarks import BookmarkQueries
from bot.storage.database import SQLite
from bot.storage.leases import LeaseQueries
from bot.storage.migrations import MIGRATIONS, Migration
from bot.storage.migrations_pg import POSTGRESQL_MIGRATIONS
from bot.storage.pending import PendingQueries
from bot.storage.postgresql import PostgreSQL
from bot.storage.preferences import PreferenceQueries
from bot.storage.region_links import RegionLinkQueries
from bot.storage.reports import ReportQueries
from bot.storage.results import ResultQueries
from bot.storage.types import Lease

log = logging.getLogger(__name__)


class Store(
    RegionLinkQueries,
    LeaseQueries,
    ReportQueries,
    PreferenceQueries,
    PendingQueries,
    BookmarkQueries,
    ResultQueries,
):
    """The bot's database. `await Store.open(path)` for SQLite (`:memory:` works for tests),
    `await Store.open_postgresql(url)` for PostgreSQL, or `open_store(url, path)` for whichever is set."""

    @classmethod
    async def open(cls, path: str | Path, lease: Lease | None = None) -> Store:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        await connection.execute("PRAGMA busy_timeout=5000")
        await _use_wal(connection)
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        store = cls(SQLite(connection), lease)
        await store._migrate(MIGRATIONS)
        return store

    @classmethod
    async def open_postgresql(cls, url: str, lease: Lease | None = None) -> Store:
        store = cls(await PostgreSQL.connect(url), lease)
        try:
            await store._migrate(POSTGRESQL_MIGRATIONS)
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self, migrations: tuple[Migration, ...]) -> None:
        """One transaction per migration; a process starting beside another waits for its migrations."""
        while True:
            async with self._transaction():
                await self._db.lock("migrations")
                version = await self._db.schema_version()
                if version >= len(migrations):
                    return
                number = version + 1
                log.info("Applying database migration %d", number)
                migration = migrations[version]
                script, step = migration if isinstance(migration, tuple) else (migration, None)
                await self._db.run_script(script)
                if step is not None:
                    await step(self._db)
                await self._db.set_schema_version(number)

    # -- small facts --------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        row = await self._db.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def meta_once(self, key: str, value: str) -> str:
        """The value stored at `key`; `value` if there was none. Processes racing for it all get the first."""
        await self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING", (key, value)
        )
        stored = await self.get_meta(key)
        return value if stored is None else stored

    async def set_meta(self, key: str, value: str) -> None:
        await self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


async def _use_wal(connection: aiosqlite.Connection, tries: int = 50) -> None:
    """WAL mode. Switching a new file to it needs the file to itself, and SQLite answers "locked" at once
    (no busy wait) while another process opening it at that moment holds it: then try again shortly."""
    for attempt in range(tries):
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == tries - 1:
                raise
            await asyncio.sleep(0.1)


async def open_store(
    database_url: str | None, database_path: str | Path, lease: Lease | None = None
) -> Store:
    """PostgreSQL when a URL is set, else SQLite at `database_path` (the default: one process)."""
    if database_url:
        return await Store.open_postgresql(database_url, lease)
    return await Store.open(database_path, lease)
