"""/imagine: read the options, then start the job through bot/paid/imagine.py (within Discord's 3 s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import L
from bot.models import BotType, Mode
from bot.paid.attachments import GivenImages
from bot.paid.imagine import start_imagine
from bot.paid.permutations import PermutationButton
from bot.prompt.flags import CHAOS, QUALITIES, SEED, STYLIZE, WEIRD
from bot.prompt_params import ASPECT_CHOICES, MAX_PROMPT_LENGTH, PromptParams, version_suggestions
from bot.replies import tell

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]

MODE_CHOICES = [app_commands.Choice(name=L(f"choice.{m.lower()}"), value=m.value) for m in Mode]
BOT_CHOICES = [
    app_commands.Choice(name=L("choice.midjourney"), value=BotType.MID_JOURNEY.value),
    app_commands.Choice(name=L("choice.niji"), value=BotType.NIJI_JOURNEY.value),
]
QUALITY_CHOICES = [app_commands.Choice(name=q, value=q) for q in QUALITIES]
IMAGE_OPTIONS = ("image1", "image2", "image3")  # image prompts


class Imagine(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PermutationButton)  # the answer to a permutation prompt's question

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PermutationButton)

    @app_commands.command(name=L("cmd.imagine.name"), description=L("cmd.imagine.desc"))
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in ("prompt", "mode", "bot", "aspect", "version")})
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in ("stylize", "chaos", "weird", "quality")})
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in ("seed", "no", "tile", "raw")})
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("prompt", "mode", "bot", "aspect", "version")})
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("stylize", "chaos", "weird", "quality")})
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("seed", "no", "tile", "raw")})
    @app_commands.rename(**{o: L(f"opt.{o}.name") for o in (*IMAGE_OPTIONS, "style_ref", "omni_ref")})
    @app_commands.describe(**dict.fromkeys(IMAGE_OPTIONS, L("opt.image_prompt.desc")))
    @app_commands.describe(**{o: L(f"opt.{o}.desc") for o in ("style_ref", "omni_ref")})
    @app_commands.choices(
        mode=MODE_CHOICES,
        bot=BOT_CHOICES,
        aspect=[app_commands.Choice(name=a, value=a) for a in ASPECT_CHOICES],
        quality=QUALITY_CHOICES,
    )
    @app_commands.guild_only()
    async def imagine(  # noqa: PLR0917 - one parameter per slash-command option
        self,
        interaction: Interaction,
        prompt: app_commands.Range[str, 1, MAX_PROMPT_LENGTH],
        mode: app_commands.Choice[str] | None = None,
        bot: app_commands.Choice[str] | None = None,
        aspect: app_commands.Choice[str] | None = None,
        version: str | None = None,
        stylize: app_commands.Range[int, STYLIZE[0], STYLIZE[1]] | None = None,
        chaos: app_commands.Range[int, CHAOS[0], CHAOS[1]] | None = None,
        weird: app_commands.Range[int, WEIRD[0], WEIRD[1]] | None = None,
        quality: app_commands.Choice[str] | None = None,
        seed: app_commands.Range[int, SEED[0], SEED[1]] | None = None,
        no: app_commands.Range[str, 1, 500] | None = None,
        tile: bool = False,
        raw: bool = False,
        image1: discord.Attachment | None = None,
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        style_ref: discord.Attachment | None = None,
        omni_ref: discord.Attachment | None = None,
    ) -> None:
        prompt = prompt.strip()
        if not prompt:
            await tell(interaction, "imagine.empty")
            return
        options = PromptParams(
            aspect=aspect.value if aspect else None,
            version=version.strip() if version else None,
            stylize=stylize,
            chaos=chaos,
            weird=weird,
            quality=float(quality.value) if quality else None,
            seed=seed,
            no=no,
            tile=tile,
            raw=raw,
        )
        await start_imagine(
            interaction,
            prompt,
            options,
            mode=Mode(mode.value) if mode else None,
            bot_type=BotType(bot.value) if bot else None,
            images=GivenImages(
                prompts=tuple(a for a in (image1, image2, image3) if a is not None),
                references=tuple(
                    (option, a) for option, a in (("style_ref", style_ref), ("omni_ref", omni_ref)) if a
                ),
            ),
        )

    @imagine.autocomplete("version")
    async def version_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        suggestions = version_suggestions(current, self.bot.settings.vocabulary)
        return [app_commands.Choice(name=v, value=v) for v in suggestions]


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Imagine(bot))
