"""An /imagine with images: image prompts sent as `base64Array`, references uploaded and written into
the prompt as --sref / --oref. Everything is read and checked before anything is paid for; the upload
comes after admission, and a failed upload starts nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.models import JobInputs, NewJob
from bot.paid.attachments import REFERENCE_FLAGS, GivenImages, ImageProblem, read_images, upload_references
from bot.paid.by_dm import start_in_dm
from bot.paid.deferred import Deferred
from bot.paid.permutations import ask_to_confirm

if TYPE_CHECKING:
    import discord

    from bot.admission import Admission
    from bot.app import MJBot
    from bot.paid.gate import Place
    from bot.prompt_params import ParsedPrompt, PromptParams

    Interaction = discord.Interaction[MJBot]

# Stands for a reference's URL while the prompt is checked (a URL, as the real one will be), as long as
# a signed Discord CDN link so the length check still holds; replaced by the uploaded image's URL once
# the job is admitted.
PENDING_URL = "https://upload.invalid/" + "0" * 270 + ".png"


def pending_references(options: PromptParams, images: GivenImages) -> PromptParams:
    """The options with each given reference standing as PENDING_URL, so the prompt's rules (--oref
    needs V7+, a reference typed twice) are checked before anything is uploaded."""
    given = {option for option, _ in images.references}
    return replace(
        options,
        style_ref=PENDING_URL if "style_ref" in given else options.style_ref,
        omni_ref=PENDING_URL if "omni_ref" in given else options.omni_ref,
    )


def with_reference_urls(parsed: ParsedPrompt, urls: dict[str, str]) -> ParsedPrompt:
    """The checked prompt with each pending reference's URL filled in."""
    by_flag = {REFERENCE_FLAGS[option]: url for option, url in urls.items()}
    params = tuple(
        (name, by_flag[name] if value == PENDING_URL and name in by_flag else value)
        for name, value in parsed.params
    )
    return replace(parsed, params=params)


async def start_with_images(
    interaction: Interaction,
    new: NewJob,
    parsed: ParsedPrompt,
    images: GivenImages,
    *,
    place: Place,
    admission: Admission,
    explicit_mode: bool,
    by_dm: bool,
    note: str | None,
) -> None:
    """Read the images (deferred: downloads and Pillow outlast Discord's 3 s), upload the references,
    then start the job like any /imagine: in the channel, by DM, or as a permutation's question."""
    deferred = Deferred(interaction, private=by_dm or parsed.jobs > 1)
    await deferred.start()
    try:
        prompts = await read_images(images.prompts)
        references = await read_images([attachment for _, attachment in images.references])
        urls: dict[str, str] = {}
        if references:
            options = [option for option, _ in images.references]
            urls = await upload_references(interaction.client.mj, dict(zip(options, references, strict=True)))
    except ImageProblem as problem:
        await deferred.tell(problem.message(interaction.locale))
        return
    parsed = with_reference_urls(parsed, urls)
    carried = new.inputs.images if new.inputs else ()
    inputs = JobInputs(images=carried + prompts) if carried or prompts else None
    new = replace(new, prompt=parsed.render(), inputs=inputs)
    if parsed.jobs > 1:
        await ask_to_confirm(interaction, new, parsed, place, explicit_mode=explicit_mode, by_dm=by_dm)
    elif by_dm:
        await start_in_dm(interaction, [new], admission, note=note)
    else:
        await deferred.post(new, admission, note=note)
