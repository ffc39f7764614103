"""Read-only questions about jobs: usage for quotas, a user's history, a guild's statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import UNCHARGED, UNFINISHED, Job, JobStatus
from bot.storage.base import StoreBase
from bot.storage.rows import JOB_COLUMNS, dt


def _marks(values: tuple[object, ...]) -> str:
    return ",".join("?" * len(values))


@dataclass(frozen=True, slots=True)
class GuildStats:
    """A guild's jobs since a moment: totals, top users, per day, per mode, per final state."""

    total: int
    failed: int
    by_user: list[tuple[int, int]]
    by_day: list[tuple[str, int]]
    by_mode: list[tuple[str, int]]
    by_status: list[tuple[str, int]]


class ReportQueries(StoreBase):
    async def _scalar(self, sql: str, params: tuple[object, ...]) -> object:
        row = await self._db.fetch_one(sql, params)
        return row[0] if row else None

    async def _count(self, sql: str, params: tuple[object, ...]) -> int:
        value = await self._scalar(sql, params)
        return value if isinstance(value, int) else 0

    async def _pairs(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, int]]:
        return [(row[0], int(row[1])) for row in await self._db.fetch_all(sql, params)]

    async def charged_since(self, user_id: int, guild_id: int | None, since: datetime) -> int:
        """Jobs a user started in a guild since `since` that count towards a quota (failures are refunded)."""
        return await self._count(
            "SELECT COUNT(*) FROM jobs WHERE user_id = ? AND guild_id IS ? AND created_at >= ?"
            f" AND status NOT IN ({_marks(UNCHARGED)})",
            (user_id, guild_id, since.timestamp(), *UNCHARGED),
        )

    async def last_submit(self, user_id: int, guild_id: int | None) -> datetime | None:
        value = await self._scalar(
            "SELECT MAX(created_at) FROM jobs WHERE user_id = ? AND guild_id IS ? AND status != ?",
            (user_id, guild_id, JobStatus.CANCELLED),
        )
        return dt(value) if isinstance(value, float | int) else None

    async def user_jobs(self, user_id: int, *, limit: int, offset: int = 0) -> list[Job]:
        return await self._fetch_jobs(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )

    async def count_user_jobs(self, user_id: int) -> int:
        return await self._count("SELECT COUNT(*) FROM jobs WHERE user_id = ?", (user_id,))

    async def unfinished_jobs(self, user_id: int) -> list[Job]:
        """A user's jobs that are waiting, running or being delivered, oldest first."""
        return await self._fetch_jobs(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = ? AND status IN ({_marks(UNFINISHED)}) ORDER BY id",
            (user_id, *UNFINISHED),
        )

    async def count_by_status(self) -> dict[str, int]:
        """Every job in the database, counted by status."""
        rows = await self._db.fetch_all("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        return {str(row[0]): int(row[1]) for row in rows}

    async def guild_stats(self, guild_id: int, since: datetime) -> GuildStats:
        where = "FROM jobs WHERE guild_id = ? AND created_at >= ?"
        params: tuple[object, ...] = (guild_id, since.timestamp())
        total = await self._count(f"SELECT COUNT(*) {where}", params)
        failed = await self._count(
            f"SELECT COUNT(*) {where} AND status IN (?, ?)", (*params, JobStatus.FAILED, JobStatus.REJECTED)
        )
        by_user = await self._pairs(
            f"SELECT user_id, COUNT(*) AS n {where} GROUP BY user_id ORDER BY n DESC, user_id LIMIT 10",
            params,
        )
        by_day = await self._pairs(
            f"SELECT {self._db.day('created_at')} AS day, COUNT(*) {where} GROUP BY day ORDER BY day", params
        )
        by_mode = await self._pairs(
            f"SELECT COALESCE(mode, 'DEFAULT') AS m, COUNT(*) AS n {where} GROUP BY m ORDER BY n DESC", params
        )
        by_status = await self._pairs(
            f"SELECT status, COUNT(*) AS n {where} GROUP BY status ORDER BY n DESC", params
        )
        return GuildStats(
            total=total,
            failed=failed,
            by_user=[(u, n) for u, n in by_user if isinstance(u, int)],
            by_day=[(str(d), n) for d, n in by_day],
            by_mode=[(str(m), n) for m, n in by_mode],
            by_status=[(str(s), n) for s, n in by_status],
        )
