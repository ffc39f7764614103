"""The Vary (Region) job, however its region was chosen (a preset in Discord, or painted in the editor).

The job is a click on `MJ::Inpaint::1::<hash>::SOLO` with its prompt and mask given in advance: the
submitter sends the click (trueai answers code 21, a window; new-api keeps 21 for INPAINT and charges
nothing for it, relay/relay-mj.go), then `/mj/submit/modal` with the prompt and `maskBase64`
(trueai SubmitModalDTO), and the result shows in the channel like any click's.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.delivery.results import MAX_IMAGE_BYTES
from bot.models import JobInputs, NewJob
from bot.region.masks import image_size
from bot.views import result_view

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job, Mode, StoredButton
    from bot.region.links import RegionTicket
    from bot.storage import ClaimResult, Quota

log = logging.getLogger(__name__)


async def source_size(bot: MJBot, source: Job) -> tuple[int, int]:
    """The real size of the upscale's image, read from the image the API serves (through the relay's
    image route, like a delivery): the bot stores no size, and the copy posted in Discord may have been
    downscaled to fit the upload limit. Raises MJError when the API cannot give it now."""
    data, _ = await bot.mj.download_image(source.task_id or "", max_bytes=MAX_IMAGE_BYTES)
    return await asyncio.to_thread(image_size, data)


async def start_region_job(
    bot: MJBot,
    ticket: RegionTicket,
    button: StoredButton,
    source: Job,
    *,
    prompt: str,
    mode: Mode | None,
    quota: Quota | None,
    mask: str,
    nonce: str | None = None,
) -> ClaimResult:
    """Claim the button with this prompt and mask, once (raises AdmissionLost, RegionLinkSpent).

    With an editor link's `nonce`, the link is spent in the claim's own transaction.
    """
    new = NewJob(
        user_id=ticket.user_id,
        guild_id=ticket.guild_id,
        channel_id=ticket.channel_id,
        prompt=source.prompt,
        action=button.label,  # MJ's own label; the title is worded when shown
        mode=mode,
        bot_type=source.bot_type,
        parent_job_id=source.id,
        parent_task_id=source.task_id,
        custom_id=button.custom_id,
        reply_to_message_id=ticket.message_id,
        upload_limit=ticket.upload_limit,
        locale=ticket.locale,
        dm=ticket.dm,
        modal_prompt=prompt,
        inputs=JobInputs(mask=mask),
    )
    if nonce is None:
        claimed = await bot.engine.claim_button(button.id, new, quota)
    else:
        claimed = await bot.store.claim_with_region_link(nonce, new, quota)
        if claimed.created:
            bot.engine.enqueue(claimed.job)
    if claimed.created:
        await _mark_used(bot, ticket, source)
    return claimed


async def _mark_used(bot: MJBot, ticket: RegionTicket, source: Job) -> None:
    """Turn the upscale's Vary (Region) button green, as a click's answer does for other buttons.

    The choice was answered on another message (the private list, a window, the editor), so the upscale's
    message is edited with the bot token; the job has started whether or not this edit lands.
    """
    if ticket.message_id is None:
        return
    buttons = await bot.store.buttons_for_job(source.id)
    channel = bot.get_partial_messageable(ticket.channel_id, guild_id=None if ticket.dm else ticket.guild_id)
    try:
        await channel.get_partial_message(ticket.message_id).edit(view=result_view(source, buttons))
    except discord.HTTPException as err:
        log.warning("Could not mark Vary (Region) used on message %s: %s", ticket.message_id, err)
