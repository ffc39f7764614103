"""Buttons under delivered results, and the one-shot claim a click makes on one."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import NewJob, StoredButton
from bot.storage.jobs import JobQueries
from bot.storage.rows import button_from_row
from bot.storage.types import ButtonSpec, ClaimResult, Quota


class ButtonQueries(JobQueries):
    async def save_buttons(self, job_id: int, specs: Sequence[ButtonSpec]) -> list[StoredButton]:
        """Store a delivered job's buttons once; a second delivery of the same job reuses them."""
        async with self._transaction():
            await self._db.executemany(
                "INSERT OR IGNORE INTO buttons (job_id, position, custom_id, label, emoji) VALUES (?,?,?,?,?)",
                [(job_id, i, s.custom_id, s.label, s.emoji) for i, s in enumerate(specs)],
            )
        return await self.buttons_for_job(job_id)

    async def buttons_for_job(self, job_id: int) -> list[StoredButton]:
        async with self._db.execute(
            "SELECT * FROM buttons WHERE job_id = ? ORDER BY position", (job_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [button_from_row(row) for row in rows]

    async def get_button(self, button_id: int) -> StoredButton | None:
        async with self._db.execute("SELECT * FROM buttons WHERE id = ?", (button_id,)) as cursor:
            row = await cursor.fetchone()
        return button_from_row(row) if row else None

    async def claim_button(self, button_id: int, new: NewJob, quota: Quota | None = None) -> ClaimResult:
        """Create the job a click asks for, once: a second click gets the first click's job."""
        async with self._transaction():
            async with self._db.execute(
                "SELECT used_by_job_id FROM buttons WHERE id = ?", (button_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise LookupError(f"button {button_id} is unknown")
            if row[0] is not None:
                return ClaimResult(await self.require_job(row[0]), created=False)
            await self._check_quota(new.user_id, new.guild_id, quota)
            job = await self._insert_job(new)
            await self._db.execute("UPDATE buttons SET used_by_job_id = ? WHERE id = ?", (job.id, button_id))
        return ClaimResult(job, created=True)
