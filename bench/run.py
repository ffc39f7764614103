"""Load benchmark: the real bot (a process of its own) against the loopback fake MJ API and fake Discord.

    .venv/bin/python -m bench.run --jobs 10 100 1000 --scale 10

For each N it runs the bot on a fresh database per mode: tuned (batch polling where the relay offers it,
adaptive cadence, coalesced edits), per-task and the naive baseline (a per-task poll every 5 s of job
time, and bench/naive_writer.py: every change edited at once), and prints one table with the baseline
beside it as a ratio. Jobs are spread so that no user has more than a couple in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.mj_api import FakeMJ

ROOT = Path(__file__).resolve().parents[1]
USERS_PER_CHANNEL = 5
JOBS_PER_CHANNEL = 10
MIN_CHANNELS = 50
ARRIVAL_RATE = 15.0  # jobs per second: under Discord's global 50 writes/s with progress edits beside


@dataclass
class RunResult:
    label: str
    jobs: int
    delivered: int
    http_429: int
    lag_p50: float
    lag_p95: float
    lag_p99: float
    mj_rps: float
    poll_rps: float
    fetches_per_task_minute: float
    peak_rss_mb: float
    loop_lag_p99_ms: float
    cpu_per_job_ms: float
    wall: float


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def proc_figures(pid: int) -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds) of a live process, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return hwm / 1024, (int(fields[11]) + int(fields[12])) / ticks


async def run_once(jobs: int, scale: float, mode: str, seed: int) -> RunResult:
    naive = mode == "naive"
    rng = random.Random(seed)
    durations = {"IMAGINE": 45.0 / scale}
    mj = FakeMJ(
        default_duration=45.0 / scale,
        durations=durations,
        batch_enabled=mode == "batch",
        queue_delay=2.0 / scale,
    )
    discord = FakeDiscord(validate_openapi=False)
    await mj.start()
    await discord.start()
    channels = [discord.channel_id] + [
        discord.add_channel(f"c{i}") for i in range(max(4, jobs // JOBS_PER_CHANNEL - 1))
    ]
    # Enough users that each has at most a couple of jobs in flight: the per-user limit never holds one.
    user_count = max(len(channels) * USERS_PER_CHANNEL, math.ceil(jobs / 2))
    users = [discord.add_user(f"u{i}") for i in range(user_count)]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DISCORD_TOKEN": discord.bot_token,
            "MJ_API_KEY": mj.api_key,
            "MJ_BASE_URL": mj.base_url,
            "DATABASE_PATH": str(Path(tmp) / "bench.sqlite3"),
            "GUILD_ID": str(discord.guild_id),
            "DISCORD_API_BASE": discord.api_base,
            "POLL_MIN_INTERVAL": str(5.0 / scale if naive else 6.0 / scale),
            "POLL_MAX_INTERVAL": str(5.0 / scale if naive else 30.0 / scale),
            "BATCH_POLL_INTERVAL": "0.5",
        }
        stats_path = Path(tmp) / "stats.json"
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bot_process", str(stats_path), *(["--naive"] if naive else []), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await discord.wait_ready(timeout=30)
        await asyncio.sleep(0.5)
        started = time.monotonic()
        interactions = []
        for i in range(jobs):
            channel = channels[i % len(channels)]
            user = users[i % len(users)]
            interactions.append(
                await discord.invoke(
                    "imagine", {"prompt": f"bench job {i}"}, user_id=user, channel_id=channel
                )
            )
            await asyncio.sleep(rng.expovariate(ARRIVAL_RATE))
        deadline = started + jobs / ARRIVAL_RATE + 45.0 / scale * 3 + (120 if naive else 60)

        def delivered() -> int:
            return sum(1 for m in discord.messages.values() if m.attachments)

        with contextlib.suppress(TimeoutError):
            await discord.wait_for(lambda: delivered() >= jobs, timeout=deadline - time.monotonic())
        wall = time.monotonic() - started
        rss, cpu = proc_figures(bot.pid)
        bot.terminate()
        _, err = await bot.communicate()
        if bot.returncode not in (0, -15) or delivered() < jobs:
            print(
                err.decode()[-3000:],
                {r: mj.count(r) for r in {q.route for q in mj.requests}},
                file=sys.stderr,
            )
        stats = json.loads(stats_path.read_text()) if stats_path.exists() else {"loop_lag": []}

    lags = []
    for interaction in interactions:
        message = discord.messages.get(interaction.message_id or 0)
        if message is None or not message.attachments:
            continue
        task_id = message.attachments[0].filename.split(".")[0]
        if task_id in mj.success_at:
            lags.append(message.attachment_added_at - mj.success_at[task_id])
    lookups = mj.count("GET /mj/task/{id}/fetch")
    task_minutes = sum(t.queue_delay + t.duration for t in mj.tasks.values()) * scale / 60
    result = RunResult(
        label=mode,
        jobs=jobs,
        delivered=delivered(),
        http_429=discord.rate_limited,
        lag_p50=percentile(lags, 0.5),
        lag_p95=percentile(lags, 0.95),
        lag_p99=percentile(lags, 0.99),
        mj_rps=len(mj.requests) / wall,
        poll_rps=sum(mj.count(r) for r in ("GET /mj/task/{id}/fetch", "POST /mj/task/list-by-condition"))
        / wall,
        fetches_per_task_minute=lookups / task_minutes if task_minutes else 0.0,
        peak_rss_mb=rss,
        loop_lag_p99_ms=percentile(stats["loop_lag"], 0.99) * 1000,
        cpu_per_job_ms=cpu / jobs * 1000,
        wall=wall,
    )
    await discord.close()
    await mj.close()
    return result


def table(rows: list[list[RunResult]]) -> str:
    header = (
        "| N | run | delivered | Discord 429s | finish→image lag p50/p95/p99 s | MJ req/s (polls) | per-task fetches per task-minute "
        "| peak RSS MB | loop lag p99 ms | CPU ms/job |"
    )
    lines = [header, "|" + "---|" * 10]
    for runs in rows:
        for r in runs:
            lines.append(
                f"| {r.jobs} | {r.label} | {r.delivered}/{r.jobs} | {r.http_429} | "
                f"{r.lag_p50:.2f}/{r.lag_p95:.2f}/{r.lag_p99:.2f} | {r.mj_rps:.1f} ({r.poll_rps:.1f}) | {r.fetches_per_task_minute:.1f} | "
                f"{r.peak_rss_mb:.0f} | {r.loop_lag_p99_ms:.1f} | {r.cpu_per_job_ms:.1f} |"
            )
        batch, naive = runs[0], runs[-1]
        per_task = next((r for r in runs if r.label == "per-task"), naive)
        lines.append(
            f"| {batch.jobs} | naive ÷ batch | | | {naive.lag_p50 / batch.lag_p50:.1f}× p50 | "
            f"{naive.poll_rps / batch.poll_rps:.1f}× polls | {naive.fetches_per_task_minute / max(per_task.fetches_per_task_minute, 1e-9):.1f}× vs per-task | "
            f"{naive.peak_rss_mb / batch.peak_rss_mb:.2f}× | {naive.loop_lag_p99_ms / max(batch.loop_lag_p99_ms, 1e-9):.1f}× | "
            f"{naive.cpu_per_job_ms / batch.cpu_per_job_ms:.1f}× |"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--scale", type=float, default=10.0, help="job times are divided by this")
    parser.add_argument("--modes", nargs="+", default=["batch", "per-task", "naive"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for n in args.jobs:
        runs = []
        for mode in args.modes:
            result = await run_once(n, args.scale, mode, args.seed)
            print(f"N={n} {mode}: {result.delivered}/{n} delivered in {result.wall:.0f}s", file=sys.stderr)
            runs.append(result)
        rows.append(runs)
    print(table(rows))


if __name__ == "__main__":
    asyncio.run(main())
