"""Every SQL statement of the bot, behind typed methods of one `Store`."""

from bot.storage.reports import GuildStats
from bot.storage.store import (
    OPEN_STATUSES,
    AdmissionLost,
    ButtonSpec,
    ClaimResult,
    CooldownActive,
    ProgressUpdate,
    Quota,
    QuotaExceeded,
    Store,
)

__all__ = [
    "OPEN_STATUSES",
    "AdmissionLost",
    "ButtonSpec",
    "ClaimResult",
    "CooldownActive",
    "GuildStats",
    "ProgressUpdate",
    "Quota",
    "QuotaExceeded",
    "Store",
]
