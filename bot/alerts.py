"""Operator alerts: an outage only the operator can fix (credit, key, an unreachable API) is told once.

Each server hears of an outage once, in the channel set with `/admin alerts`, or else by DM to its owner,
when one of its jobs first meets it. A later accepted submit ends the outage; the next one is told anew.
What was told is kept in the database, so a restart does not tell it again.
"""

from __future__ import annotations

import json
import logging

import discord

from bot.i18n import t
from bot.jobs.outcomes import Outage
from bot.policy import Policies
from bot.storage import Store
from bot.tasks import TaskRegistry

log = logging.getLogger(__name__)

TOLD_KEY = "alerts:told"  # meta: the (outage, guild id) pairs already told


class OperatorAlerts:
    """The engine's OutageSink: it tells each server's admins, once per outage."""

    def __init__(
        self, client: discord.Client, store: Store, policies: Policies, registry: TaskRegistry
    ) -> None:
        self._client = client
        self._store = store
        self._policies = policies
        self._registry = registry
        self._told: set[tuple[Outage, int]] = set()

    async def load(self) -> None:
        saved = await self._store.get_meta(TOLD_KEY)
        for kind, guild_id in json.loads(saved) if saved else []:
            self._told.add((Outage(kind), int(guild_id)))

    def outage(self, kind: Outage, guild_id: int | None) -> None:
        if guild_id is None or (kind, guild_id) in self._told:
            return
        if not any(told_kind is kind for told_kind, _ in self._told):
            log.error("Outage: %s (the servers' admins are told once each)", kind.value)
        self._told.add((kind, guild_id))
        self._registry.spawn(self._tell(kind, guild_id), name=f"alert-{kind.value}-{guild_id}")

    def recovered(self) -> None:
        if not self._told:
            return
        log.info(
            "The MJ API accepts jobs again: the outage (%s) is over",
            ", ".join(sorted({k for k, _ in self._told})),
        )
        self._told.clear()
        self._registry.spawn(self._store.set_meta(TOLD_KEY, "[]"), name="alerts-cleared")

    async def _tell(self, kind: Outage, guild_id: int) -> None:
        await self._store.set_meta(TOLD_KEY, json.dumps(sorted([k.value, g] for k, g in self._told)))
        guild = self._client.get_guild(guild_id)
        lang = str(guild.preferred_locale) if guild is not None else None
        text = t(lang, f"alert.{kind.value}")
        channel_id = self._policies.get(guild_id).alert_channel_id
        try:
            if channel_id is not None:
                channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
                await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
            elif guild is not None and guild.owner_id is not None:
                owner = await self._client.create_dm(discord.Object(guild.owner_id))
                await owner.send(t(lang, "alert.dm_prefix", guild=guild.name) + "\n" + text)
            else:
                log.warning("No way to tell guild %s of the %s outage", guild_id, kind.value)
        except discord.HTTPException as err:
            log.warning("Could not tell guild %s of the %s outage: %s", guild_id, kind.value, err)
