"""Waiting longer after each failure: the one rule for every retry the bot schedules, and its usual cap."""

from __future__ import annotations

LONGEST_WAIT = 300.0  # seconds: no retry of a submit or a delivery waits longer than this


def backoff(attempt: int, first: float, longest: float = LONGEST_WAIT) -> float:
    """Seconds before try `attempt + 1`: `first`, then twice as long each time, at most `longest`."""
    return min(longest, first * 2.0 ** max(0, attempt - 1))
