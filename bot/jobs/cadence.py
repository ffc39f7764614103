"""How often the poller looks at one task. Pure and deterministic given its random source."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Cadence:
    """Soon after submit; back off while the progress stands still; speed up while it climbs."""

    min_interval: float
    max_interval: float
    first_delay: float | None = None
    backoff: float = 1.5
    jitter: float = 0.1
    rng: random.Random = field(default_factory=random.Random)

    def first(self) -> float:
        return self._jittered(self.first_delay if self.first_delay is not None else self.min_interval / 2)

    def next(self, previous: float, progressed: bool) -> float:
        base = (
            self.min_interval
            if progressed
            else min(self.max_interval, max(previous, self.min_interval) * self.backoff)
        )
        return self._jittered(base)

    def _jittered(self, seconds: float) -> float:
        return seconds * self.rng.uniform(1 - self.jitter, 1 + self.jitter)
