"""The real bot, as a process of its own, plus an event-loop lag probe; writes its figures as JSON at exit.

Run by bench/run.py with the settings in the environment; not a second way to run the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import time
from pathlib import Path

from bot.__main__ import open_bot
from bot.config import Settings

PROBE_PERIOD = 0.05


async def probe_loop_lag(samples: list[float]) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(PROBE_PERIOD)
        samples.append(max(0.0, time.perf_counter() - started - PROBE_PERIOD))


async def main() -> dict[str, object]:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(dotenv=False)
    lags: list[float] = []
    async with open_bot(settings) as bot:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        probe = asyncio.create_task(probe_loop_lag(lags))
        await bot.start(settings.discord_token)
        probe.cancel()
        writer = bot.writer.stats
        stats = {
            "loop_lag": sorted(lags),
            "delivered": writer.delivered,
            "edited": writer.edited,
            "created": writer.created,
            "skipped_unchanged": writer.skipped_unchanged,
            "coalesced": writer.coalesced,
            "mj_requests": dict(bot.mj.request_counts),
            "batch": bot.engine.poller.batch,
        }
    return stats


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(asyncio.run(main())))
