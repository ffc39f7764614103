"""Vary (Region) editor links: a nonce per link, consumed in the same transaction as the click's claim."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

from bot.models import Mode, NewJob
from bot.region.links import RegionTicket
from bot.storage.buttons import ButtonQueries
from bot.storage.types import ClaimResult, Quota

KEEP_SPENT_FOR = 24 * 3600  # seconds an expired link's row is kept (a late visit is told "expired")


class RegionLinkSpent(Exception):
    """The link was used already (or expired) when its job was about to be created."""


def _ticket_from_json(text: str) -> RegionTicket:
    data = json.loads(text)
    return RegionTicket(
        button_id=int(data["button_id"]),
        user_id=int(data["user_id"]),
        guild_id=data.get("guild_id"),
        rules_channel_id=data.get("rules_channel_id"),
        channel_id=int(data["channel_id"]),
        dm=bool(data.get("dm")),
        message_id=data.get("message_id"),
        locale=str(data.get("locale") or "en-US"),
        upload_limit=data.get("upload_limit"),
        mode=Mode(data["mode"]) if data.get("mode") else None,
    )


class RegionLinkQueries(ButtonQueries):
    async def save_region_link(self, nonce: str, expires_at: float, ticket: RegionTicket) -> None:
        """Keep a new link; links expired long ago go at the same time."""
        async with self._transaction():
            await self._db.execute(
                "DELETE FROM region_links WHERE expires_at < ?", (time.time() - KEEP_SPENT_FOR,)
            )
            await self._db.execute(
                "INSERT INTO region_links (nonce, expires_at, data) VALUES (?, ?, ?)",
                (nonce, expires_at, json.dumps(asdict(ticket))),
            )

    async def region_link(self, nonce: str) -> tuple[RegionTicket, bool] | None:
        """The link's ticket and whether it was used; None for an unknown nonce."""
        row = await self._db.fetch_one("SELECT data, used_at FROM region_links WHERE nonce = ?", (nonce,))
        return (_ticket_from_json(row[0]), row[1] is not None) if row else None

    async def claim_with_region_link(
        self, nonce: str, new: NewJob, quota: Quota | None = None
    ) -> ClaimResult:
        """Consume the link and claim its button, in one transaction: the link is spent only with the
        claim, and a second post of the same link claims nothing (RegionLinkSpent).

        One statement both reads and spends the link: on PostgreSQL a second post waits for the first
        one's row lock, then finds `used_at` set (the row is re-checked after the wait) and claims nothing.
        """
        async with self._transaction():
            row = await self._db.fetch_one(
                "UPDATE region_links SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires_at > ?"
                " RETURNING data",
                (time.time(), nonce, time.time()),
            )
            if row is None:
                raise RegionLinkSpent(nonce)
            ticket = _ticket_from_json(row[0])
            return await self.claim_button(ticket.button_id, new, quota)
