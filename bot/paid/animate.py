"""Animate (High/Low motion) under an upscale, and Extend under a video: paid clicks that become
POST /mj/submit/video jobs (the relay refuses them through /submit/action).

Both pass the same gate as /imagine, before anything is asked of the API; the clicked button is claimed
with the job, once, so a second click points at the first one's job.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import TYPE_CHECKING

import discord

from bot.delivery.results import MAX_IMAGE_BYTES
from bot.images import ImageDoesNotFit, fit_to_limit
from bot.mj.errors import MJError
from bot.mj.video import extend_index, motion_of, video_prompt
from bot.models import JobInputs, SubmitRoute
from bot.paid.clicks import claim_job, click_job, tell_already
from bot.paid.gate import Place, admit_paid
from bot.policy import Refusal
from bot.replies import refuse, tell

if TYPE_CHECKING:
    from bot.admission import Admission
    from bot.app import MJBot
    from bot.models import Job, StoredButton

    Interaction = discord.Interaction[MJBot]

log = logging.getLogger(__name__)

# The start frame goes as a data URL: trueai (SubmitController.Video, DataUrl.Parse) uploads it to the
# account's own Discord channel or partner storage and animates that link (TaskService.SubmitVideo), and
# new-api passes the body through. A link would have to be fetchable by MJ itself: the relay's
# /mj/image/{id} may sit on a private network, and an upscale's Discord link expires after a day; an
# upload-discord-images round trip is a second paid call. An upscale is re-encoded under this size.
START_FRAME_LIMIT = 4 * 1024 * 1024


async def animate(interaction: Interaction, source: Job, button: StoredButton) -> None:
    """Animate (High/Low motion): the upscale's image and prompt, as a new video job."""
    motion = motion_of(button.custom_id)
    if motion is None or source.task_id is None:
        await tell(interaction, "click.unknown_button")
        return
    admission = await _admit(interaction, source)
    if admission is None:
        return
    used = await interaction.client.store.get_job(button.used_by_job_id) if button.used_by_job_id else None
    if used is not None:  # told before the image is fetched for nothing
        await tell_already(interaction, used)
        return
    await interaction.response.defer()  # the image is fetched first; that can take longer than 3 s
    try:
        frame = await start_frame(interaction.client, source.task_id)
    except (MJError, ImageDoesNotFit) as err:
        log.warning("No start frame for an animate of job %s: %s", source.id, err)
        await tell(interaction, "video.no_start_frame")
        return
    inputs = JobInputs(images=(frame,), motion=motion)
    await _claim(
        interaction, source, button, admission=admission, prompt=video_prompt(source.prompt), inputs=inputs
    )


async def extend(interaction: Interaction, source: Job, button: StoredButton) -> None:
    """Extend (High/Low motion) one video of a video job's task (/submit/video, action extend)."""
    motion, index = motion_of(button.custom_id), extend_index(button.custom_id)
    if motion is None or index is None or source.task_id is None:
        await tell(interaction, "click.unknown_button")
        return
    admission = await _admit(interaction, source)
    if admission is None:
        return
    inputs = JobInputs(motion=motion, index=index)
    await _claim(interaction, source, button, admission=admission, prompt=source.prompt, inputs=inputs)


async def start_frame(bot: MJBot, task_id: str) -> str:
    """The task's image as a data URL under START_FRAME_LIMIT (raises MJError, ImageDoesNotFit)."""
    data, content_type = await bot.mj.download_image(task_id, max_bytes=MAX_IMAGE_BYTES)
    fitted = await asyncio.to_thread(fit_to_limit, data, START_FRAME_LIMIT, content_type)
    mime = {"jpg": "image/jpeg", "webp": "image/webp"}.get(fitted.filename_ext, "image/png")
    return f"data:{mime};base64,{base64.b64encode(fitted.data).decode()}"


async def _admit(interaction: Interaction, source: Job) -> Admission | None:
    place = Place.of(interaction, source.guild_id)
    try:
        return await admit_paid(interaction, place, mode=source.mode, explicit_mode=False)
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return None


async def _claim(
    interaction: Interaction,
    source: Job,
    button: StoredButton,
    *,
    admission: Admission,
    prompt: str,
    inputs: JobInputs,
) -> None:
    """A video job for this click: its own route, prompt and inputs; claimed like any click."""
    place = Place.of(interaction, source.guild_id)
    new = click_job(
        interaction, source, button, place, admission,
        prompt=prompt, action=SubmitRoute.VIDEO, custom_id=None, inputs=inputs,
    )  # fmt: skip
    await claim_job(interaction, source, button, new, admission)
