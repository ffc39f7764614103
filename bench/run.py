"""Load benchmark: the real bot (a process of its own) against the loopback fake MJ API and fake Discord.

    .venv/bin/python -m bench.run --jobs 10 100 1000 [--profile relay|proxy] [--modes ...] [--scale 10]
                                  [--processes N] [--database sqlite|postgresql] [--kill-one]

Profiles: `relay` (default) is new-api in front of a trueai midjourney-proxy (FakeRelay), whose own task
table is refreshed every 15 s; `proxy` is a direct proxy that answers live (FakeMJ). Job times (45 s, 2 s
queued), the table's refresh period and the bot's timing (bot/jobs/timing.py: poll intervals, the
least gap between two batch rounds, the retry base) are divided by --scale.

Modes, each on a fresh database: `batch` (the tuned bot: batch polls through list-by-condition,
following the relay's refresh clock), `per-task` (no batch route: one fetch per task at an adaptive
cadence) and `naive` (no batch route, a fetch every 5 s of job time per task, and
bench/naive_writer.py: every change edited at once). Each run first warms the bot up with three long
jobs over a few refreshes (the refresh clock locks after three), as a bot that has been running would
be; the figures leave the warm-up out. Then N jobs arrive at 15/s over many channels and users, at
most a couple per user at a time, so the per-user limit of running jobs never holds one back.

--processes N runs the bot as N processes on one database, process i with SHARD_COUNT=N and
SHARD_IDS=i, against one fake Discord that wants N shards; the channels, the warm-up and the arriving
jobs are spread over guilds on every shard, so each process serves its share. Peak RSS and CPU are
then the sum over the processes, and the loop lag is taken over all of their samples.

--database postgresql runs the bot on a throwaway PostgreSQL cluster (tests/postgres.py: Debian's
server package), a fresh database per run; sqlite (the default) on a file. --kill-one (with two
processes or more) sends SIGKILL to the last process once every job has arrived and been answered,
while its jobs run: the run then also measures the takeover, from the SIGKILL until no open job is
leased to the dead process (the others took every one), and still counts every job delivered.

Figures per run: jobs delivered, Discord 429s, the lag from a task's finish (upstream) and from the
relay's table showing SUCCESS to its image in Discord (wall seconds), the lag from the table showing
SUCCESS to the first poll the relay answered with it (what the refresh clock controls; Discord's rate
limits come after), MJ requests per second, poll requests per minute of job time (wall × scale) per
100 running jobs, per-task fetches per task-minute, the bot's peak RSS, event-loop lag p99, CPU per job
and the run's wall time (warm-up not counted).

The bot before the refresh clock (commit d702a2c), against this checkout's harness and fakes:

    git worktree add ../before d702a2c
    .venv/bin/python -m bench.run --jobs 100 1000 --modes batch --scale 1 --bot-root ../before
    .venv/bin/python -m bench.run --jobs 100 1000 --modes batch --scale 1    # after, to compare

The old bot's 0.5 s floor between batch rounds is not scaled (it was not a setting): at --scale 10 it
is a third of the 1.5 s refresh, so compare before and after at --scale 1, which takes about two
minutes at N = 1000 (plus a minute of warm-up).

--bot-root runs `python -m bench.bot_process` in that checkout, or `python -m bot` when it has no
bench/naive_writer.py (then there is no naive mode and no loop-lag figure). The old bot reads
EDIT_INTERVAL and COALESCE_EDITS, whose defaults are its tuned writer, its poll intervals from the
environment (POLL_MIN_INTERVAL, …, scaled), and takes the relay's "" status
for an unknown one (it keeps polling), which is fine for a run where every job succeeds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import RunResult, overlap_seconds, percentile, proc_figures, spread, table
from bot.storage import Lease, open_store
from tests.fakes.discord import FakeDiscord, FakeInteraction
from tests.fakes.mj import FakeMJ, FakeRelay
from tests.postgres import Cluster

ROOT = Path(__file__).resolve().parents[1]
USERS_PER_CHANNEL = 5
JOBS_PER_CHANNEL = 10
ARRIVAL_RATE = 15.0  # jobs per second: under Discord's global 50 writes/s with progress edits beside
JOB_SECONDS = 45.0  # a job's running time, divided by --scale
QUEUE_SECONDS = 2.0  # its time in the upstream queue, divided by --scale
RELAY_REFRESH = 15.0  # new-api's table refresh period, divided by --scale
POLL_ROUTES = ("GET /mj/task/{id}/fetch", "POST /mj/task/list-by-condition")
MODES = ("batch", "per-task", "naive")
WARM_UP_JOBS = 3
WARM_UP_REFRESHES = 3  # refreshes that moved rows before the refresh clock locks (LOCK_AFTER)


def make_fake(profile: str, mode: str, scale: float) -> FakeMJ | FakeRelay:
    """The MJ API for one run; only `batch` finds a batch route."""
    job, queued = JOB_SECONDS / scale, QUEUE_SECONDS / scale
    if profile == "proxy":
        return FakeMJ(default_duration=job, batch_enabled=mode == "batch", queue_delay=queued)
    relay = FakeRelay(refresh_period=RELAY_REFRESH / scale, default_duration=job, queue_delay=queued)
    relay.batch_enabled = mode == "batch"  # else new-api answers its web page: the bot sees no batch route
    return relay


def is_current(bot_root: Path) -> bool:
    """Whether the checkout has bench/bot_process.py with the naive writer and scaled timing."""
    return (bot_root / "bench" / "naive_writer.py").exists()


def bot_command(bot_root: Path, mode: str, scale: float, stats_path: Path) -> list[str]:
    """The bot process: this checkout's (or --bot-root's) bench.bot_process, or `python -m bot` for an
    old checkout without the naive writer."""
    if is_current(bot_root):
        naive = ["--naive"] if mode == "naive" else []
        return [sys.executable, "-m", "bench.bot_process", str(stats_path), "--scale", str(scale), *naive]
    return [sys.executable, "-m", "bot"]


def bot_environment(
    mj: FakeMJ | FakeRelay, discord: FakeDiscord, spec: RunSpec, tmp: Path, shard: int = 0
) -> dict[str, str]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": discord.bot_token,
        "MJ_API_KEY": mj.api_key,
        "MJ_BASE_URL": mj.base_url,
        "DATABASE_PATH": str(sqlite_path(tmp)),
        "INSTANCE_NAME": holder(shard),
        "GUILD_ID": str(discord.guild_id),
        "DISCORD_API_BASE": discord.api_base,
    }
    if not is_current(spec.bot_root):  # an old bot read its poll intervals from the environment
        env["POLL_MIN_INTERVAL"] = str(6.0 / spec.scale)
        env["POLL_MAX_INTERVAL"] = str(30.0 / spec.scale)
        env["BATCH_POLL_INTERVAL"] = str(0.5 / spec.scale)
    if spec.database_url:
        env["DATABASE_URL"] = spec.database_url
    if spec.processes > 1:  # one shard per process; global commands, synced by shard 0's process
        env.update(SHARD_COUNT=str(spec.processes), SHARD_IDS=str(shard))
        del env["GUILD_ID"]
    return env


@dataclass(frozen=True)
class RunSpec:
    jobs: int
    mode: str
    profile: str
    scale: float
    bot_root: Path
    seed: int
    processes: int = 1
    database_url: str | None = None  # PostgreSQL; None: SQLite
    kill_one: bool = False

    @property
    def label(self) -> str:
        database = "PostgreSQL" if self.database_url else "SQLite"
        processes = f"{self.processes} processes" if self.processes > 1 else "1 process"
        return f"{self.mode}, {processes}, {database}" + (", one killed" if self.kill_one else "")


def sqlite_path(tmp: Path) -> Path:
    return tmp / "bench.sqlite3"


def holder(shard: int) -> str:
    """The process's INSTANCE_NAME: the holder of its jobs' leases."""
    return f"bench-{shard}"


@dataclass
class Observed:
    """What one run left behind, before it becomes figures."""

    interactions: list[FakeInteraction]
    started: float
    wall: float
    peak_rss_mb: float
    cpu_seconds: float
    loop_lag: list[float]
    takeover: float | None = None  # seconds from the SIGKILL until no open job was leased to the dead


async def run_once(spec: RunSpec) -> RunResult:
    mj = make_fake(spec.profile, spec.mode, spec.scale)
    discord = FakeDiscord(validate_openapi=False, shard_count=spec.processes)
    await mj.start()
    await discord.start()
    try:
        observed = await drive(spec, mj, discord)
        return figures(spec, mj, discord, observed)
    finally:
        await discord.close()
        await mj.close()


async def drive(spec: RunSpec, mj: FakeMJ | FakeRelay, discord: FakeDiscord) -> Observed:
    """Start the bot, warm it up, submit the jobs at ARRIVAL_RATE, wait until every image is in Discord
    (or the deadline), and stop the bot."""
    rng = random.Random(spec.seed)
    guilds = [discord.guild_id] + [discord.add_guild(shard=shard) for shard in range(1, spec.processes)]
    more = max(4, spec.jobs // JOBS_PER_CHANNEL - 1, spec.processes - 1)
    channels = [discord.channel_id] + [
        discord.add_channel(f"c{i}", guild_id=guilds[(i + 1) % len(guilds)]) for i in range(more)
    ]
    # Enough users that each has at most a couple of jobs in flight: the per-user limit never holds one.
    user_count = max(len(channels) * USERS_PER_CHANNEL, math.ceil(spec.jobs / 2))
    users = [discord.add_user(f"u{i}") for i in range(user_count)]

    def delivered() -> int:
        return sum(1 for m in discord.messages.values() if m.attachments)

    with tempfile.TemporaryDirectory() as tmp_name, contextlib.ExitStack() as files:
        tmp = Path(tmp_name)
        logs = [files.enter_context(tempfile.TemporaryFile()) for _ in range(spec.processes)]
        stats_paths = [tmp / f"stats-{shard}.json" for shard in range(spec.processes)]
        bots = []
        try:
            for shard in range(spec.processes):
                bots.append(
                    await asyncio.create_subprocess_exec(
                        *bot_command(spec.bot_root, spec.mode, spec.scale, stats_paths[shard]),
                        cwd=spec.bot_root,
                        env=bot_environment(mj, discord, spec, tmp, shard),
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=logs[shard],  # a file, not a pipe: a chatty bot never blocks on it
                    )
                )
            for shard in range(spec.processes):
                await discord.wait_shard_ready(shard, timeout=30)
            await warm_up(mj, discord, spec.scale, [channels[i] for i in range(len(guilds))])
            warm, (_, cpu_before) = delivered(), summed_figures(bots)
            started = time.monotonic()
            interactions = []
            for i in range(spec.jobs):
                user, channel = users[i % len(users)], channels[i % len(channels)]
                prompt: dict[str, object] = {"prompt": f"bench job {i}"}
                interactions.append(await discord.invoke("imagine", prompt, user_id=user, channel_id=channel))
                await asyncio.sleep(rng.expovariate(ARRIVAL_RATE))
            takeover, dead = (
                (await kill_one(spec, discord, bots, interactions, tmp)) if spec.kill_one else (None, [])
            )
            slack = 120 if spec.mode == "naive" else 60
            deadline = started + spec.jobs / ARRIVAL_RATE + JOB_SECONDS / spec.scale * 3 + slack
            with contextlib.suppress(TimeoutError):
                await discord.wait_for(
                    lambda: delivered() - warm >= spec.jobs, timeout=deadline - time.monotonic()
                )
            wall = time.monotonic() - started
            rss, cpu = (sum(figure) for figure in zip(summed_figures(bots), *dead, strict=False))
        finally:
            for bot in bots:
                if bot.returncode is None:
                    bot.terminate()
            for bot in bots:
                await bot.wait()
        if any(bot.returncode not in (0, -15) for bot in bots) or delivered() - warm < spec.jobs:
            routes = {r.route: mj.count(r.route) for r in mj.requests}
            for log in logs:
                log.seek(0)
                print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            print(routes, file=sys.stderr)
        lag = sorted(
            sample
            for path in stats_paths
            if path.exists()
            for sample in json.loads(path.read_text())["loop_lag"]
        )
    return Observed(interactions, started, wall, rss, cpu - cpu_before, lag, takeover)


async def kill_one(
    spec: RunSpec,
    discord: FakeDiscord,
    bots: list[asyncio.subprocess.Process],
    interactions: list[FakeInteraction],
    tmp: Path,
) -> tuple[float, list[tuple[float, float]]]:
    """Once every job is answered, SIGKILL the last process; answers the seconds until the others held
    all of its open jobs, and the dead process's (RSS, CPU) as last seen."""
    await discord.wait_for(lambda: all(i.message_id for i in interactions), timeout=60)
    victim, name = bots.pop(), holder(len(bots))
    figures = proc_figures(victim.pid)
    observer = await open_store(spec.database_url, sqlite_path(tmp), Lease("bench-observer"))
    try:
        held_before = (await observer.jobs_by_holder()).get(name, 0)
        victim.kill()
        killed = time.monotonic()
        await victim.wait()
        for _look in itertools.count():  # the database, every 50 ms
            if not (await observer.jobs_by_holder()).get(name, 0):
                break
            await asyncio.sleep(0.05)
        taken = time.monotonic() - killed
    finally:
        await observer.close()
    print(f"killed {name} holding {held_before} open jobs; taken over in {taken:.1f}s", file=sys.stderr)
    return taken, [figures]


