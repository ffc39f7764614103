"""What a submit sends besides its prompt (JobInputs): one JSON document per job, typed at this edge."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from bot.models import JobInputs
from bot.storage.base import StoreBase


def inputs_to_json(inputs: JobInputs) -> str:
    return json.dumps(asdict(inputs))


def inputs_from_data(data: dict[str, Any]) -> JobInputs:
    return JobInputs(
        images=tuple(str(image) for image in data.get("images") or ()),
        link=data.get("link"),
        dimensions=data.get("dimensions"),
        motion=data.get("motion"),
        mask=data.get("mask"),
        index=data.get("index"),
    )


class InputQueries(StoreBase):
    async def _insert_inputs(self, job_id: int, inputs: JobInputs | None) -> None:
        """Inside the job's own insert transaction."""
        if inputs is not None:
            await self._db.execute(
                "INSERT INTO job_inputs (job_id, data) VALUES (?, ?)", (job_id, inputs_to_json(inputs))
            )

    async def get_inputs(self, job_id: int) -> JobInputs | None:
        row = await self._db.fetch_one("SELECT data FROM job_inputs WHERE job_id = ?", (job_id,))
        return inputs_from_data(json.loads(row[0])) if row else None

    async def set_inputs(self, job_id: int, inputs: JobInputs) -> None:
        """Replace a job's inputs (a Vary (Region) mask drawn after the click was admitted)."""
        await self._write(
            "INSERT INTO job_inputs (job_id, data) VALUES (?, ?)"
            " ON CONFLICT (job_id) DO UPDATE SET data = excluded.data",
            (job_id, inputs_to_json(inputs)),
        )
