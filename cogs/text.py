"""/describe and /shorten: check the options, then start the job through bot/paid/text.py (within 3 s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import L
from bot.models import JobInputs
from bot.paid.text import is_web_link, start_describe, start_shorten
from bot.prompt_params import MAX_PROMPT_LENGTH
from bot.replies import tell

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]

MAX_LINK_LENGTH = 2000


class Text(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name=L("cmd.describe.name"), description=L("cmd.describe.desc"))
    @app_commands.rename(image=L("opt.image.name"), link=L("opt.link.name"))
    @app_commands.describe(image=L("opt.image.desc"), link=L("opt.link.desc"))
    @app_commands.guild_only()
    async def describe(
        self,
        interaction: Interaction,
        image: discord.Attachment | None = None,
        link: app_commands.Range[str, 1, MAX_LINK_LENGTH] | None = None,
    ) -> None:
        link = link.strip() if link else None
        if image is not None and link:
            await tell(interaction, "describe.both")
            return
        if image is None and not link:
            await tell(interaction, "describe.neither")
            return
        if link:
            if not is_web_link(link):
                await tell(interaction, "describe.bad_link")
                return
            await start_describe(interaction, JobInputs(link=link), link)
            return
        assert image is not None
        await start_describe(interaction, image, image.filename)  # read once the describe is admitted

    @app_commands.command(name=L("cmd.shorten.name"), description=L("cmd.shorten.desc"))
    @app_commands.rename(prompt=L("opt.prompt.name"))
    @app_commands.describe(prompt=L("opt.shorten_prompt.desc"))
    @app_commands.guild_only()
    async def shorten(
        self, interaction: Interaction, prompt: app_commands.Range[str, 1, MAX_PROMPT_LENGTH]
    ) -> None:
        prompt = prompt.strip()
        if not prompt:
            await tell(interaction, "shorten.empty")
            return
        await start_shorten(interaction, prompt)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Text(bot))
