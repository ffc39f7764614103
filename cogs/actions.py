"""Clicks on job buttons (U1, V3, 🔄, Custom Zoom …, Check again, Retry, Edit prompt) and their windows.

Thin: the flows live in bot/paid/; this cog routes Discord's events to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.paid import clicks, windows
from bot.replies import tell
from bot.views import modal_text

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


class Actions(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.clicks = self
        self.bot.add_modal_templates(windows.MODAL_ID)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Route our modal submissions, and answer modals and buttons no handler claims (from an old version,
        say): unanswered, the user would see Discord's "This interaction failed"."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit:
            if match := windows.MODAL_ID.fullmatch(custom_id):
                await windows.submitted(interaction, match["kind"], int(match["id"]), modal_text(interaction))
            elif not self.bot.knows_modal_id(custom_id):
                await tell(interaction, "modal.unsupported")
            return
        if interaction.type is discord.InteractionType.component and not self.bot.knows_custom_id(custom_id):
            await tell(interaction, "click.unsupported")

    async def action(self, interaction: Interaction, button_id: int) -> None:
        found = await clicks.button_and_job(interaction, button_id)
        if found is None:
            return
        button, source = found
        if windows.opens_window(button):
            await windows.open_zoom(interaction, button, source)
        else:
            await clicks.claim(interaction, source, button)

    async def check_again(self, interaction: Interaction, job_id: int) -> None:
        await clicks.check_again(interaction, job_id)

    async def retry(self, interaction: Interaction, job_id: int) -> None:
        await clicks.retry(interaction, job_id)

    async def edit_prompt(self, interaction: Interaction, job_id: int) -> None:
        await windows.open_edit(interaction, job_id)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Actions(bot))
