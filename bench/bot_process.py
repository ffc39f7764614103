"""The real bot, as a process of its own, plus an event-loop lag probe; writes its figures as JSON at exit.

    python -m bench.bot_process STATS_JSON --scale 10 [--naive]

Run by bench/run.py with the settings in the environment; not a second way to run the bot. The bot's
timing is production's divided by --scale. `--naive` builds the bot with the naive baseline's writer
(bench/naive_writer.py) and a fetch every 5 s of job time per task.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import time
from pathlib import Path

from bench.naive_writer import NaiveWriter
from bot.__main__ import open_bot
from bot.config import Settings
from bot.delivery import Writer
from bot.jobs.timing import DEFAULT_TIMING, Timing

PROBE_PERIOD = 0.05


async def probe_loop_lag(samples: list[float]) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(PROBE_PERIOD)
        samples.append(max(0.0, time.perf_counter() - started - PROBE_PERIOD))


def scaled_timing(scale: float, *, naive: bool) -> Timing:
    """Production's timing with every span divided by `scale`; the naive baseline fetches every 5 s."""
    base = DEFAULT_TIMING
    poll_min, poll_max = (5.0, 5.0) if naive else (base.poll_min, base.poll_max)
    return Timing(
        poll_min=poll_min / scale,
        poll_max=poll_max / scale,
        batch_poll=base.batch_poll / scale,
        batch_gap=base.batch_gap / scale,
        retry_base=base.retry_base / scale,
        mj_timeout=base.mj_timeout,
    )


async def main(writer_class: type[Writer], timing: Timing) -> dict[str, object]:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(dotenv=False)
    lags: list[float] = []
    async with open_bot(settings, timing=timing, writer_class=writer_class) as bot:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        probe = asyncio.create_task(probe_loop_lag(lags))
        await bot.start(settings.discord_token)
        probe.cancel()
        writer, poster = bot.writer.stats, bot.writer.poster
        stats = {
            "loop_lag": sorted(lags),
            "delivered": writer.delivered,
            "edited": poster.edited,
            "created": poster.created,
            "skipped_unchanged": writer.skipped_unchanged,
            "coalesced": writer.coalesced,
            "mj_requests": dict(bot.mj.request_counts),
            "batch": bot.engine.poller.batch,
            "clock_period": bot.engine.poller.clock.period if bot.engine.poller.clock.locked else None,
        }
    return stats


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The bot for bench/run.py.")
    parser.add_argument("stats", type=Path, help="where to write the figures (JSON)")
    parser.add_argument("--scale", type=float, default=1.0, help="divide the bot's timing by this")
    parser.add_argument("--naive", action="store_true", help="the naive baseline's writer")
    args = parser.parse_args()
    timing = scaled_timing(args.scale, naive=args.naive)
    figures = asyncio.run(main(NaiveWriter if args.naive else Writer, timing))
    args.stats.write_text(json.dumps(figures))
