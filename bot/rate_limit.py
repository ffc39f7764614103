"""A per-user sliding window: at most `limit` uses in `window` seconds. Memory stays small: idle users are
forgotten as their windows empty."""

from __future__ import annotations

from collections import deque


class RateLimit:
    def __init__(self, limit: int, window: float) -> None:
        self._limit, self._window = limit, window
        self._uses: dict[int, deque[float]] = {}

    def wait(self, user_id: int, now: float) -> float | None:
        """Take one use now and answer None, or answer the seconds until one is free (taking nothing)."""
        uses = self._uses.setdefault(user_id, deque())
        while uses and now - uses[0] >= self._window:
            uses.popleft()
        if len(uses) >= self._limit:
            return uses[0] + self._window - now
        uses.append(now)
        if len(self._uses) > 1024:
            self._uses = {
                user: used for user, used in self._uses.items() if used and now - used[-1] < self._window
            }
        return None
