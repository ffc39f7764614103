"""Answering a command whose work outlives Discord's 3 s (reading images, an upload): defer first, then
turn the deferred answer into the job's message, or into a private refusal."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.models import NewJob, ReasonCode
from bot.storage import AdmissionLost

if TYPE_CHECKING:
    from bot.admission import Admission
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


class Deferred:
    """A deferred answer: public ("thinking…" where the job's message will be), or private (results by
    DM, a permutation's question)."""

    def __init__(self, interaction: Interaction, *, private: bool) -> None:
        self.interaction = interaction
        self.private = private

    async def start(self) -> None:
        await self.interaction.response.defer(thinking=True, ephemeral=self.private)

    async def tell(self, text: str) -> None:
        """A private answer. A public "thinking…" cannot turn private, so it is removed first."""
        if not self.private:
            with contextlib.suppress(discord.HTTPException):
                await self.interaction.delete_original_response()
            self.private = True  # follow-ups are new messages from now on
        await self.interaction.followup.send(text, ephemeral=True)

    async def post(self, new: NewJob, admission: Admission, *, note: str | None = None) -> None:
        """Write the job, make the public "thinking…" its message, then queue it."""
        interaction = self.interaction
        bot = interaction.client
        try:
            job = await bot.engine.create_job(new, admission.quota)
        except AdmissionLost as lost:
            await self.tell(admission.refusal(lost).message(interaction.locale))
            return
        content = render.job_content(job)
        try:
            message = await interaction.followup.send(
                content,
                wait=True,
                allowed_mentions=discord.AllowedMentions(
                    users=[interaction.user], everyone=False, roles=False
                ),
            )
        except discord.HTTPException:
            await bot.engine.cancel(job, ReasonCode.NOT_POSTED)
            raise
        job = await bot.engine.message_posted(job, message.id, content)
        bot.engine.enqueue(job)
        if note:
            await interaction.followup.send(note, ephemeral=True)
