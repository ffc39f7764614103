"""A click on a result's button (U1, V3, 🔄, Zoom Out …), Check again and Retry.

Who may click is the server's choice (the job's owner, or anyone); what a click may spend is decided by
the gate, for the place where the click happens.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot import render
from bot.admission import Admission
from bot.extras.buttons import page_buttons_of
from bot.models import JobStatus, Mode, NewJob
from bot.paid.gate import Place, admit_paid
from bot.policy import Refusal
from bot.replies import jump_url, refuse, tell
from bot.storage import AdmissionLost
from bot.views import result_view

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job, StoredButton

    Interaction = discord.Interaction[MJBot]

OPENS_MODAL = ("MJ::CustomZoom::",)  # actions whose submit always asks for a prompt window


async def job_for(interaction: Interaction, job_id: int, *, anyone: bool = False) -> Job | None:
    """The job, when it exists and this user may use its buttons; otherwise explain and answer None."""
    job = await interaction.client.store.get_job(job_id)
    if job is None:
        await tell(interaction, "click.unknown_job")
        return None
    if job.user_id != interaction.user.id and not anyone:
        await tell(interaction, "click.not_owner", owner=job.user_id)
        return None
    return job


async def button_and_job(interaction: Interaction, button_id: int) -> tuple[StoredButton, Job] | None:
    """A stored MJ button and its job, when this user may use it (the server decides who may)."""
    bot = interaction.client
    button = await bot.store.get_button(button_id)
    if button is None:
        await tell(interaction, "click.unknown_button")
        return None
    source = await job_for(
        interaction, button.job_id, anyone=await anyone_may_click(interaction, button.job_id)
    )
    return (button, source) if source is not None else None


async def anyone_may_click(interaction: Interaction, job_id: int) -> bool:
    """Whether the rules of the click's place let anyone use this job's buttons (in a DM: its server's)."""
    job = await interaction.client.store.get_job(job_id)
    place = Place.of(interaction, job.guild_id if job else None)
    return interaction.client.policies.get(place.guild_id).anyone_clicks


async def claim(
    interaction: Interaction,
    source: Job,
    button: StoredButton,
    *,
    modal_prompt: str | None = None,
    typed_mode: str | None = None,
) -> None:
    """Start the job a click asks for, once, if the rules of the place where it happens allow it."""
    place = Place.of(interaction, source.guild_id)
    wanted = Mode(typed_mode) if typed_mode else source.mode
    try:
        admission = await admit_paid(interaction, place, mode=wanted, explicit_mode=typed_mode is not None)
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    new = click_job(interaction, source, button, place, admission, modal_prompt=modal_prompt)
    await claim_job(interaction, source, button, new, admission)


def click_job(
    interaction: Interaction,
    source: Job,
    button: StoredButton,
    place: Place,
    admission: Admission,
    **changes: Any,
) -> NewJob:
    """The job a click on one of `source`'s buttons starts, where the click happens; `changes` replace
    fields (an Animate sends another route, prompt and inputs)."""
    if interaction.channel_id is None:
        raise RuntimeError("a click without a channel")
    new = NewJob(
        user_id=interaction.user.id,
        guild_id=place.guild_id,
        channel_id=interaction.channel_id,
        prompt=source.prompt,
        action=button.label,  # MJ's own label; the title is worded when shown
        mode=admission.mode,
        bot_type=source.bot_type,
        parent_job_id=source.id,
        parent_task_id=source.task_id,
        custom_id=button.custom_id,
        reply_to_message_id=interaction.message.id if interaction.message else None,
        upload_limit=interaction.filesize_limit,
        locale=str(interaction.locale),
        dm=place.dm,
    )
    return replace(new, **changes)


async def claim_job(
    interaction: Interaction, source: Job, button: StoredButton, new: NewJob, admission: Admission
) -> None:
    """Claim the button for `new`, once: the used button turns green, or the clicker is told where the
    first click went."""
    bot = interaction.client
    try:
        claimed = await bot.engine.claim_button(button.id, new, admission.quota)
    except AdmissionLost as lost:
        await refuse(interaction, admission.refusal(lost))
        return
    if not claimed.created:
        await tell_already(interaction, claimed.job)
        return
    buttons = await bot.store.buttons_for_job(source.id)
    page_row = page_buttons_of(interaction.message)  # a /bookmarks page keeps its Previous/Next
    view = result_view(source, buttons, page_row=page_row)
    if interaction.response.is_done():  # deferred while an image was fetched (Animate)
        await interaction.edit_original_response(view=view)
    else:
        await interaction.response.edit_message(view=view)


async def tell_already(interaction: Interaction, job: Job) -> None:
    """The button was used before: where its job is, or that it has not started yet."""
    title = render.action_name(job, str(interaction.locale))
    if job.message_id:
        link = jump_url(None if job.dm else job.guild_id, job.channel_id, job.message_id)
        await tell(interaction, "click.already", title=title, link=link)
    else:
        await tell(interaction, "click.already_pending", title=title)


async def check_again(interaction: Interaction, job_id: int) -> None:
    if await job_for(interaction, job_id) is None:
        return
    if await interaction.client.engine.check_again(job_id):
        await tell(interaction, "click.checking")
    else:
        await tell(interaction, "click.not_running")


async def retry(interaction: Interaction, job_id: int) -> None:
    """Submit an UNCERTAIN job again: a second charge is possible, so it passes the gate like a new job."""
    job = await job_for(interaction, job_id)
    if job is None:
        return
    if job.status is not JobStatus.UNCERTAIN:
        await tell(interaction, "click.already_retried")
        return
    place = Place.of(interaction, job.guild_id)
    try:
        admission = await admit_paid(interaction, place, mode=job.mode, explicit_mode=False)
        retried = await interaction.client.engine.retry_uncertain(job_id, admission.mode, admission.quota)
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    except AdmissionLost as lost:
        await refuse(interaction, admission.refusal(lost))
        return
    if retried is None:
        await tell(interaction, "click.already_retried")
        return
    await interaction.response.defer()
