"""What must hold in Discord before anything is paid for, on every path that pays.

The server is one the bot serves, the user is still a member of it (their roles read in time: when they
cannot be, the answer is "try again", never the more generous defaults), and the bot may post where the
job will show. Each failure is a Refusal the user reads in their own language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import discord

from bot.policy import BotPermission, Refusal

MEMBER_FETCH_TIMEOUT = 1.5  # seconds: the interaction must be answered within 3
REQUIRED_PERMISSIONS = (
    BotPermission.VIEW_CHANNEL,
    BotPermission.SEND_MESSAGES,
    BotPermission.ATTACH_FILES,
    BotPermission.READ_MESSAGE_HISTORY,
)
# In a thread (a forum post, say) posting needs its own permission instead.
THREAD_PERMISSIONS = (
    BotPermission.VIEW_CHANNEL,
    BotPermission.SEND_MESSAGES_IN_THREADS,
    BotPermission.ATTACH_FILES,
    BotPermission.READ_MESSAGE_HISTORY,
)


def check_guild_allowed(allowed: Collection[int], guild_id: int | None) -> None:
    """ALLOWED_GUILD_IDS: a job of another server is refused, also when its button is clicked in a DM."""
    if allowed and guild_id is not None and guild_id not in allowed:
        raise Refusal("refuse.guild")


def check_bot_permissions(interaction: discord.Interaction[Any]) -> None:
    """The bot must be able to post (with images) in the channel where the job will show."""
    if interaction.guild_id is None:
        return  # a direct message: the bot can always answer there
    permissions = interaction.app_permissions
    required = THREAD_PERMISSIONS if isinstance(interaction.channel, discord.Thread) else REQUIRED_PERMISSIONS
    missing = tuple(name for name in required if not getattr(permissions, name.value))
    if missing:
        raise Refusal("permissions.missing", permissions=missing)


async def member_role_ids(interaction: discord.Interaction[Any], guild_id: int | None) -> list[int]:
    """The user's roles in the guild a job belongs to, also when they click in a direct message.

    Refusal when they are no longer a member (left, kicked, banned), or when Discord does not say in time.
    """
    if guild_id is None:
        return []
    user = interaction.user
    if isinstance(user, discord.Member) and user.guild.id == guild_id:
        return [role.id for role in user.roles]
    return await fetched_role_ids(interaction.client, guild_id, user.id, cached=True)


async def fetched_role_ids(
    client: discord.Client,
    guild_id: int,
    user_id: int,
    *,
    cached: bool,
    timeout: float = MEMBER_FETCH_TIMEOUT,
) -> list[int]:
    """A member's roles as Discord says (the cached member first when `cached`); Refusal when the bot or
    the user is no longer in that server, or when Discord does not say within `timeout` seconds."""
    guild = client.get_guild(guild_id)
    if guild is None:
        raise Refusal("refuse.guild")  # the bot is no longer in that server
    member = guild.get_member(user_id) if cached else None
    if member is None:
        try:
            async with asyncio.timeout(timeout):
                member = await guild.fetch_member(user_id)
        except discord.NotFound:
            raise Refusal("refuse.not_member") from None
        except (discord.HTTPException, TimeoutError):
            raise Refusal("refuse.roles_unknown") from None
    return [role.id for role in member.roles]
