"""/blend: 2–5 images into one grid (trueai SubmitBlendDTO: base64Array, dimensions), admitted like an
/imagine and delivered like one: in the channel, or by DM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.models import BotType, JobInputs, Mode, NewJob, SubmitRoute
from bot.paid.by_dm import start_in_dm
from bot.paid.deferred import Deferred
from bot.paid.gate import Place, admit_paid
from bot.paid.imagine import effective_defaults
from bot.policy import Refusal
from bot.replies import refuse

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]

# trueai BlendDimensions: PORTRAIT(2:3), SQUARE(1:1), LANDSCAPE(3:2)
DIMENSIONS = {"PORTRAIT": "2:3", "SQUARE": "1:1", "LANDSCAPE": "3:2"}


def blend_prompt(images: int, dimensions: str) -> str:
    """What a blend's message shows for its prompt: one 🖼️ per image and its shape (no words to translate)."""
    return f"{'🖼️' * images} --ar {DIMENSIONS[dimensions]}"


async def start_blend(
    interaction: Interaction,
    attachments: Sequence[discord.Attachment],
    dimensions: str,
    *,
    mode: Mode | None,
    bot_type: BotType | None,
) -> None:
    """Admit, read the images, then write, post and queue one BLEND job."""
    bot = interaction.client
    if interaction.channel_id is None:
        raise RuntimeError("a /blend without a channel")
    if dimensions not in DIMENSIONS or not 2 <= len(attachments) <= 5:
        raise ValueError("a blend takes 2–5 images and PORTRAIT, SQUARE or LANDSCAPE")
    place = Place.of(interaction, None)
    defaults = await effective_defaults(bot, interaction.user.id, interaction.channel_id)
    try:
        admission = await admit_paid(
            interaction, place, mode=mode or defaults.mode, explicit_mode=mode is not None
        )
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    deferred = Deferred(interaction, private=bool(defaults.dm))
    await deferred.start()
    images = await deferred.read_images(attachments)
    if images is None:
        return
    new = NewJob(
        user_id=interaction.user.id,
        guild_id=place.guild_id,
        channel_id=interaction.channel_id,
        prompt=blend_prompt(len(images), dimensions),
        action=SubmitRoute.BLEND,
        mode=admission.mode,
        bot_type=bot_type or defaults.bot_type,
        upload_limit=interaction.filesize_limit,
        locale=str(interaction.locale),
        dm=place.dm,
        inputs=JobInputs(images=images, dimensions=dimensions),
    )
    if defaults.dm:
        await start_in_dm(interaction, [new], admission)
    else:
        await deferred.post(new, admission)
