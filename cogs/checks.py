"""Checks shared by commands and buttons, made before anything is paid for."""

from __future__ import annotations

from typing import Any

import discord

REQUIRED_PERMISSIONS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
}


def missing_permissions_message(interaction: discord.Interaction[Any]) -> str | None:
    """A plain sentence naming what the bot lacks in this channel, or None when it has everything."""
    permissions = interaction.app_permissions
    missing = [name for attr, name in REQUIRED_PERMISSIONS.items() if not getattr(permissions, attr)]
    if not missing:
        return None
    return (
        f"I can't post results in this channel: I'm missing the {', '.join(missing)} permission"
        f"{'s' if len(missing) > 1 else ''}. Ask a server admin to grant it; nothing was submitted."
    )


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"
