"""How often the engine looks at running tasks and how soon it resends: tuning, named here once.

These are not settings an operator tunes. Tests and the benchmark, which squeeze minutes into seconds,
pass their own `Timing` to the composition root (`open_bot`).
"""

from __future__ import annotations

from dataclasses import dataclass

POLL_MIN_INTERVAL = 5.0  # seconds between two fetches of one task while it moves (per-task polling)
POLL_MAX_INTERVAL = 30.0  # … and at most this long while it does not
BATCH_POLL_INTERVAL = 0.5  # the steady batch cadence, before the relay's refresh clock is learned
BATCH_GAP = 0.5  # at least this long between two batch requests, whatever the clock asks
RETRY_BASE = 5.0  # seconds before a busy submit is sent again; it doubles each time
MJ_TIMEOUT = 30.0  # seconds one request to the MJ API may take


@dataclass(frozen=True, slots=True)
class Timing:
    poll_min: float = POLL_MIN_INTERVAL
    poll_max: float = POLL_MAX_INTERVAL
    batch_poll: float = BATCH_POLL_INTERVAL
    batch_gap: float = BATCH_GAP
    retry_base: float = RETRY_BASE
    mj_timeout: float = MJ_TIMEOUT


DEFAULT_TIMING = Timing()
