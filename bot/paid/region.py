"""Vary (Region) in Discord: a click answers its clicker privately with a list of regions (a modal cannot
draw) and, when the editor is on, a link to paint the region; a region opens the prompt window, and the
window's prompt starts the job with that region's mask.

The clicker is admitted when they click (no list, no link for a refused user) and again, like any click,
when the window is sent, before anything reaches the API.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.components import BotItem, IdFormat
from bot.i18n import t
from bot.mj.errors import MJError
from bot.models import Mode
from bot.paid.clicks import button_and_job, claim
from bot.paid.gate import Place, admit_paid
from bot.paid.windows import made_with
from bot.policy import Refusal
from bot.prompt_params import PromptError, parse_prompt
from bot.region.jobs import source_size, start_region_job
from bot.region.links import RegionTicket
from bot.region.masks import Region, preset_mask
from bot.render import action_name
from bot.replies import answer_privately, refuse, tell
from bot.storage import AdmissionLost
from bot.views import prompt_modal

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job, StoredButton

    Interaction = discord.Interaction[MJBot]

_REGIONS = "|".join(region.value for region in Region)
PICK = IdFormat("mj:region:{id}:{msg}")  # the list of regions: the button's row, the upscale's message
WINDOW = IdFormat("mj:modal:region:{id}:{msg}:{region:" + _REGIONS + "}")


def _ticket(
    interaction: Interaction,
    place: Place,
    button: StoredButton,
    message_id: int,
    *,
    mode: Mode | None = None,
) -> RegionTicket:
    """Who clicked, and where: what the job needs, also when it is created without the interaction."""
    if interaction.channel_id is None:
        raise RuntimeError("a click without a channel")
    return RegionTicket(
        button_id=button.id,
        user_id=interaction.user.id,
        guild_id=place.guild_id,
        rules_channel_id=place.channel_id,
        channel_id=interaction.channel_id,
        dm=place.dm,
        message_id=message_id,
        locale=str(interaction.locale),
        upload_limit=interaction.filesize_limit,
        mode=mode,
    )


class RegionSelect(BotItem[discord.ui.Select[Any]], template=PICK.template):
    """The private list of regions under a Vary (Region) click; it works after a restart too."""

    def __init__(self, button_id: int, message_id: int, lang: str = "en-US") -> None:
        options = [discord.SelectOption(label=t(lang, f"region.{r.value}"), value=r.value) for r in Region]
        custom_id = PICK.build(id=button_id, msg=message_id)
        placeholder = t(lang, "region.placeholder")
        super().__init__(discord.ui.Select(custom_id=custom_id, placeholder=placeholder, options=options))
        self.button_id, self.message_id = button_id, message_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]), int(match["msg"]))

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        data: dict[str, Any] = dict(interaction.data or {})
        values = [str(v) for v in data.get("values") or []]
        if values and values[0] in {region.value for region in Region}:
            await chosen(interaction, self.button_id, self.message_id, Region(values[0]))
        else:
            await tell(interaction, "click.unsupported")


async def offer(interaction: Interaction, button: StoredButton, source: Job) -> None:
    """The click: the list of regions (and the editor's link), privately, to an admitted clicker."""
    if button.used or interaction.message is None:
        await claim(interaction, source, button)  # tells where the first click's job is
        return
    place = Place.of(interaction, source.guild_id)
    try:
        await admit_paid(interaction, place, mode=source.mode, explicit_mode=False)
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    lang = str(interaction.locale)
    view = discord.ui.View(timeout=None).add_item(RegionSelect(button.id, interaction.message.id, lang))
    content = t(lang, "region.pick")
    editor = interaction.client.region_editor
    if editor is not None:
        ticket = _ticket(interaction, place, button, interaction.message.id, mode=source.mode)
        url = await editor.issue(ticket)
        expires = datetime.now(UTC) + timedelta(seconds=interaction.client.settings.editor_link_ttl)
        content += "\n" + t(lang, "region.pick_editor", when=discord.utils.format_dt(expires, "R"))
        view.add_item(discord.ui.Button(url=url, label=t(lang, "region.editor_button"), emoji="🖌️"))
    await interaction.response.send_message(content, view=view, ephemeral=True)


async def chosen(interaction: Interaction, button_id: int, message_id: int, region: Region) -> None:
    """A region was picked: open the prompt window, prefilled with the upscale's prompt."""
    found = await button_and_job(interaction, button_id)
    if found is None:
        return
    button, source = found
    if button.used:
        await claim(interaction, source, button)
        return
    lang = interaction.locale
    modal = prompt_modal(
        WINDOW.build(id=button.id, msg=message_id, region=region.value),
        title=t(lang, "region.modal_title", region=t(lang, f"region.{region.value}")),
        label=t(lang, "region.prompt_label"),
        value=await made_with(interaction.client, source),
    )
    await interaction.response.send_modal(modal)


async def submitted(interaction: Interaction, match: re.Match[str], text: str) -> None:
    """The window's prompt: check it, admit the click, then start it with the region's mask."""
    if not text.strip():
        await tell(interaction, "modal.empty")
        return
    try:
        parsed = parse_prompt(text, vocabulary=interaction.client.settings.vocabulary)
    except PromptError as err:
        await answer_privately(interaction, err.message(interaction.locale))
        return
    if (found := await button_and_job(interaction, int(match["id"]))) is None:
        return
    button, source = found
    if button.used:
        await claim(interaction, source, button)
        return
    place = Place.of(interaction, source.guild_id)
    typed = Mode(parsed.mode) if parsed.mode else None
    try:
        admission = await admit_paid(
            interaction, place, mode=typed or source.mode, explicit_mode=typed is not None
        )
    except Refusal as refusal:
        await refuse(interaction, refusal)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)  # the image is read for its size
    try:
        size = await source_size(interaction.client, source)
    except MJError:
        await tell(interaction, "region.image_unavailable")
        return
    ticket = _ticket(interaction, place, button, int(match["msg"]))
    mask = await asyncio.to_thread(preset_mask, size, Region(match["region"]))
    try:
        claimed = await start_region_job(
            interaction.client,
            ticket,
            button,
            source,
            prompt=text,
            mode=admission.mode,
            quota=admission.quota,
            mask=mask,
        )
    except AdmissionLost as lost:
        await refuse(interaction, admission.refusal(lost))
        return
    if not claimed.created:
        await tell(
            interaction, "click.already_pending", title=action_name(claimed.job, str(interaction.locale))
        )
        return
    await tell(interaction, "region.started", channel=ticket.channel_id)
