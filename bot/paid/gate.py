"""The gate every paid path passes, for the place where it happens: the server is served, the user still
belongs to it, the bot may post there, and the server's rules (channels, cooldown, quota, modes) allow it.

A click in a server follows that server's and that channel's rules; a click in a direct message follows
the rules of the server its job came from, without a channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.admission import Admission, admit
from bot.models import Mode
from bot.policy import check_channel
from bot.preconditions import check_bot_permissions, check_guild_allowed, member_role_ids

if TYPE_CHECKING:
    import discord

    from bot.app import MJBot


@dataclass(frozen=True, slots=True)
class Place:
    """Where a paid submit happens: whose rules apply, and whether its result goes to a DM."""

    guild_id: int | None
    channel_id: int | None  # the channel whose rules apply; None in a direct message
    dm: bool

    @classmethod
    def of(cls, interaction: discord.Interaction[MJBot], job_guild_id: int | None) -> Place:
        """In a server: that server and channel. In a DM: the server the job (or its parent) came from."""
        if interaction.guild_id is not None:
            return cls(interaction.guild_id, interaction.channel_id, dm=False)
        return cls(job_guild_id, None, dm=True)


async def admit_paid(
    interaction: discord.Interaction[MJBot],
    place: Place,
    *,
    mode: Mode | None,
    explicit_mode: bool,
    jobs: int = 1,
    counted: bool = True,
) -> Admission:
    """Raise a Refusal unless everything allows this submit of `jobs` jobs here, now.

    `counted=False` for the prompt of a window whose click was already admitted (and counted): the
    server, the membership, the channel and the modes are checked again, not the quota or the cooldown.
    """
    bot = interaction.client
    check_guild_allowed(bot.settings.allowed_guild_ids, place.guild_id)
    role_ids = await member_role_ids(interaction, place.guild_id)
    check_bot_permissions(interaction)
    if not counted:
        policy = bot.policies.get(place.guild_id)
        check_channel(policy, place.channel_id)
        return Admission(policy.effective_mode(mode, explicit=explicit_mode), None)
    return await admit(
        bot.store,
        bot.policies,
        user_id=interaction.user.id,
        guild_id=place.guild_id,
        channel_id=place.channel_id,
        role_ids=role_ids,
        mode=mode,
        explicit_mode=explicit_mode,
        jobs=jobs,
    )
