"""Clicks on job buttons (U1, V3, 🔄, Custom Zoom …, Check again, Retry, Edit prompt) and their windows.

Thin: the flows live in bot/paid/; this cog routes Discord's events to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.extras import bookmarks
from bot.mj.buttons import ButtonRoute, route_of
from bot.paid import animate, clicks, region, text, windows
from bot.replies import tell
from bot.views import JOB_BUTTONS

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


class Actions(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.clicks = self
        self.bot.add_dynamic_items(*JOB_BUTTONS)
        self.bot.windows.add(windows.WINDOW, windows.submitted)
        self.bot.add_dynamic_items(region.RegionSelect)
        self.bot.windows.add(region.WINDOW, region.submitted)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*JOB_BUTTONS)
        self.bot.windows.remove(windows.WINDOW)
        self.bot.remove_dynamic_items(region.RegionSelect)
        self.bot.windows.remove(region.WINDOW)

    async def action(self, interaction: Interaction, button_id: int) -> None:
        found = await clicks.button_and_job(interaction, button_id)
        if found is None:
            return
        button, source = found
        match route_of(button.custom_id):
            case ButtonRoute.ACTION if windows.opens_window(button):
                await windows.open_zoom(interaction, button, source)
            case ButtonRoute.ACTION:
                await clicks.claim(interaction, source, button)
            case ButtonRoute.REGION:
                await region.offer(interaction, button, source)
            case ButtonRoute.BOOKMARK:  # MJ's own ❤️: kept by the bot, free
                await bookmarks.toggle(interaction, source)
            case ButtonRoute.PROMPT_LINE:
                await text.imagine_line(interaction, source, button)
            case ButtonRoute.DESCRIBE_AGAIN:
                await text.describe_again(interaction, source)
            case ButtonRoute.ANIMATE:
                await animate.animate(interaction, source, button)
            case ButtonRoute.EXTEND:
                await animate.extend(interaction, source, button)
            case _:  # a button stored before its route lost its runner
                await tell(interaction, "click.unknown_button")

    async def check_again(self, interaction: Interaction, job_id: int) -> None:
        await clicks.check_again(interaction, job_id)

    async def retry(self, interaction: Interaction, job_id: int) -> None:
        await clicks.retry(interaction, job_id)

    async def edit_prompt(self, interaction: Interaction, job_id: int) -> None:
        await windows.open_edit(interaction, job_id)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Actions(bot))
