"""Clicks on job buttons: MJ actions (U1, V3, 🔄 …), "Check again" and "Retry"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot import render
from bot.models import JobStatus, NewJob
from bot.views import DYNAMIC_ITEMS, result_view
from cogs.checks import jump_url, missing_permissions_message

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job

    Interaction = discord.Interaction[MJBot]


async def _tell(interaction: Interaction, message: str) -> None:
    await interaction.response.send_message(message, ephemeral=True)


class Actions(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.clicks = self

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """A button no handler claims (an id from an old version, or a mangled one) still gets an answer."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in DYNAMIC_ITEMS):
            return
        await _tell(interaction, "This button is no longer supported by this bot. Nothing was submitted.")

    async def _owned_job(self, interaction: Interaction, job_id: int) -> Job | None:
        """The job, when it exists and the clicking user owns it; otherwise explain and answer None."""
        job = await self.bot.store.get_job(job_id)
        if job is None:
            await _tell(
                interaction, "This button belongs to a job this bot no longer knows. Nothing was submitted."
            )
            return None
        if job.user_id != interaction.user.id:
            await _tell(
                interaction, f"Only <@{job.user_id}> can use these buttons. Start your own with `/imagine`."
            )
            return None
        return job

    async def action(self, interaction: Interaction, button_id: int) -> None:
        store = self.bot.store
        button = await store.get_button(button_id)
        if button is None:
            await _tell(
                interaction, "This button is not known to this bot (its job is gone). Nothing was submitted."
            )
            return
        source = await self._owned_job(interaction, button.job_id)
        if source is None:
            return
        if problem := missing_permissions_message(interaction):
            await _tell(interaction, problem)
            return
        assert source.task_id is not None and interaction.channel_id is not None and interaction.message
        title = render.action_title(button.custom_id, button.label, button.emoji)
        claim = await self.bot.engine.claim_button(
            button_id,
            NewJob(
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                prompt=source.prompt,
                action=title,
                mode=source.mode,
                bot_type=source.bot_type,
                parent_job_id=source.id,
                parent_task_id=source.task_id,
                custom_id=button.custom_id,
                reply_to_message_id=interaction.message.id,
                upload_limit=interaction.filesize_limit,
            ),
        )
        if not claim.created:
            job = claim.job
            where = (
                f": {jump_url(job.guild_id, job.channel_id, job.message_id)}"
                if job.message_id
                else "; its message is on its way"
            )
            await _tell(interaction, f"**{title}** was already submitted{where}")
            return
        buttons = await store.buttons_for_job(source.id)
        await interaction.response.edit_message(view=result_view(source, buttons))

    async def check_again(self, interaction: Interaction, job_id: int) -> None:
        job = await self._owned_job(interaction, job_id)
        if job is None:
            return
        if self.bot.engine.check_again(job_id):
            await _tell(interaction, "Asking the API about this job now; the message will update.")
        else:
            await _tell(interaction, "This job is no longer running; its message shows its final state.")

    async def retry(self, interaction: Interaction, job_id: int) -> None:
        job = await self._owned_job(interaction, job_id)
        if job is None:
            return
        if job.status is not JobStatus.UNCERTAIN:
            await _tell(interaction, "This job was already retried.")
            return
        if problem := missing_permissions_message(interaction):
            await _tell(interaction, problem)
            return
        if await self.bot.engine.retry_uncertain(job_id) is None:
            await _tell(interaction, "This job was already retried.")
            return
        await interaction.response.defer()


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Actions(bot))
