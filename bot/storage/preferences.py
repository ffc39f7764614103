"""User and channel defaults, and guild policies: small JSON documents typed at this edge."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Literal

from bot.models import BotType, Defaults, Mode
from bot.policy import GuildPolicy
from bot.storage.base import StoreBase

Scope = Literal["user", "channel"]


def _defaults_json(defaults: Defaults) -> str:
    return json.dumps(
        {
            "mode": defaults.mode,
            "bot_type": defaults.bot_type,
            "aspect": defaults.aspect,
            "version": defaults.version,
            "suffix": defaults.suffix,
            "dm": defaults.dm,
        }
    )


def _defaults(text: str) -> Defaults:
    data = json.loads(text)
    return Defaults(
        mode=Mode(data["mode"]) if data.get("mode") else None,
        bot_type=BotType(data["bot_type"]) if data.get("bot_type") else None,
        aspect=data.get("aspect") or None,
        version=data.get("version") or None,
        suffix=data.get("suffix") or None,
        dm=data.get("dm"),
    )


class PreferenceQueries(StoreBase):
    async def get_defaults(self, scope: Scope, scope_id: int) -> Defaults:
        row = await self._db.fetch_one(
            "SELECT data FROM defaults WHERE scope = ? AND scope_id = ?", (scope, scope_id)
        )
        return _defaults(row[0]) if row else Defaults()

    async def set_defaults(self, scope: Scope, scope_id: int, defaults: Defaults) -> None:
        await self._write_defaults(scope, scope_id, defaults)

    async def update_defaults(
        self, scope: Scope, scope_id: int, change: Callable[[Defaults], Defaults]
    ) -> Defaults:
        """Read, change and write one scope's defaults in one transaction: two quick changes both count."""
        async with self._transaction():
            await self._db.lock(f"defaults:{scope}:{scope_id}")  # the row may not exist yet: no row lock
            defaults = change(await self.get_defaults(scope, scope_id))
            await self._write_defaults(scope, scope_id, defaults)
        return defaults

    async def _write_defaults(self, scope: Scope, scope_id: int, defaults: Defaults) -> None:
        if defaults == Defaults():
            await self._db.execute("DELETE FROM defaults WHERE scope = ? AND scope_id = ?", (scope, scope_id))
            return
        await self._db.execute(
            "INSERT INTO defaults (scope, scope_id, data) VALUES (?, ?, ?)"
            " ON CONFLICT(scope, scope_id) DO UPDATE SET data = excluded.data",
            (scope, scope_id, _defaults_json(defaults)),
        )

    async def get_policies(self) -> dict[int, GuildPolicy]:
        rows = await self._db.fetch_all("SELECT guild_id, data FROM guild_policies")
        return {int(row[0]): GuildPolicy.from_json(row[1]) for row in rows}

    async def set_policy(self, guild_id: int, policy: GuildPolicy) -> None:
        await self._db.execute(
            "INSERT INTO guild_policies (guild_id, data) VALUES (?, ?)"
            " ON CONFLICT(guild_id) DO UPDATE SET data = excluded.data",
            (guild_id, policy.to_json()),
        )
