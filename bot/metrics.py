"""Prometheus metrics and a health check, served on METRICS_PORT: `/metrics` and `/healthz`.

The figures are read where they are kept (the MJ client's counters, the queue, the database) when a
scrape comes, so no other module writes to a metric; only Discord's 429s and the finish → image lag are
observed as they happen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.mj.client import FETCH, FETCH_MANY
from bot.web import serve_until_cancelled

if TYPE_CHECKING:
    from bot.app import MJBot

log = logging.getLogger(__name__)

LAG_BUCKETS = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 120, 300)
HEALTH_LOOPS = ("poller", "submitter", "delivery-writer", "lease-keeper")  # without any, no job moves


class _Snapshot(Collector):
    """The figures other parts keep, read at scrape time."""

    def __init__(self, bot: MJBot) -> None:
        self._bot = bot
        self.jobs_by_status: dict[str, int] = {}  # refreshed from the database before each scrape
        self.jobs_by_holder: dict[str, int] = {}  # the same

    def collect(self) -> Iterable[Metric]:
        mj = self._bot.mj
        jobs = GaugeMetricFamily("mj_jobs", "Jobs in the database by status", labels=["status"])
        for status, count in sorted(self.jobs_by_status.items()):
            jobs.add_metric([status], count)
        yield jobs
        held = GaugeMetricFamily(
            "mj_open_jobs_by_holder", "Open jobs by the bot process holding their lease", labels=["holder"]
        )
        for holder, count in sorted(self.jobs_by_holder.items()):
            held.add_metric([holder], count)
        yield held
        codes = CounterMetricFamily("mj_submit_answers", "Submit answers by the API's code", labels=["code"])
        for code, count in sorted(mj.submit_codes.items()):
            codes.add_metric([str(code)], count)
        yield codes
        errors = CounterMetricFamily("mj_relay_errors", "Failed MJ API requests by kind", labels=["kind"])
        for kind, count in sorted(mj.error_counts.items()):
            errors.add_metric([kind], count)
        yield errors
        polls = CounterMetricFamily("mj_poll_requests", "Requests that read task states", labels=["route"])
        for route in (FETCH, FETCH_MANY):
            polls.add_metric([route], mj.request_counts[route])
        yield polls
        yield GaugeMetricFamily(
            "mj_queue_depth", "Jobs waiting in this process's queue", len(self._bot.engine.queue)
        )
        yield CounterMetricFamily(
            "mj_jobs_taken_over",
            "Jobs this process took over from a bot process that stopped renewing its leases",
            self._bot.engine.leases.taken_over,
        )
        balance = mj.last_balance
        if balance is not None and not balance.unlimited:
            yield GaugeMetricFamily(
                "mj_relay_balance_usd", "The API key's balance at the relay", balance.left_usd
            )


class Metrics:
    """This bot's metrics (a registry of its own, so two bots in one process never mix)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._bot: MJBot | None = None
        self._snapshot: _Snapshot | None = None
        self.discord_429 = Counter(
            "discord_rate_limited", "Discord answers with HTTP 429", registry=self.registry
        )
        self.lag = Histogram(
            "mj_finish_to_image_seconds",
            "From the task's finish (the API's finishTime) to its image posted in Discord",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )

    def bind(self, bot: MJBot) -> None:
        """Read the figures `bot` keeps (made before the bot, so that its HTTP client can be traced)."""
        self._bot = bot
        self._snapshot = _Snapshot(bot)
        self.registry.register(self._snapshot)

    def trace_config(self) -> aiohttp.TraceConfig:
        """Counts Discord's 429s as discord.py's HTTP client receives them."""
        trace = aiohttp.TraceConfig()

        async def on_request_end(
            _session: aiohttp.ClientSession, _context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
        ) -> None:
            if params.response.status == 429:
                self.discord_429.inc()

        trace.on_request_end.append(on_request_end)
        return trace

    def healthy(self) -> bool:
        """Every gateway shard of this process is connected and every loop the jobs need is running."""
        bot = self._bot
        if bot is None or bot.is_closed():
            return False
        shards, expected = bot.shards, bot.expected_shards()
        connected = bool(expected) and all(i in shards and not shards[i].is_closed() for i in expected)
        return connected and all(bot.registry.running(name) for name in HEALTH_LOOPS)

    async def _metrics(self, _request: web.Request) -> web.Response:
        try:
            if self._bot is not None and self._snapshot is not None:
                self._snapshot.jobs_by_status = await self._bot.store.count_by_status()
                self._snapshot.jobs_by_holder = await self._bot.store.jobs_by_holder()
        except Exception:  # a busy database leaves the last figures: a scrape must not fail for it
            log.warning("Could not count jobs for /metrics", exc_info=True)
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _request: web.Request) -> web.Response:
        ok = self.healthy()
        return web.Response(status=200 if ok else 503, text="ok\n" if ok else "unhealthy\n")

    async def serve(self, port: int, host: str = "0.0.0.0") -> None:
        """Serve /metrics and /healthz until cancelled (the bot closing)."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        log.info("Serving /metrics and /healthz on port %d", port)
        await serve_until_cancelled(app, host, port)
