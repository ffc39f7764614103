"""/blend: read the options, then start the job through bot/paid/blend.py (deferred within Discord's 3 s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import L
from bot.models import BotType, Mode
from bot.paid.blend import DIMENSIONS, start_blend
from cogs.imagine import BOT_CHOICES, MODE_CHOICES

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]

IMAGE_OPTIONS = ("image1", "image2", "image3", "image4", "image5")
DIMENSION_CHOICES = [app_commands.Choice(name=L(f"choice.{d.lower()}"), value=d) for d in DIMENSIONS]


class Blend(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name=L("cmd.blend.name"), description=L("cmd.blend.desc"))
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in (*IMAGE_OPTIONS, "dimensions", "mode", "bot")})
    @app_commands.describe(**dict.fromkeys(IMAGE_OPTIONS, L("opt.blend_image.desc")))
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("dimensions", "mode", "bot")})
    @app_commands.choices(dimensions=DIMENSION_CHOICES, mode=MODE_CHOICES, bot=BOT_CHOICES)
    @app_commands.guild_only()
    async def blend(  # noqa: PLR0917 - one parameter per slash-command option
        self,
        interaction: Interaction,
        image1: discord.Attachment,
        image2: discord.Attachment,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        dimensions: app_commands.Choice[str] | None = None,
        mode: app_commands.Choice[str] | None = None,
        bot: app_commands.Choice[str] | None = None,
    ) -> None:
        images = [a for a in (image1, image2, image3, image4, image5) if a is not None]
        await start_blend(
            interaction,
            images,
            dimensions.value if dimensions else "SQUARE",
            mode=Mode(mode.value) if mode else None,
            bot_type=BotType(bot.value) if bot else None,
        )


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Blend(bot))
