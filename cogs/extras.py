"""The free buttons under an image result (❤️, 🌱 Seed, ✉️, Split) and /bookmarks.

Thin: the flows live in bot/extras/; this cog routes Discord's events to them. ✉️, Split and the pages
of /bookmarks each download an image (and upload it), so each user gets a few a minute.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.extras import bookmarks
from bot.extras import seed as seeds
from bot.extras import send as sending
from bot.extras import split as splitting
from bot.extras.access import delivered_result
from bot.extras.buttons import EXTRA_BUTTONS
from bot.i18n import L, t
from bot.rate_limit import RateLimit
from bot.replies import tell

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]

COPIES_PER_WINDOW, PAGES_PER_WINDOW, WINDOW = 4, 12, 30.0  # per user per 30 s


class Extras(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot
        self._copies = RateLimit(COPIES_PER_WINDOW, WINDOW)  # ✉️ and Split
        self._pages = RateLimit(PAGES_PER_WINDOW, WINDOW)  # /bookmarks and its pages

    async def cog_load(self) -> None:
        self.bot.extras = self
        self.bot.add_dynamic_items(*EXTRA_BUTTONS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*EXTRA_BUTTONS)

    async def _too_fast(self, interaction: Interaction, limit: RateLimit) -> bool:
        if (ready_at := limit.wait(interaction.user.id, time.monotonic())) is None:
            return False
        await tell(interaction, "extras.too_fast", when=f"<t:{int(time.time() + ready_at) + 1}:R>")
        return True

    # -- the buttons --------------------------------------------------------------------------------

    async def bookmark(self, interaction: Interaction, job_id: int) -> None:
        if (job := await delivered_result(interaction, job_id)) is not None:
            await bookmarks.toggle(interaction, job)

    async def seed(self, interaction: Interaction, job_id: int) -> None:
        if (job := await delivered_result(interaction, job_id)) is not None:
            await seeds.show_seed(interaction, job)

    async def send_to_me(self, interaction: Interaction, job_id: int) -> None:
        job = await delivered_result(interaction, job_id)
        if job is not None and not await self._too_fast(interaction, self._copies):
            await sending.send_to_me(interaction, job)

    async def split(self, interaction: Interaction, job_id: int) -> None:
        job = await delivered_result(interaction, job_id)
        if job is not None and not await self._too_fast(interaction, self._copies):
            await splitting.split(interaction, job)

    async def bookmark_page(self, interaction: Interaction, user_id: int, page: int) -> None:
        if interaction.user.id != user_id:
            await tell(interaction, "bookmarks.not_yours")
            return
        if await self._too_fast(interaction, self._pages):
            return
        await interaction.response.defer()  # the page's image is downloaded first
        shown = await bookmarks.page(interaction, page)
        if shown is None:
            empty = t(interaction.locale, "bookmarks.empty")
            await interaction.edit_original_response(content=empty, attachments=[], view=None)
            return
        await interaction.edit_original_response(
            content=shown.content,
            attachments=[shown.file] if shown.file else [],
            view=shown.view,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    # -- /bookmarks ---------------------------------------------------------------------------------

    @app_commands.command(name=L("cmd.bookmarks.name"), description=L("cmd.bookmarks.desc"))
    async def bookmarks_command(self, interaction: Interaction) -> None:
        if await self.bot.store.count_bookmarks(interaction.user.id) == 0:
            await tell(interaction, "bookmarks.empty")
            return
        if await self._too_fast(interaction, self._pages):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = await bookmarks.page(interaction, 0)
        if shown is None:
            await tell(interaction, "bookmarks.empty")
            return
        await interaction.followup.send(
            shown.content,
            file=shown.file or discord.utils.MISSING,
            view=shown.view or discord.utils.MISSING,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Extras(bot))
