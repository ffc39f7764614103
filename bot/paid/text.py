"""/describe and /shorten, and the buttons under their results: each passes the gate /imagine passes.

A result's 1️⃣–4️⃣ (describe) and candidate buttons (shorten) are an /imagine of that prompt; describe's
🔄 describes the same image again from the original job's stored inputs. new-api refuses these buttons
as unknown_action (bot/mj/buttons.py), so the bot runs them through the submit routes instead.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord

from bot.mj.prompt_lines import prompt_for
from bot.models import JobInputs, NewJob, SubmitRoute
from bot.paid.by_dm import start_in_dm
from bot.paid.deferred import Deferred, answer_with_job
from bot.paid.gate import Place, admit_paid
from bot.paid.imagine import effective_defaults, start_imagine
from bot.policy import Refusal
from bot.prompt_params import PromptParams
from bot.replies import refuse, tell

_LINK = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)


def is_web_link(text: str) -> bool:
    """A link trueai's describe takes (SubmitController.Describe: ^https?://.+)."""
    return bool(_LINK.match(text))


if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job, StoredButton

    Interaction = discord.Interaction[MJBot]


async def start_describe(
    interaction: Interaction,
    source: JobInputs | discord.Attachment,
    label: str,
    *,
    origin: Job | None = None,
) -> None:
    """Admit and start a describe of `source` (inputs with an image's data URL or a link, or an attachment
    read once the submit is admitted); `label` names it."""
    await _start(interaction, SubmitRoute.DESCRIBE, label, inputs=source, origin=origin)


async def start_shorten(interaction: Interaction, prompt: str) -> None:
    await _start(interaction, SubmitRoute.SHORTEN, prompt)


async def describe_again(interaction: Interaction, source: Job) -> None:
    """🔄 under a describe: the same image (or link) described again, as a new paid job."""
    inputs = await interaction.client.store.get_inputs(source.id)
    if inputs is None or not (inputs.images or inputs.link):
        await tell(interaction, "text.line_gone")
        return
    await start_describe(interaction, inputs, source.prompt, origin=source)


async def imagine_line(interaction: Interaction, source: Job, button: StoredButton) -> None:
    """One of a describe's or shorten's prompts, imagined (its number emoji stripped)."""
    text = await interaction.client.store.get_result_text(source.id)
    prompt = prompt_for(button.custom_id, source.action, text) if text else None
    if prompt is None:
        await tell(interaction, "text.line_gone")
        return
    # In a DM the rules are those of the server the result came from, as for any click there.
    origin = source if interaction.guild_id is None else None
    await start_imagine(interaction, prompt, PromptParams(), bot_type=source.bot_type, origin=origin)


async def _start(
    interaction: Interaction,
    route: SubmitRoute,
    prompt: str,
    *,
    inputs: JobInputs | discord.Attachment | None = None,
    origin: Job | None = None,
) -> None:
    bot = interaction.client
    if interaction.channel_id is None:
        raise RuntimeError(f"a {route.value.lower()} without a channel")
    place = Place.of(interaction, origin.guild_id if origin else None)
    defaults = await effective_defaults(bot, interaction.user.id, interaction.channel_id)
    try:
        admission = await admit_paid(interaction, place, mode=defaults.mode, explicit_mode=False)
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    by_dm = bool(defaults.dm) and origin is None and not place.dm
    deferred: Deferred | None = None
    if isinstance(inputs, discord.Attachment):
        deferred = Deferred(interaction, private=by_dm)  # reading it may outlast Discord's 3 s
        await deferred.start()
        images = await deferred.read_images([inputs])
        if images is None:
            return
        inputs = JobInputs(images=images)
    new = NewJob(
        user_id=interaction.user.id,
        guild_id=place.guild_id,
        channel_id=interaction.channel_id,
        prompt=prompt,
        action=route.value,
        mode=admission.mode,
        bot_type=(origin.bot_type if origin else None) or defaults.bot_type,
        reply_to_message_id=interaction.message.id if origin and interaction.message else None,
        upload_limit=interaction.filesize_limit,
        locale=str(interaction.locale),
        dm=place.dm,
        inputs=inputs,
    )
    if by_dm:
        await start_in_dm(interaction, [new], admission)
        return
    if deferred is not None:
        await deferred.post(new, admission)
        return
    await answer_with_job(interaction, new, admission)
