"""Permutation prompts waiting for confirmation: a JSON document per row, typed at this edge."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from bot.models import BotType, Mode, NewJob, PendingPrompts
from bot.storage.base import StoreBase
from bot.storage.inputs import inputs_from_data


def _to_json(pending: PendingPrompts) -> str:
    return json.dumps(
        {
            "template": asdict(pending.template),
            "prompts": list(pending.prompts),
            "rules_channel_id": pending.rules_channel_id,
            "explicit_mode": pending.explicit_mode,
            "by_dm": pending.by_dm,
        }
    )


def _from_json(text: str, created_at: float) -> PendingPrompts:
    data = json.loads(text)
    template = dict(data["template"])
    template["mode"] = Mode(template["mode"]) if template.get("mode") else None
    template["bot_type"] = BotType(template["bot_type"]) if template.get("bot_type") else None
    template["inputs"] = inputs_from_data(template["inputs"]) if template.get("inputs") else None
    return PendingPrompts(
        template=NewJob(**template),
        prompts=tuple(data["prompts"]),
        rules_channel_id=data.get("rules_channel_id"),
        explicit_mode=bool(data.get("explicit_mode")),
        by_dm=bool(data.get("by_dm")),
        created_at=datetime.fromtimestamp(created_at, UTC),
    )


class PendingQueries(StoreBase):
    async def save_pending(self, pending: PendingPrompts) -> int:
        row = await self._db.fetch_one(
            "INSERT INTO pending_prompts (user_id, created_at, data) VALUES (?, ?, ?) RETURNING id",
            (pending.template.user_id, pending.created_at.timestamp(), _to_json(pending)),
        )
        if row is None:
            raise RuntimeError("the insert returned no id")
        return int(row[0])

    async def take_pending(self, pending_id: int, user_id: int) -> PendingPrompts | None:
        """The user's pending prompts, removed so they are answered once; None if gone or not theirs."""
        row = await self._db.fetch_one(
            "DELETE FROM pending_prompts WHERE id = ? AND user_id = ? RETURNING data, created_at",
            (pending_id, user_id),
        )
        return _from_json(row[0], row[1]) if row else None

    async def prune_pending(self, before: datetime) -> int:
        """Forget questions nobody answered; answers the number removed."""
        return await self._db.execute(
            "DELETE FROM pending_prompts WHERE created_at < ?", (before.timestamp(),)
        )