def summed_figures(bots: list[asyncio.subprocess.Process]) -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds) summed over the bot's processes."""
    each = [proc_figures(bot.pid) for bot in bots]
    return sum(rss for rss, _ in each), sum(cpu for _, cpu in each)


async def warm_up(mj: FakeMJ | FakeRelay, discord: FakeDiscord, scale: float, channels: list[int]) -> None:
    """A few long jobs first in each channel (one per shard, so each process gets its own), whose
    progress moves at every refresh of the relay's table, so that the bot has learned the refresh clock
    (it locks after WARM_UP_REFRESHES) as one that has been running a while has; over once their images
    are in Discord."""
    period = RELAY_REFRESH / scale
    mj.set_duration("IMAGINE", (WARM_UP_REFRESHES + 1.5) * period)
    warm_up_jobs = WARM_UP_JOBS * len(channels)
    for i in range(warm_up_jobs):
        user = discord.add_user(f"warm-up {i}")
        prompt: dict[str, object] = {"prompt": f"warm-up job {i}"}
        await discord.invoke("imagine", prompt, user_id=user, channel_id=channels[i % len(channels)])
    await discord.wait_for(lambda: len(mj.tasks) >= warm_up_jobs, timeout=30)
    mj.set_duration("IMAGINE", JOB_SECONDS / scale)

    def images() -> int:
        return sum(1 for m in discord.messages.values() if m.attachments)

    await discord.wait_for(lambda: images() >= warm_up_jobs, timeout=(WARM_UP_REFRESHES + 4) * period + 30)


