"""The refresh clock against simulated sources: a table refreshed every period, and a live one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bot.jobs.refresh_clock import RefreshClock

CADENCE = 0.5


@dataclass
class Run:
    polls: int
    lags: list[float]  # from each refresh to the first poll that saw it
    clock: RefreshClock

    def polls_per_refresh(self, refreshes: int) -> float:
        return self.polls / refreshes


def simulate(
    refresh_times: list[float],
    duration: float,
    *,
    changes: Callable[[int], bool] = lambda _: True,
    answer_time: float = 0.02,
    learn_until: float = 0.0,
) -> Run:
    """Poll as the clock says (or at the steady cadence); count polls and lags after `learn_until`."""
    clock = RefreshClock(cadence=CADENCE)
    now, last_poll, polls, lags = 0.0, -1.0, 0, []
    while now < duration:
        due = clock.due(now)
        now = max(now, due) if due is not None else now + CADENCE
        seen = [i for i, at in enumerate(refresh_times) if last_poll < at <= now]
        changed = any(changes(i) for i in seen)
        clock.observe(now, now + answer_time, changed)
        if now >= learn_until:
            polls += 1
            lags += [now - refresh_times[i] for i in seen if changes(i)]
        last_poll = now
        now += answer_time
    return Run(polls, lags, clock)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_a_table_refreshed_every_15_s_is_polled_once_or_twice_per_refresh() -> None:
    rng = random.Random(7)
    # new-api sleeps 15 s, then spends a little time refreshing: the period is a bit over 15 s.
    refreshes = []
    at = 3.7
    while at < 1200:
        refreshes.append(at)
        at += 15.0 + rng.uniform(0.05, 0.25)
    run = simulate(refreshes, 1200, learn_until=120)
    assert run.clock.locked and run.clock.period is not None and 15.0 < run.clock.period < 15.4
    steady = (1200 - 120) / CADENCE
    assert run.polls <= steady / 10, f"{run.polls} polls where steady polling makes {steady:.0f}"
    assert percentile(run.lags, 0.95) <= 1.0, "a refresh is seen within about a second"


def test_quiet_refreshes_keep_the_rhythm_and_cost_little() -> None:
    refreshes = [2.0 + 15.0 * k for k in range(80)]
    # Rows change at one refresh in three (jobs waiting in midjourney-proxy's queue change nothing).
    run = simulate(refreshes, 1200, changes=lambda i: i < 6 or i % 3 == 0, learn_until=120)
    assert run.clock.locked
    assert run.polls <= (1200 - 120) / CADENCE / 10
    assert percentile(run.lags, 0.95) <= 1.0


def test_a_drifting_refresh_is_followed() -> None:
    # The upstream grows slower: each refresh takes 20 ms longer than the last.
    refreshes, at, cost = [], 1.0, 0.1
    while at < 1500:
        refreshes.append(at)
        cost += 0.02
        at += 15.0 + cost
    run = simulate(refreshes, 1500, learn_until=120)
    assert run.clock.locked
    assert percentile(run.lags, 0.95) <= 1.5


def test_a_live_source_keeps_the_steady_cadence() -> None:
    # A direct midjourney-proxy: progress moves every second or so.
    rng = random.Random(3)
    changes, at = [], 0.0
    while at < 300:
        at += rng.uniform(0.3, 1.5)
        changes.append(at)
    run = simulate(changes, 300)
    assert not run.clock.locked
    assert run.polls >= 0.9 * 300 / CADENCE, "unlocked, the poller keeps its own cadence"
    assert percentile(run.lags, 0.95) <= 1.0


def test_after_an_idle_hour_the_clock_catches_up_without_a_burst() -> None:
    clock = RefreshClock(cadence=CADENCE)
    for k in range(4):
        at = 10.0 + 15.0 * k
        clock.observe(at - 0.3, at + 0.2, False)
        clock.observe(at + 0.2, at + 0.25, True)
    assert clock.locked
    later = 10.0 + 15.0 * 240 + 4.0  # an hour on, 4 s after a refresh
    due = clock.due(later)
    assert due is not None and later < due <= later + 15.0
