"""Starting an /imagine job (also an edited prompt sent again): prompt, gate, row, first message, queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.i18n import t
from bot.models import BotType, Defaults, Mode, NewJob, SubmitRoute
from bot.paid.attachments import GivenImages
from bot.paid.by_dm import start_in_dm
from bot.paid.deferred import answer_with_job
from bot.paid.gate import Place, admit_paid
from bot.paid.image_prompts import pending_references, start_with_images
from bot.paid.permutations import ask_to_confirm
from bot.policy import Refusal
from bot.prompt_params import Layer, ParsedPrompt, PromptError, PromptParams, build_prompt
from bot.replies import answer_privately, refuse

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job

    Interaction = discord.Interaction[MJBot]


async def saved_defaults(bot: MJBot, user_id: int, channel_id: int) -> tuple[Defaults, Defaults]:
    """The user's defaults and the channel's."""
    return await bot.store.get_defaults("user", user_id), await bot.store.get_defaults("channel", channel_id)


async def effective_defaults(bot: MJBot, user_id: int, channel_id: int) -> Defaults:
    """The user's defaults over the channel's."""
    user, channel = await saved_defaults(bot, user_id, channel_id)
    return user.over(channel)


def prompt_layers(user: Defaults, channel: Defaults) -> list[Layer]:
    """The saved prompt defaults, the user's before the channel's (a user's suffix replaces the channel's)."""
    return [
        Layer(user.suffix or "", PromptParams(aspect=user.aspect, version=user.version), user.mode),
        Layer(
            "" if user.suffix else channel.suffix or "",
            PromptParams(aspect=channel.aspect, version=channel.version),
            channel.mode,
        ),
    ]


def unchecked_note(interaction: Interaction, parsed: ParsedPrompt) -> str | None:
    """A short note that parameters the bot does not know were sent as typed, unchecked."""
    if not parsed.unchecked:
        return None
    flags = ", ".join(f"`{flag}`" for flag in parsed.unchecked)
    return t(interaction.locale, "prompt.unchecked_note", flags=flags)


async def start_imagine(
    interaction: Interaction,
    prompt: str,
    options: PromptParams,
    *,
    mode: Mode | None = None,
    bot_type: BotType | None = None,
    origin: Job | None = None,
    images: GivenImages | None = None,
) -> None:
    """Validate, admit and start an imagine job; used by /imagine and by "Edit prompt" resubmits.

    A resubmit of `origin` follows the rules of the place where it is sent (a DM: its server's), keeps
    its delivery (a DM stays a DM) and its image prompts, and its prompt already carries the defaults it
    was first sent with. `images`: attachments to read (image prompts, references) once admitted.
    """
    bot = interaction.client
    if interaction.channel_id is None:
        raise RuntimeError("an /imagine without a channel")
    place = Place.of(interaction, origin.guild_id if origin else None)
    user, channel = Defaults(), Defaults()
    if origin is None:
        user, channel = await saved_defaults(bot, interaction.user.id, interaction.channel_id)
    defaults = user.over(channel)
    images = images or GivenImages()
    carried = None  # a resubmitted /imagine keeps its image prompts
    if origin is not None and origin.action == SubmitRoute.IMAGINE:
        carried = await bot.store.get_inputs(origin.id)
    image_prompts = len(images.prompts) + len(carried.images if carried else ())
    try:
        vocabulary = bot.settings.vocabulary
        parsed = build_prompt(
            prompt,
            pending_references(options, images),
            layers=prompt_layers(user, channel),
            vocabulary=vocabulary,
            image_prompts=image_prompts,
        )
        typed_mode = parsed.mode if parsed.mode_typed else None
        if mode is not None and typed_mode is not None and typed_mode != mode.value:
            raise PromptError("prompt.mode_twice", flag=f"--{typed_mode.lower()}", mode=mode.lower())
    except PromptError as err:
        await answer_privately(interaction, err.message(interaction.locale))
        return
    wanted = mode or (Mode(parsed.mode) if parsed.mode else None)  # typed, else the saved defaults
    explicit = mode is not None or parsed.mode_typed
    try:
        admission = await admit_paid(
            interaction, place, mode=wanted, explicit_mode=explicit, jobs=parsed.jobs
        )
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    new = NewJob(
        user_id=interaction.user.id,
        guild_id=place.guild_id,
        channel_id=interaction.channel_id,
        prompt=parsed.render(),
        mode=admission.mode,
        bot_type=bot_type or defaults.bot_type,
        upload_limit=interaction.filesize_limit,
        locale=str(interaction.locale),
        dm=place.dm,
        inputs=carried if carried and carried.images else None,
    )
    if images:
        await start_with_images(
            interaction,
            new,
            parsed,
            images,
            place=place,
            admission=admission,
            explicit_mode=explicit,
            by_dm=bool(defaults.dm),
            note=unchecked_note(interaction, parsed),
        )
        return
    if parsed.jobs > 1:
        await ask_to_confirm(interaction, new, parsed, place, explicit_mode=explicit, by_dm=bool(defaults.dm))
        return
    if defaults.dm:
        await start_in_dm(interaction, [new], admission, note=unchecked_note(interaction, parsed))
        return
    await answer_with_job(interaction, new, admission, note=unchecked_note(interaction, parsed))