def figures(spec: RunSpec, mj: FakeMJ | FakeRelay, discord: FakeDiscord, seen: Observed) -> RunResult:
    finished_at = mj.upstream_success_at if isinstance(mj, FakeRelay) else mj.success_at
    lags, table_lags, seen_lags, delivered = [], [], [], 0
    for interaction in seen.interactions:
        message = discord.messages.get(interaction.message_id or 0)
        if message is None or not message.attachments:
            continue
        delivered += 1
        task_id = message.attachments[0].filename.split(".")[0]
        if task_id in finished_at:
            lags.append(message.attachment_added_at - finished_at[task_id])
        if task_id in mj.success_at:  # the relay's table; a proxy's own finish
            table_lags.append(message.attachment_added_at - mj.success_at[task_id])
        if isinstance(mj, FakeRelay) and task_id in mj.success_served_at:
            seen_lags.append(mj.success_served_at[task_id] - mj.success_at[task_id])
    end = seen.started + seen.wall
    requests = [r for r in mj.requests if seen.started <= r.at <= end]  # the warm-up left out
    polls = sum(1 for r in requests if r.route in POLL_ROUTES)
    tasks = [t for t in mj.tasks.values() if t.created >= seen.started]
    running = [(t.created, t.finish_time() or end) for t in tasks]
    running_seconds = overlap_seconds(running, seen.started, end)  # average running jobs × wall
    job_minutes = seen.wall * spec.scale / 60
    lookups = sum(1 for r in requests if r.route == POLL_ROUTES[0])
    task_minutes = sum(t.queue_delay + t.duration for t in tasks) * spec.scale / 60
    return RunResult(
        label=spec.label,
        jobs=spec.jobs,
        delivered=delivered,
        http_429=discord.rate_limited,
        lag=spread(lags),
        table_lag=spread(table_lags),
        seen_lag=spread(seen_lags),
        mj_rps=len(requests) / seen.wall,
        poll_rps=polls / seen.wall,
        polls_per_100_running=(
            polls / job_minutes / (running_seconds / seen.wall / 100) if running_seconds else 0.0
        ),
        fetches_per_task_minute=lookups / task_minutes if task_minutes else 0.0,
        peak_rss_mb=seen.peak_rss_mb,
        loop_lag_p99_ms=percentile(seen.loop_lag, 0.99) * 1000,
        cpu_per_job_ms=seen.cpu_seconds / spec.jobs * 1000,
        wall=seen.wall,
        takeover=seen.takeover,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--scale", type=float, default=10.0, help="job times are divided by this")
    parser.add_argument("--profile", choices=("relay", "proxy"), default="relay")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--bot-root", type=Path, default=ROOT, help="the checkout whose bot runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--processes", type=int, default=1, help="bot processes, one shard each, on one database"
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL one process mid-run (needs 2+)")
    args = parser.parse_args()
    if args.processes < 1:
        parser.error("--processes must be 1 or more")
    if args.kill_one and args.processes < 2:
        parser.error("--kill-one needs --processes 2 or more: someone must take the jobs over")
    bot_root = args.bot_root.resolve()
    if not (bot_root / "bot" / "__main__.py").exists():
        parser.error(f"--bot-root {args.bot_root} holds no bot/__main__.py")
    if "naive" in args.modes and not (bot_root / "bench" / "naive_writer.py").exists():
        parser.error(f"--bot-root {args.bot_root} has no bench/naive_writer.py: leave out the naive mode")
    cluster = Cluster.start() if args.database == "postgresql" else None
    rows = []
    try:
        for n in args.jobs:
            runs = []
            for mode in args.modes:
                url = cluster.fresh_database() if cluster else None
                spec = RunSpec(
                    n, mode, args.profile, args.scale, bot_root, args.seed, args.processes, url, args.kill_one
                )
                result = await run_once(spec)
                print(
                    f"N={n} {spec.label}: {result.delivered}/{n} delivered in {result.wall:.0f}s",
                    file=sys.stderr,
                )
                runs.append(result)
            rows.append(runs)
    finally:
        if cluster is not None:
            cluster.stop()
    print(table(rows))


if __name__ == "__main__":
    asyncio.run(main())
