"""Who may use a result's free buttons: as for its paid ones (the owner, or anyone where the server
allows it, by the rules of the job's server in a DM), and only once the result is delivered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.models import Job, JobStatus
from bot.paid.clicks import anyone_may_click, job_for
from bot.replies import tell

if TYPE_CHECKING:
    import discord

    from bot.app import MJBot


async def delivered_result(interaction: discord.Interaction[MJBot], job_id: int) -> Job | None:
    """The job, when this user may use its buttons and it has a finished result; else explain, None."""
    job = await job_for(interaction, job_id, anyone=await anyone_may_click(interaction, job_id))
    if job is None:
        return None
    if job.status is not JobStatus.DONE or job.task_id is None:
        await tell(interaction, "extras.not_done", job=job.id)
        return None
    return job
