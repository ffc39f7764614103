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
            await self._db.execute_many(
                "INSERT INTO buttons (job_id, position, custom_id, label, emoji) VALUES (?,?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                [(job_id, i, s.custom_id, s.label, s.emoji) for i, s in enumerate(specs)],
            )
        return await self.buttons_for_job(job_id)

    async def buttons_for_job(self, job_id: int) -> list[StoredButton]:
        rows = await self._db.fetch_all("SELECT * FROM buttons WHERE job_id = ? ORDER BY position", (job_id,))
        return [button_from_row(row) for row in rows]

    async def get_button(self, button_id: int) -> StoredButton | None:
        row = await self._db.fetch_one("SELECT * FROM buttons WHERE id = ?", (button_id,))
        return button_from_row(row) if row else None

    async def claim_button(self, button_id: int, new: NewJob, quota: Quota | None = None) -> ClaimResult:
        """Create the job a click asks for, once: a second click gets the first click's job."""
        async with self._transaction():
            # A second click waits here for the first one's transaction, then reads its job id.
            row = await self._db.fetch_one(
                f"SELECT used_by_job_id FROM buttons WHERE id = ?{self._db.for_update}", (button_id,)
            )
            if row is None:
                raise LookupError(f"button {button_id} is unknown")
            if row[0] is not None:
                return ClaimResult(await self.require_job(row[0]), created=False)
            await self._check_quota(new.user_id, new.guild_id, quota)
            job = await self._insert_job(new)
            await self._db.execute("UPDATE buttons SET used_by_job_id = ? WHERE id = ?", (job.id, button_id))
        return ClaimResult(job, created=True)
