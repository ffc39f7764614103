"""Results users saved with ❤️: one row per (user, job). Retention keeps a saved job (jobs.prune_finished)."""

from __future__ import annotations

from bot.models import Job
from bot.storage.base import StoreBase
from bot.storage.rows import JOB_COLUMNS, now


class BookmarkQueries(StoreBase):
    async def toggle_bookmark(self, user_id: int, job_id: int) -> bool:
        """Save the job for the user, or remove it when it was saved; answers True when it is saved now."""
        async with self._transaction():
            # Two toggles of the same (user, job) at once take turns: the second sees the first one's row.
            await self._db.lock(f"bookmark:{user_id}:{job_id}")
            if await self._db.execute(
                "DELETE FROM bookmarks WHERE user_id = ? AND job_id = ?", (user_id, job_id)
            ):
                return False
            await self._db.execute(
                "INSERT INTO bookmarks (user_id, job_id, created_at) VALUES (?, ?, ?)",
                (user_id, job_id, now()),
            )
        return True

    async def is_bookmarked(self, user_id: int, job_id: int) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM bookmarks WHERE user_id = ? AND job_id = ?", (user_id, job_id)
        )
        return row is not None

    async def count_bookmarks(self, user_id: int) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM bookmarks WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    async def bookmarked_jobs(self, user_id: int, *, limit: int, offset: int = 0) -> list[Job]:
        """The user's saved jobs, the newest bookmark first."""
        columns = ", ".join(f"jobs.{c.strip()}" for c in JOB_COLUMNS.split(","))
        return await self._fetch_jobs(
            f"SELECT {columns} FROM bookmarks JOIN jobs ON jobs.id = bookmarks.job_id"
            " WHERE bookmarks.user_id = ? ORDER BY bookmarks.created_at DESC, bookmarks.job_id DESC"
            " LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
