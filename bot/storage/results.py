"""A text result (a /describe's prompts, a /shorten's analysis), kept so its buttons work after a restart."""

from __future__ import annotations

from bot.storage.base import StoreBase


class ResultQueries(StoreBase):
    async def set_result_text(self, job_id: int, text: str) -> None:
        """The API's text of a job's result, as it came (written again when a delivery is retried)."""
        await self._write(
            "INSERT INTO job_results (job_id, text) VALUES (?, ?)"
            " ON CONFLICT (job_id) DO UPDATE SET text = excluded.text",
            (job_id, text),
        )

    async def get_result_text(self, job_id: int) -> str | None:
        row = await self._db.fetch_one("SELECT text FROM job_results WHERE job_id = ?", (job_id,))
        return str(row[0]) if row else None
