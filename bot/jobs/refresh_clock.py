"""When to poll a relay that answers from its own table, refreshed from upstream every ~15 s.

new-api answers `fetch` and `list-by-condition` from its task table, and a loop refreshes that table
about every 15 s (controller/midjourney.go UpdateMidjourneyTaskBulk: sleep 15 s, then refresh). Polling
twice a second sees something new in one answer of thirty. The clock learns the refresh period and its
phase from when rows change, then asks for one poll just after each expected refresh, a check just before
it now and then (to notice drift), and a few more when a refresh comes late.

A source whose rows change poll after poll (a direct midjourney-proxy answers live), or at no steady
period, leaves the clock unlocked: the poller keeps its steady cadence.

Pure: the caller passes the time (monotonic seconds). Every span is in units of the steady cadence or of
the learned period, so the same clock serves a 15 s relay and a test relay of half a second.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field

BURST_POLLS = 3  # changes within this many steady polls of each other belong to one refresh
LIVE_POLLS = 5  # changes on this many steady polls in a row: the source answers live
LOCK_AFTER = 3  # refreshes seen at one period before the clock trusts it
TOLERANCE = 0.12  # how far, as a share of the period, a refresh may fall from where it was expected
AFTER = (0.02, 0.3)  # the poll after an expected refresh: this share of the period, capped in seconds
BEFORE = (0.02, 0.3)  # the drift check just before it
LATE = ((0.06, 0.8), (0.13, 1.8), (0.25, 3.5))  # later polls when the refresh has not shown yet
CHECK_EVERY = 4  # refreshes between two drift checks
CHECKS_SEEING_CHANGE = 3  # drift checks in a row that already see changes: the source is live
VAGUE_SPAN = 4  # steady polls: a change seen over a longer span (a slow answer) cannot place a refresh
LIVE_HOLD_POLLS = 600  # once found live, this many steady polls before the clock tries to learn again
QUIET_AFTER = 2  # expected refreshes in a row without any change: only the first late poll is made


def _offset(period: float, share_and_cap: tuple[float, float]) -> float:
    share, cap = share_and_cap
    return min(period * share, cap)


@dataclass(slots=True)
class RefreshClock:
    """Learns `period` and `last_refresh` from polls that saw rows change; `due()` says when to poll."""

    cadence: float  # the steady poll interval the poller uses while the clock is unlocked
    period: float = 0.0  # seconds; 0 until learned
    last_refresh: float = 0.0  # the best estimate of the latest refresh seen; 0 until one was
    locked: bool = False
    _last_sent: float | None = None
    _events: deque[float] = field(default_factory=lambda: deque(maxlen=8))  # estimated refresh times
    _burst_start: float | None = None  # the first change of the current run of changed polls
    _run: int = 0  # steady polls in a row that saw changes
    _schedule: list[float] = field(default_factory=list)  # this cycle's polls, soonest first
    _expected: float = 0.0  # this cycle's expected refresh
    _cycle: int = 0
    _quiet: int = 0  # cycles in a row with no change at all
    _checks_changed: int = 0  # drift checks in a row that saw a change already
    _hold: int = 0  # steady polls left before learning again (after a live source was found)

    # -- what the poller asks -----------------------------------------------------------------------

    def due(self, now: float) -> float | None:
        """When the next poll should go out, or None to use the steady cadence."""
        if not self.locked:
            return None
        if not self._schedule:
            self._plan_cycle(now)
        return self._schedule[0]

    # -- what the poller reports --------------------------------------------------------------------

    def observe(self, sent_at: float, answered_at: float, changed: bool) -> None:
        """A poll left at `sent_at` and was answered at `answered_at`; `changed` when any row moved."""
        earliest, self._last_sent = self._last_sent, sent_at
        # The table changed after the previous poll was read and before this answer came: a slow answer
        # leaves that span too wide to place the refresh in, so it may say that rows moved, not when.
        vague = earliest is None or answered_at - earliest > VAGUE_SPAN * self.cadence
        if self.locked:
            self._observe_locked(earliest, answered_at, changed, vague)
        else:
            self._observe_learning(earliest, answered_at, changed, vague)

    # -- learning -------------------------------------------------------------------------------------

    def _observe_learning(
        self, earliest: float | None, answered_at: float, changed: bool, vague: bool
    ) -> None:
        if self._hold:
            self._hold -= 1
            return
        if not changed:
            self._run = 0
            return
        self._run += 1
        if self._run >= LIVE_POLLS:
            self._found_live()
            return
        burst = BURST_POLLS * self.cadence
        if self._burst_start is not None and answered_at - self._burst_start < burst:
            return  # the same refresh, still being written when the last poll went out
        self._burst_start = answered_at
        if earliest is not None and not vague:
            self._add_event((earliest + answered_at) / 2)

    def _add_event(self, estimate: float) -> None:
        self._events.append(estimate)
        self.last_refresh = estimate
        period = self._learned_period()
        if period is None:
            self.locked = False
            return
        self.period = period
        if len(self._events) >= LOCK_AFTER and not self.locked:
            self.locked = True
            self._schedule = []
            self._cycle = 0

    def _learned_period(self) -> float | None:
        """The period that explains every gap between refreshes as a whole number of periods."""
        times = list(self._events)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        if not gaps:
            return self.period or None
        base = min(gaps)
        if base < BURST_POLLS * self.cadence:
            return None
        # The shortest gap names the period's multiples; their mean is the period each gap is held to,
        # so one short gap among many does not throw out the long ones.
        counts = [max(1, round(gap / base)) for gap in gaps]
        period = sum(gaps) / sum(counts)
        if any(abs(gap / period - count) > TOLERANCE for gap, count in zip(gaps, counts, strict=True)):
            self._events = deque(times[-1:], maxlen=self._events.maxlen)  # no steady period: start again
            return None
        return period

    # -- locked -------------------------------------------------------------------------------------

    def _plan_cycle(self, now: float) -> None:
        """The polls around the next refresh that is not already past (after a quiet hour, too)."""
        period = self.period
        late_max = _offset(period, LATE[-1])
        cycles = max(1, math.ceil((now - late_max - self.last_refresh) / period))
        expected = self.last_refresh + cycles * period
        self._expected = expected
        polls = [expected + _offset(period, AFTER)]
        if self._cycle % CHECK_EVERY == 0:
            polls.insert(0, expected - _offset(period, BEFORE))
        late = LATE[:1] if self._quiet >= QUIET_AFTER else LATE
        polls += [expected + _offset(period, step) for step in late]
        self._schedule = [max(poll, now) for poll in polls]

    def _observe_locked(self, earliest: float | None, answered_at: float, changed: bool, vague: bool) -> None:
        if not self._schedule:
            self._plan_cycle(answered_at)
        expected, period = self._expected, self.period
        if not changed:
            if answered_at < expected:
                self._checks_changed = 0  # the drift check saw nothing yet: as it should
            if answered_at >= self._schedule[0]:
                self._schedule.pop(0)
            if not self._schedule:  # the refresh never showed: keep the rhythm, quieter
                self._quiet += 1
                self.last_refresh = expected
                self._cycle += 1
            return
        if answered_at - self.last_refresh < BURST_POLLS * self.cadence:
            return  # more of the refresh just counted (the other fetches of one round)
        self._quiet = 0
        if answered_at < expected:
            # Seen by the drift check: the refresh came early. Move well before it, and check again.
            self._checks_changed += 1
            if self._checks_changed >= CHECKS_SEEING_CHANGE:
                self._found_live()  # rows moved before every expected refresh: nothing is periodic
                return
            estimate = answered_at - 2 * _offset(period, BEFORE)
            self._cycle = 0
        else:
            if earliest is not None and earliest < expected <= answered_at:
                estimate = expected  # seen where it was expected
            elif vague:
                self._schedule, self.last_refresh = [], expected  # keep the rhythm; learn nothing
                return
            elif earliest is not None and answered_at - earliest <= 2 * self.cadence:
                estimate = (earliest + answered_at) / 2
            else:
                estimate = answered_at  # seen late: the latest it can have been
            in_step = abs(estimate - expected) <= TOLERANCE * period
            self._cycle = self._cycle + 1 if in_step else 0
        self._schedule = []
        self._events.append(estimate)
        self.last_refresh = estimate
        learned = self._learned_period()
        if learned is None:
            self._unlock()
        else:
            self.period = learned

    def _found_live(self) -> None:
        self._unlock()
        self._events.clear()
        self._hold = LIVE_HOLD_POLLS

    def _unlock(self) -> None:
        self.locked = False
        self.period = 0.0
        self._schedule = []
        self._cycle = self._quiet = self._run = self._checks_changed = 0
        self._burst_start = None
