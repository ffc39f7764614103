"""The benchmark's figures for one run, and the table that prints them."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass
class RunResult:
    label: str
    jobs: int
    delivered: int
    http_429: int
    lag: tuple[float, float, float]  # finish (upstream SUCCESS) → image, p50/p95/p99 s
    table_lag: tuple[float, float, float]  # the relay's table showing SUCCESS → image, p50/p95/p99 s
    seen_lag: tuple[float, float, float]  # the table showing SUCCESS → a poll answered with it (the relay)
    mj_rps: float
    poll_rps: float
    polls_per_100_running: float  # poll requests per minute of job time per 100 running jobs
    fetches_per_task_minute: float
    peak_rss_mb: float
    loop_lag_p99_ms: float  # nan when the bot ran without the probe (`python -m bot`)
    cpu_per_job_ms: float
    wall: float
    takeover: float | None = None  # seconds from a process's SIGKILL until the others held its jobs


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)


def overlap_seconds(intervals: Iterable[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of the intervals that fall within [start, end], summed (jobs running at once add up)."""
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)


def proc_figures(pid: int) -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds) of a live process, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return hwm / 1024, (int(fields[11]) + int(fields[12])) / ticks


def _lags(lag: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in lag)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b > 0 and not math.isnan(a) and not math.isnan(b) else "–"


Column = tuple[str, Callable[[RunResult], str], Callable[[RunResult, RunResult], str]]
COLUMNS: list[Column] = [
    ("delivered", lambda r: f"{r.delivered}/{r.jobs}", lambda n, b: ""),
    ("Discord 429s", lambda r: str(r.http_429), lambda n, b: ""),
    (
        "finish→image lag p50/p95/p99 s",
        lambda r: _lags(r.lag),
        lambda n, b: f"{_ratio(n.lag[0], b.lag[0])} p50",
    ),
    (
        "table SUCCESS→poll saw it p50/p95/p99 s",
        lambda r: _lags(r.seen_lag),
        lambda n, b: f"{_ratio(n.seen_lag[0], b.seen_lag[0])} p50",
    ),
    (
        "table SUCCESS→image lag p50/p95/p99 s",
        lambda r: _lags(r.table_lag),
        lambda n, b: f"{_ratio(n.table_lag[0], b.table_lag[0])} p50",
    ),
    (
        "MJ req/s (polls)",
        lambda r: f"{r.mj_rps:.1f} ({r.poll_rps:.1f})",
        lambda n, b: f"{_ratio(n.poll_rps, b.poll_rps)} polls",
    ),
    (
        "polls/min per 100 running jobs",
        lambda r: f"{r.polls_per_100_running:.1f}",
        lambda n, b: _ratio(n.polls_per_100_running, b.polls_per_100_running),
    ),
    ("per-task fetches per task-minute", lambda r: f"{r.fetches_per_task_minute:.1f}", lambda n, b: ""),
    ("peak RSS MB", lambda r: f"{r.peak_rss_mb:.0f}", lambda n, b: _ratio(n.peak_rss_mb, b.peak_rss_mb)),
    (
        "loop lag p99 ms",
        lambda r: "n/a" if math.isnan(r.loop_lag_p99_ms) else f"{r.loop_lag_p99_ms:.1f}",
        lambda n, b: _ratio(n.loop_lag_p99_ms, b.loop_lag_p99_ms),
    ),
    (
        "CPU ms/job",
        lambda r: f"{r.cpu_per_job_ms:.1f}",
        lambda n, b: _ratio(n.cpu_per_job_ms, b.cpu_per_job_ms),
    ),
    ("wall s", lambda r: f"{r.wall:.0f}", lambda n, b: ""),
    ("takeover s", lambda r: "–" if r.takeover is None else f"{r.takeover:.1f}", lambda n, b: ""),
]


def table(rows: list[list[RunResult]]) -> str:
    """One line per run, and per N a "naive ÷ batch" line when both ran."""
    lines = [
        "| N | run | " + " | ".join(name for name, _, _ in COLUMNS) + " |",
        "|" + "---|" * (len(COLUMNS) + 2),
    ]
    for runs in rows:
        for run in runs:
            lines.append(
                f"| {run.jobs} | {run.label} | " + " | ".join(cell(run) for _, cell, _ in COLUMNS) + " |"
            )
        by_label = {run.label.split(",")[0]: run for run in runs}  # by mode
        if "batch" in by_label and "naive" in by_label:
            naive, batch = by_label["naive"], by_label["batch"]
            cells = " | ".join(ratio(naive, batch) for _, _, ratio in COLUMNS)
            lines.append(f"| {batch.jobs} | naive ÷ batch | {cells} |")
    return "\n".join(lines)
