"""The poller against the fake relay, with the engine's side played by the handler the poller is given."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import aiohttp

from bot.jobs.cadence import Cadence
from bot.jobs.poller import Poller
from bot.mj.client import FETCH_MANY, MJClient
from bot.mj.models import Task
from tests.fakes.mj import FakeRelay

CADENCE = 0.1
ENGINE_WORK = 0.5  # seconds the engine spends on an answer whose rows moved (a thousand rows, say)
UA = "mj-discord-bot-test/0.1.0 (+discord.py)"
Handler = Callable[[Sequence[tuple[int, Task]]], Awaitable[set[int]]]


async def _nothing_unreadable(job_id: int) -> None:
    raise AssertionError(f"job {job_id} could not be read")


@contextlib.asynccontextmanager
async def polling(relay: FakeRelay, on_tasks: Handler) -> AsyncIterator[tuple[MJClient, Poller]]:
    """A real client and a batch poller at CADENCE, running until the block ends."""
    async with aiohttp.ClientSession() as session:
        mj = MJClient(session, relay.base_url, relay.api_key, user_agent=UA, timeout=2.0)
        poller = Poller(
            mj,
            on_tasks,
            _nothing_unreadable,
            cadence=Cadence(0.2, 0.6),
            batch_cadence=Cadence(CADENCE, CADENCE, jitter=0.0),
            batch_gap=CADENCE,
        )
        assert await poller.probe_batch()
        run = asyncio.create_task(poller.run())
        try:
            yield mj, poller
        finally:
            run.cancel()
            await asyncio.gather(run, return_exceptions=True)


async def test_the_engines_work_on_an_answer_does_not_blur_the_refresh_clock(fake_mj: FakeRelay) -> None:
    """The clock places each refresh between the poll before and the answer that showed it. Timing the
    engine's work too would widen that span past what can place a refresh, and the clock would never lock."""
    fake_mj.refresh_period = 1.0
    fake_mj.upstream.set_duration("IMAGINE", 8.0)  # progress steps every 0.8 s: each refresh moves rows
    seen: dict[int, tuple[str, int]] = {}

    async def on_tasks(results: Sequence[tuple[int, Task]]) -> set[int]:
        now = {job: (task.status.value, task.progress) for job, task in results}
        moved = any(seen.get(job, state) != state for job, state in now.items())
        seen.update(now)
        if moved:
            await asyncio.sleep(ENGINE_WORK)
        return set()

    async with polling(fake_mj, on_tasks) as (mj, poller):
        for job_id in range(3):
            poller.watch(job_id, (await mj.submit_imagine(f"a slow job {job_id}")).task_id or "")
        for _ in range(100):
            if poller.clock.locked:
                break
            await asyncio.sleep(0.1)
    assert poller.clock.locked, "the clock never learned the relay's refresh"
    assert abs(poller.clock.period - 1.0) < 0.15


async def test_jobs_watched_apart_are_asked_for_in_one_request(fake_mj: FakeRelay) -> None:
    """Jobs whose turns fall a little apart join one round: polled in groups, each group would see every
    refresh on its own, costing a request per group and looking to the clock like rows that never rest."""
    fake_mj.upstream.set_duration("IMAGINE", 30.0)

    async def on_tasks(results: Sequence[tuple[int, Task]]) -> set[int]:
        return set()

    async with polling(fake_mj, on_tasks) as (mj, poller):
        for job_id in range(4):
            poller.watch(job_id, (await mj.submit_imagine(f"job {job_id}")).task_id or "")
            await asyncio.sleep(CADENCE * 0.4)  # each job's first turn lands between the others'
        await asyncio.sleep(CADENCE * 3)
        start = len(fake_mj.requests)
        await asyncio.sleep(CADENCE * 10)
        rounds = [r.json["ids"] for r in fake_mj.requests[start:] if r.route == FETCH_MANY]
    assert rounds, "the poller asked nothing"
    assert all(len(ids) == 4 for ids in rounds), f"jobs were polled in groups: {[len(ids) for ids in rounds]}"
