"""How fast the delivery writer may write to Discord: per channel and for the whole bot.

Discord allows about 5 message writes per channel per 5 s; progress edits use only part of each window,
so a finished job's result never waits long behind them.
"""

from __future__ import annotations

from collections import deque

PROGRESS_CHANNEL_RESERVE = 3  # slots of each channel's window that progress edits leave to results
PRUNE_ABOVE = 256  # channels tracked before idle ones are forgotten


class ChannelBudget:
    """A sliding window per channel (Discord: about 5 message writes per 5 s) and one global window."""

    def __init__(
        self, per_channel: tuple[int, float] = (5, 5.0), per_bot: tuple[int, float] = (45, 1.0)
    ) -> None:
        self._channel_limit, self._channel_window = per_channel
        self._global_limit, self._global_window = per_bot
        self._channels: dict[int, deque[float]] = {}
        self._global: deque[float] = deque()

    def wait_time(self, channel_id: int, now: float, *, progress: bool = False) -> float:
        """Seconds until a write to this channel fits the budget (0 when it fits now).

        Progress edits may use only part of each window, so a finished job's result never waits long.
        """
        channel_limit = self._channel_limit - PROGRESS_CHANNEL_RESERVE if progress else self._channel_limit
        global_limit = self._global_limit // 2 if progress else self._global_limit
        sent = self._channels.setdefault(channel_id, deque())
        return max(
            0.0,
            self._window_wait(sent, channel_limit, self._channel_window, now),
            self._window_wait(self._global, global_limit, self._global_window, now),
        )

    @staticmethod
    def _window_wait(sent: deque[float], limit: int, window: float, now: float) -> float:
        while sent and now - sent[0] >= window:
            sent.popleft()
        if len(sent) < limit:
            return 0.0
        return sent[len(sent) - limit] + window - now

    def restamp(self, channel_id: int, spent_at: float, now: float) -> None:
        """Move a spent slot to the moment its request really leaves (after a download, say)."""
        for sent in (self._channels.setdefault(channel_id, deque()), self._global):
            if spent_at in sent:
                sent.remove(spent_at)
            sent.append(now)

    def spend(self, channel_id: int, now: float) -> None:
        self._channels.setdefault(channel_id, deque()).append(now)
        self._global.append(now)
        if len(self._channels) > PRUNE_ABOVE:
            self._prune(now)

    def _prune(self, now: float) -> None:
        """Forget channels with nothing in their window (a DM channel per user would only pile up)."""
        idle = [c for c, sent in self._channels.items() if not sent or now - sent[-1] >= self._channel_window]
        for channel_id in idle:
            del self._channels[channel_id]

    def tracked_channels(self) -> int:
        return len(self._channels)
