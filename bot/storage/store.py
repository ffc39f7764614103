"""The store: connection settings, migrations and small facts; the query groups it is made of hold the rest
(jobs.py, buttons.py, reports.py, preferences.py, pending.py, region_links.py, bookmarks.py)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import aiosqlite

from bot.storage.bookmarks import BookmarkQueries
from bot.storage.migrations import MIGRATIONS
from bot.storage.pending import PendingQueries
from bot.storage.preferences import PreferenceQueries
from bot.storage.region_links import RegionLinkQueries
from bot.storage.reports import ReportQueries
from bot.storage.results import ResultQueries

log = logging.getLogger(__name__)


class Store(
    RegionLinkQueries, ReportQueries, PreferenceQueries, PendingQueries, BookmarkQueries, ResultQueries
):
    """The bot's SQLite database. Open with `await Store.open(path)`; `:memory:` works for tests."""

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("Applying database migration %d", number)
            script, step = migration if isinstance(migration, tuple) else (migration, None)
            statements = [s for s in script.split(";") if s.strip()]
            async with self._transaction():
                for statement in statements:
                    await self._db.execute(statement)
                if step is not None:
                    await step(self._db)
                await self._db.execute(f"PRAGMA user_version={number}")

    # -- small facts --------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
