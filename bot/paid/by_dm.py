"""Results by direct message: a job (or a permutation's jobs) posted to the user's DMs first, then queued."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.admission import Admission
from bot.i18n import t
from bot.models import Job, NewJob, ReasonCode
from bot.replies import answer_privately, refuse, tell
from bot.storage import AdmissionLost

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


async def start_in_dm(
    interaction: Interaction, news: list[NewJob], admission: Admission, *, note: str | None = None
) -> None:
    """Results by direct message: the jobs live in the user's DM channel; the channel gets a private note.

    Their first messages are posted before they are queued, so closed DMs refuse them before anything is paid.
    """
    bot = interaction.client
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        dm = await interaction.user.create_dm()
    except discord.HTTPException:
        await tell(interaction, "imagine.dm_closed")
        return
    try:
        jobs = await bot.engine.create_jobs(
            [replace(n, channel_id=dm.id, dm=True) for n in news], admission.quota
        )
    except AdmissionLost as lost:
        await refuse(interaction, admission.refusal(lost))
        return
    posted: list[Job] = []
    for job in jobs:
        content = render.job_content(job)
        try:  # before the submit: closed DMs cost nothing
            message = await dm.send(content)
        except discord.HTTPException:
            for unsent in jobs[len(posted) :]:
                await bot.engine.cancel(unsent, ReasonCode.DM_CLOSED)
            if not posted:
                await tell(interaction, "imagine.dm_closed")
                return
            break
        posted.append(await bot.engine.message_posted(job, message.id, content))
    for job in posted:
        bot.engine.enqueue(job)
    started = ", ".join(f"#{job.id}" for job in posted)
    text = t(interaction.locale, "imagine.dm_started", jobs=started)
    await answer_privately(interaction, f"{text}\n{note}" if note else text)
