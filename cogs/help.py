"""/help: what each command and each button does, in the user's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import L, t

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


SECTIONS = ("create", "jobs", "grid", "upscale", "more", "limits")  # an embed field each (≤ 1,024 characters)


class Help(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name=L("cmd.help.name"), description=L("cmd.help.desc"))
    async def help(self, interaction: Interaction) -> None:
        lang = str(interaction.locale)
        policy = self.bot.policies.get(interaction.guild_id)
        embed = discord.Embed(title=t(lang, "help.title"))
        for section in SECTIONS:
            body = t(lang, f"help.{section}_body", concurrency=policy.user_concurrency)
            embed.add_field(name=t(lang, f"help.{section}"), value=body, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Help(bot))
