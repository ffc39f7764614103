"""/imagine: validate, write the job, answer in the channel within 3 s, and hand the job to the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.models import BotType, Mode, NewJob
from cogs.checks import missing_permissions_message

if TYPE_CHECKING:
    from bot.app import MJBot

MAX_PROMPT = 4000


class Imagine(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    @app_commands.command(name="imagine", description="Create four images from a prompt")
    @app_commands.describe(
        prompt="What to draw; Midjourney parameters such as --ar 16:9 are allowed",
        mode="Generation speed (the account's default when omitted)",
        bot="Midjourney or Niji (the account's default when omitted)",
    )
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="fast", value=Mode.FAST.value),
            app_commands.Choice(name="relax", value=Mode.RELAX.value),
            app_commands.Choice(name="turbo", value=Mode.TURBO.value),
        ],
        bot=[
            app_commands.Choice(name="midjourney", value=BotType.MID_JOURNEY.value),
            app_commands.Choice(name="niji", value=BotType.NIJI_JOURNEY.value),
        ],
    )
    @app_commands.guild_only()
    async def imagine(
        self,
        interaction: discord.Interaction[MJBot],
        prompt: str,
        mode: app_commands.Choice[str] | None = None,
        bot: app_commands.Choice[str] | None = None,
    ) -> None:
        prompt = prompt.strip()
        if not prompt:
            await interaction.response.send_message(
                "The prompt is empty: describe what to draw.", ephemeral=True
            )
            return
        if len(prompt) > MAX_PROMPT:
            await interaction.response.send_message(
                f"The prompt has {len(prompt)} characters; the limit is {MAX_PROMPT}.", ephemeral=True
            )
            return
        if problem := missing_permissions_message(interaction):
            await interaction.response.send_message(problem, ephemeral=True)
            return
        assert interaction.channel_id is not None
        engine = self.bot.engine
        job = await engine.create_job(
            NewJob(
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                prompt=prompt,
                mode=Mode(mode.value) if mode else None,
                bot_type=BotType(bot.value) if bot else None,
                upload_limit=interaction.filesize_limit,
            )
        )
        content = render.job_content(job)
        response = await interaction.response.send_message(
            content,
            allowed_mentions=discord.AllowedMentions(users=[interaction.user], everyone=False, roles=False),
        )
        if response.message_id is not None:
            job = await engine.message_posted(job, response.message_id, content)
        engine.enqueue(job)


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Imagine(bot))
