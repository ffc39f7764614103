"""Every SQL statement of the bot, behind typed methods of one `Store`."""

from bot.storage.reports import GuildStats
from bot.storage.store import (
    OPEN_STATUSES,
    ButtonSpec,
    ClaimResult,
    ProgressUpdate,
    Quota,
    QuotaExceeded,
    Store,
)

__all__ = [
    "OPEN_STATUSES",
    "ButtonSpec",
    "ClaimResult",
    "GuildStats",
    "ProgressUpdate",
    "Quota",
    "QuotaExceeded",
    "Store",
]
