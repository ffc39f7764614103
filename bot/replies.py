"""Private answers to an interaction, in the user's language: what every cog says back."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import t
from bot.policy import Refusal


async def tell(interaction: discord.Interaction[Any], key: str, /, **args: Any) -> None:
    """Answer privately with the message `key`."""
    await answer_privately(interaction, t(interaction.locale, key, **args))


async def refuse(interaction: discord.Interaction[Any], refusal: Refusal) -> None:
    await answer_privately(interaction, refusal.message(interaction.locale))


async def answer_privately(interaction: discord.Interaction[Any], message: str) -> None:
    """The first answer if none was given yet, else a private follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(message, ephemeral=True)
    else:
        await interaction.response.send_message(message, ephemeral=True)


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"
