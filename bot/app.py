"""The bot: one `commands.AutoShardedBot` subclass whose `setup_hook` owns start-up."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from typing import Any, Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import OperatorAlerts
from bot.components import WindowRouter
from bot.config import Settings
from bot.delivery import Writer
from bot.discord_api import use_gateway_of_rest_base
from bot.extras.buttons import ExtrasHandler
from bot.i18n import Translator, t
from bot.jobs.engine import Engine
from bot.jobs.timing import Timing
from bot.metrics import Metrics
from bot.mj.client import MJClient
from bot.policy import Policies
from bot.region.editor import RegionEditor
from bot.replies import tell
from bot.retention import prune_forever
from bot.storage import Store
from bot.tasks import TaskRegistry
from bot.views import modal_text

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.imagine",
    "cogs.actions",
    "cogs.settings",
    "cogs.jobs",
    "cogs.help",
    "cogs.admin",
    "cogs.extras",
    "cogs.blend",
    "cogs.text",
)


class ClickHandler(Protocol):
    """What the job buttons call; implemented by the actions cog."""

    async def action(self, interaction: discord.Interaction[MJBot], button_id: int) -> None: ...
    async def check_again(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...
    async def retry(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...
    async def edit_prompt(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...


class Tree(app_commands.CommandTree["MJBot"]):
    async def interaction_check(self, interaction: discord.Interaction[MJBot]) -> bool:
        """Commands from a server outside ALLOWED_GUILD_IDS are refused (the bot also leaves it)."""
        allowed = interaction.client.settings.allowed_guild_ids
        if allowed and interaction.guild_id is not None and interaction.guild_id not in allowed:
            await interaction.response.send_message(t(interaction.locale, "refuse.guild"), ephemeral=True)
            return False
        return True


class MJBot(commands.AutoShardedBot):
    clicks: ClickHandler
    extras: ExtrasHandler  # the free buttons under a result (cogs/extras.py)

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        mj: MJClient,
        timing: Timing,
        writer_class: type[Writer] = Writer,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        metrics = Metrics()
        # No SHARD_COUNT: discord.py asks GET /gateway/bot for Discord's recommended count, opens them all.
        shards: dict[str, Any] = {"shard_count": settings.shard_count}
        if settings.shard_ids is not None:
            shards["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            http_trace=metrics.trace_config(),
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
            help_command=None,
            tree_cls=Tree,
            **shards,
        )
        self.settings = settings
        self.store = store
        self.mj = mj
        self.registry = TaskRegistry()
        self.policies = Policies(store)
        self.writer = writer_class(self, store, mj)
        self.item_templates: dict[type[discord.ui.DynamicItem[Any]], re.Pattern[str]] = {}
        self.windows = WindowRouter()  # submitted modals, by the formats the cogs add
        self.alerts = OperatorAlerts(self, store, self.policies, self.registry)
        # The Vary (Region) editor page, served only when users can reach it (PUBLIC_BASE_URL).
        self.region_editor = RegionEditor(self) if settings.public_base_url else None
        self.engine = Engine(
            store,
            mj,
            self.writer,
            settings,
            self.registry,
            policies=self.policies,
            alerts=self.alerts,
            timing=timing,
        )
        self.metrics = metrics
        metrics.bind(self)
        self.writer.observe_lag = metrics.lag.observe
        self.tree.error(self.on_app_command_error)

    async def setup_hook(self) -> None:
        if self.settings.discord_api_base:
            await use_gateway_of_rest_base(self.http)
        await self.tree.set_translator(Translator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.policies.load()
        await self.alerts.load()
        await self.engine.start()
        if self.region_editor is not None:
            self.registry.keep_running(self.region_editor.serve, name="region-editor")
        if self.settings.retention_days:
            days = self.settings.retention_days
            self.registry.keep_running(lambda: prune_forever(self.store, days), name="retention")
        if self.syncs_commands:
            await self.sync_commands_if_changed()
        if (port := self.settings.metrics_port) is not None:
            self.registry.keep_running(lambda: self.metrics.serve(port), name="metrics")

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        """Register DynamicItem buttons, remembering their templates for the unknown-button answer."""
        super().add_dynamic_items(*items)
        self.item_templates.update((item, item.__discord_ui_compiled_template__) for item in items)

    def remove_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        super().remove_dynamic_items(*items)
        for item in items:
            self.item_templates.pop(item, None)

    def knows_custom_id(self, custom_id: str) -> bool:
        return any(template.fullmatch(custom_id) for template in self.item_templates.values())

    async def on_interaction(self, interaction: discord.Interaction[MJBot]) -> None:
        """Route submitted windows; answer a window or a button no cog handles (from an older version,
        say): unanswered, the user would see Discord's "This interaction failed"."""
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit:
            if not await self.windows.route(interaction, modal_text(interaction)):
                await tell(interaction, "modal.unsupported")
        elif interaction.type is discord.InteractionType.component and not self.knows_custom_id(custom_id):
            await tell(interaction, "click.unsupported")

    @property
    def syncs_commands(self) -> bool:
        """Only one process syncs the slash commands: the one holding shard 0 (all shards when SHARD_IDS is
        unset). Several processes syncing at once would race for the same digest and Discord's rate limit."""
        return self.settings.shard_ids is None or 0 in self.settings.shard_ids

    def expected_shards(self) -> list[int]:
        """The shards this process opens (known once connecting began when SHARD_COUNT is unset)."""
        if self.settings.shard_ids is not None:
            return list(self.settings.shard_ids)
        return list(range(self.shard_count or 0))

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

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._leave_if_not_allowed(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._leave_if_not_allowed(guild)

    async def _leave_if_not_allowed(self, guild: discord.Guild) -> None:
        allowed = self.settings.allowed_guild_ids
        if allowed and guild.id not in allowed:
            log.warning("Leaving guild %s: it is not in ALLOWED_GUILD_IDS", guild.id)
            await guild.leave()

    async def on_app_command_error(
        self, interaction: discord.Interaction[MJBot], error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            if interaction.response.is_done():
                return  # the check already explained itself
            message = str(error) or t(interaction.locale, "error.not_here")
        else:
            log.error("Command %s failed", interaction.command and interaction.command.name, exc_info=error)
            message = t(interaction.locale, "error.generic")
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)

    async def close(self) -> None:
        """Stop taking work, cancel the background loops; every open job stays resumable in the database,
        and its lease is let go, so another bot process sharing the database carries on at once."""
        await self.registry.close()
        with contextlib.suppress(Exception):  # a database already gone: the leases simply run out
            await self.store.release_leases()
        if not isinstance(self.loop, asyncio.AbstractEventLoop):
            # Never logged in, so discord.py opened nothing; and discord.py 2.7's AutoShardedClient.close()
            # fails then (its event queue is made at login).
            return
        await super().close()
