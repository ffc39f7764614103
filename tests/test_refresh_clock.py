"""The refresh clock against simulated sources: a table refreshed every period, and a live one."""

from __future__ import annotations

import itertools
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
    unlocked_at: list[float]  # when a locked clock let go

    def polls_per_refresh(self, refreshes: int) -> float:
        return self.polls / refreshes


def simulate(
    refresh_times: list[float],
    duration: float,
    *,
    changes: Callable[[int], bool] = lambda _: True,
    answer_time: Callable[[int], float] = lambda _: 0.02,
    learn_until: float = 0.0,
) -> Run:
    """Poll as the clock says (or at the steady cadence); count polls and lags after `learn_until`.
    The relay reads its table when a poll arrives; `answer_time(n)` is how long the nth answer takes."""
    clock = RefreshClock(cadence=CADENCE)
    now, last_poll, polls, lags, unlocked_at = 0.0, -1.0, 0, [], []
    for sent in itertools.count():
        if now >= duration:
            break
        due = clock.due(now)
        now = max(now, due) if due is not None else now + CADENCE
        seen = [i for i, at in enumerate(refresh_times) if last_poll < at <= now]
        changed = any(changes(i) for i in seen)
        was_locked, took = clock.locked, answer_time(sent)
        clock.observe(now, now + took, changed)
        if was_locked and not clock.locked:
            unlocked_at.append(now)
        if now >= learn_until:
            polls += 1
            lags += [now - refresh_times[i] for i in seen if changes(i)]
        last_poll = now
        now += took
    return Run(polls, lags, clock, unlocked_at)


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


def test_a_slow_answer_now_and_then_never_unlocks_the_clock() -> None:
    """A relay that takes seconds over one big answer (a thousand rows, a busy moment) says only that its
    table changed somewhere in that span: too vague to move a clock that knows the period."""
    rng = random.Random(11)
    refreshes = [3.0 + 15.1 * k for k in range(100)]
    slow = {n for n in range(2000) if rng.random() < 0.15}
    run = simulate(refreshes, 1500, answer_time=lambda n: 2.5 if n in slow else 0.02, learn_until=120)
    assert run.clock.locked and not run.unlocked_at, f"the clock let go at {run.unlocked_at}"
    assert run.polls <= (1500 - 120) / CADENCE / 10
    assert percentile(run.lags, 0.5) <= 0.5, "a refresh is seen just after it, but behind a slow answer"


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
