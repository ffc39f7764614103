"""Retention: finished jobs older than RETENTION_DAYS are deleted once a day, so the database does not
grow without end. Jobs still open are never touched, nor jobs someone bookmarked (❤️)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from bot.storage import Store

log = logging.getLogger(__name__)

PRUNE_EVERY = 24 * 60 * 60  # seconds


async def prune_forever(store: Store, days: int) -> None:
    """Prune now, then once a day. Run through the task registry's keep_running."""
    while True:
        removed = await store.prune_finished(datetime.now(UTC) - timedelta(days=days))
        if removed:
            log.info("Deleted %d finished jobs older than %d days", removed, days)
        await asyncio.sleep(PRUNE_EVERY)
