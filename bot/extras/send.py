"""✉️: a result, with its live buttons, sent to the clicker by direct message.

A click in that DM follows the rules of the job's server (bot/paid/gate.py Place)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot import render
from bot.delivery.results import ResultImage
from bot.images import DEFAULT_UPLOAD_LIMIT, ImageDoesNotFit
from bot.mj.errors import MJError
from bot.replies import tell
from bot.views import result_view

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job


async def send_to_me(interaction: discord.Interaction[MJBot], job: Job) -> None:
    if job.task_id is None:
        raise ValueError("a delivered job has a task")
    bot = interaction.client
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        image = await ResultImage.download(bot.mj, job.task_id)
        file = await image.file(DEFAULT_UPLOAD_LIMIT)  # a DM takes 10 MiB, whatever the server's boost
    except (MJError, ImageDoesNotFit):
        await tell(interaction, "extras.image_gone", job=job.id)
        return
    view = result_view(job, await bot.store.buttons_for_job(job.id)) or discord.utils.MISSING
    try:
        dm = await interaction.user.create_dm()
        sent = await dm.send(
            render.job_content(job), file=file, view=view, allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException:  # 50007: the user accepts no DM from the bot
        await tell(interaction, "extras.dm_closed")
        return
    await tell(interaction, "extras.sent", job=job.id, link=sent.jump_url)
