"""Checks and answers shared by commands and buttons, made before anything is paid for."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from bot.i18n import t
from bot.policy import Refusal

MEMBER_FETCH_TIMEOUT = 1.5  # seconds
REQUIRED_PERMISSIONS = ("view_channel", "send_messages", "attach_files", "read_message_history")
# In a thread (a forum post, say) posting needs its own permission instead.
THREAD_PERMISSIONS = ("view_channel", "send_messages_in_threads", "attach_files", "read_message_history")


def missing_permissions_message(interaction: discord.Interaction[Any]) -> str | None:
    """A plain sentence naming what the bot lacks in this channel, or None when it has everything."""
    if interaction.guild_id is None:
        return None  # a direct message: the bot can always answer there
    permissions = interaction.app_permissions
    required = THREAD_PERMISSIONS if isinstance(interaction.channel, discord.Thread) else REQUIRED_PERMISSIONS
    missing = [t(interaction.locale, f"perm.{name}") for name in required if not getattr(permissions, name)]
    if not missing:
        return None
    return t(interaction.locale, "permissions.missing", permissions=", ".join(missing))


async def member_role_ids(interaction: discord.Interaction[Any], guild_id: int | None) -> list[int]:
    """The user's roles in the guild a job belongs to, also when they click in a direct message."""
    user = interaction.user
    if isinstance(user, discord.Member) and user.guild.id == guild_id:
        return [role.id for role in user.roles]
    guild = interaction.client.get_guild(guild_id) if guild_id is not None else None
    if guild is None:
        return []
    member = guild.get_member(user.id)
    try:
        if member is None:
            async with asyncio.timeout(MEMBER_FETCH_TIMEOUT):  # the interaction must be answered within 3 s
                member = await guild.fetch_member(user.id)
    except (discord.HTTPException, TimeoutError):
        return []  # no longer a member, or Discord is slow: the guild's plain rules apply
    return [role.id for role in member.roles]


async def tell(interaction: discord.Interaction[Any], key: str, /, **args: Any) -> None:
    """Answer privately, in the user's language."""
    await answer_privately(interaction, t(interaction.locale, key, **args))


async def refuse(interaction: discord.Interaction[Any], refusal: Refusal) -> None:
    await answer_privately(interaction, refusal.message(interaction.locale))


async def answer_privately(interaction: discord.Interaction[Any], message: str) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(message, ephemeral=True)
    else:
        await interaction.response.send_message(message, ephemeral=True)


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"
