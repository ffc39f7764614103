"""Answering a command whose work outlives Discord's 3 s (reading images, an upload): defer first, then
turn the deferred answer into the job's message, or into a private refusal."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.models import NewJob, ReasonCode
from bot.paid.attachments import ImageProblem, read_images
from bot.replies import refuse
from bot.storage import AdmissionLost

if TYPE_CHECKING:
    from bot.admission import Admission
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


async def answer_with_job(
    interaction: Interaction, new: NewJob, admission: Admission, *, note: str | None = None
) -> None:
    """Write the job and make the command's answer its message (posted before the job is queued, so a
    refused post costs nothing); the quick path, where nothing had to be deferred."""
    bot = interaction.client
    try:
        job = await bot.engine.create_job(new, admission.quota)
    except AdmissionLost as lost:
        await refuse(interaction, admission.refusal(lost))
        return
    content = render.job_content(job)
    try:
        response = await interaction.response.send_message(content, allowed_mentions=_mentions(interaction))
    except discord.HTTPException:
        await bot.engine.cancel(job, ReasonCode.NOT_POSTED)
        raise
    if response.message_id is not None:
        job = await bot.engine.message_posted(job, response.message_id, content)
    bot.engine.enqueue(job)
    if note:
        await interaction.followup.send(note, ephemeral=True)


def _mentions(interaction: Interaction) -> discord.AllowedMentions:
    return discord.AllowedMentions(users=[interaction.user], everyone=False, roles=False)


class Deferred:
    """A deferred answer: public ("thinking…" where the job's message will be), or private (results by
    DM, a permutation's question)."""

    def __init__(self, interaction: Interaction, *, private: bool) -> None:
        self.interaction = interaction
        self.private = private

    async def start(self) -> None:
        await self.interaction.response.defer(thinking=True, ephemeral=self.private)

    async def read_images(self, attachments: Sequence[discord.Attachment]) -> tuple[str, ...] | None:
        """The attachments as data URLs; None when one is not usable, after telling the user why."""
        try:
            return await read_images(attachments)
        except ImageProblem as problem:
            await self.tell(problem.message(self.interaction.locale))
            return None

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
                allowed_mentions=_mentions(interaction),
            )
        except discord.HTTPException:
            await bot.engine.cancel(job, ReasonCode.NOT_POSTED)
            raise
        job = await bot.engine.message_posted(job, message.id, content)
        bot.engine.enqueue(job)
        if note:
            await interaction.followup.send(note, ephemeral=True)
