"""The bot: one `commands.Bot` subclass whose `setup_hook` owns start-up."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.delivery import Writer
from bot.discord_api import use_gateway_of_rest_base
from bot.jobs.engine import Engine
from bot.mj.client import MJClient
from bot.storage import Store
from bot.tasks import TaskRegistry
from bot.views import DYNAMIC_ITEMS

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.imagine", "cogs.actions")


class ClickHandler(Protocol):
    """What the job buttons call; implemented by the actions cog."""

    async def action(self, interaction: discord.Interaction[MJBot], button_id: int) -> None: ...
    async def check_again(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...
    async def retry(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...


class MJBot(commands.Bot):
    clicks: ClickHandler

    def __init__(self, *, settings: Settings, store: Store, mj: MJClient) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
            help_command=None,
        )
        self.settings = settings
        self.store = store
        self.mj = mj
        self.registry = TaskRegistry()
        self.writer = Writer(
            self,
            store,
            mj,
            max_image_bytes=settings.max_image_bytes,
            min_edit_interval=settings.edit_interval,
            coalesce=settings.coalesce_edits,
        )
        self.engine = Engine(store, mj, self.writer, settings, self.registry)
        self.tree.error(self.on_app_command_error)

    async def setup_hook(self) -> None:
        if self.settings.discord_api_base:
            await use_gateway_of_rest_base(self.http)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.engine.start()
        await self.sync_commands_if_changed()

    async def sync_commands_if_changed(self) -> None:
        """Sync slash commands only when their definition changed (instantly to GUILD_ID when set)."""
        guild = discord.Object(self.settings.guild_id) if self.settings.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{self.application_id}:{guild.id if guild else 'global'}"
        if await self.store.get_meta(key) == digest:
            log.info("Slash commands unchanged; not syncing")
            return
        synced = await self.tree.sync(guild=guild)
        await self.store.set_meta(key, digest)
        log.info(
            "Synced %d slash commands to %s", len(synced), f"guild {guild.id}" if guild else "all guilds"
        )

    async def on_app_command_error(
        self, interaction: discord.Interaction[MJBot], error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use this command here."
        else:
            log.error("Command %s failed", interaction.command and interaction.command.name, exc_info=error)
            message = "Something went wrong on our side. Nothing was submitted; please try again."
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)

    async def close(self) -> None:
        """Stop taking work, cancel the background loops; every open job stays resumable in SQLite."""
        await self.registry.close()
        await super().close()
