"""Every SQL statement of the bot, behind typed methods of one `Store`."""

from bot.storage.base import MissingJob
from bot.storage.region_links import RegionLinkSpent
from bot.storage.reports import GuildStats
from bot.storage.store import Store, open_store
from bot.storage.types import (
    AdmissionLost,
    ButtonSpec,
    ClaimResult,
    CooldownActive,
    Lease,
    ProgressUpdate,
    Quota,
    QuotaExceeded,
)

__all__ = [
    "AdmissionLost",
    "ButtonSpec",
    "ClaimResult",
    "CooldownActive",
    "GuildStats",
    "Lease",
    "MissingJob",
    "ProgressUpdate",
    "Quota",
    "QuotaExceeded",
    "RegionLinkSpent",
    "Store",
    "open_store",
]
