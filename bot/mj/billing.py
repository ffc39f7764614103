"""The key's credit at the relay, from new-api's OpenAI-style billing routes (controller/billing.go)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeGuard

UNLIMITED_USD = 100_000_000  # new-api controller/billing.go GetSubscription: an unlimited token's amount


@dataclass(frozen=True, slots=True)
class Balance:
    """The key's credit at the relay, in US dollars (new-api's OpenAI-style billing routes)."""

    limit_usd: float
    used_usd: float

    @property
    def unlimited(self) -> bool:
        return self.limit_usd >= UNLIMITED_USD

    @property
    def left_usd(self) -> float:
        return max(0.0, self.limit_usd - self.used_usd)

    @classmethod
    def from_api(cls, subscription: object, usage: object) -> Balance | None:
        """`subscription` has `hard_limit_usd`; `usage` has `total_usage` in cents. None if either lacks it."""
        if not isinstance(subscription, dict) or not isinstance(usage, dict):
            return None
        limit, used = subscription.get("hard_limit_usd"), usage.get("total_usage")
        if not (_is_amount(limit) and _is_amount(used)):
            return None
        return cls(float(limit), float(used) / 100)


def _is_amount(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
