"""One poller for every running task: a min-heap of due times, an adaptive cadence per task, and batch
fetches through `list-by-condition` where the relay serves it (per-task fetches otherwise).

Batch polls follow the relay's refresh clock once it has learned one (see refresh_clock.py): every task is
asked for just after the relay's table is expected to change, in one request.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.jobs.cadence import Cadence
from bot.jobs.refresh_clock import RefreshClock
from bot.mj.client import MJClient
from bot.mj.errors import MJBatchUnsupported, MJError
from bot.mj.models import Task, TaskStatus

log = logging.getLogger(__name__)

TaskHandler = Callable[[Sequence[tuple[int, Task]]], Awaitable[set[int]]]
UnreadableHandler = Callable[[int], Awaitable[None]]
ROUND_ERROR_PAUSE = 1.0  # seconds after a round that failed unexpectedly, before the next
BATCH_REPROBE = 600.0  # seconds between two checks whether batch fetches came back


@dataclass(slots=True)
class _Watch:
    task_id: str
    interval: float
    seen: tuple[str, int] | None = None
    due: float = 0.0


# How far along a task is; of several rows for one id, the one furthest along is the task's state.
_STAGE = {TaskStatus.MODAL: -1, TaskStatus.SUBMITTED: 1, TaskStatus.IN_PROGRESS: 2}


def _newest_rows(tasks: Sequence[Task]) -> list[Task]:
    """One task per id. new-api keeps a row per submit, so a Custom Zoom's id has the window's row (left
    MODAL) and the prompt's row (refreshed): list-by-condition answers both (controller/midjourney.go)."""
    best: dict[str, Task] = {}
    for task in tasks:
        held = best.get(task.id)
        if held is None or _stage(task) >= _stage(held):
            best[task.id] = task
    return list(best.values())


def _stage(task: Task) -> tuple[int, int]:
    return (3 if task.status.is_terminal else _STAGE.get(task.status, 0), task.progress)


class Poller:
    """Calls `on_tasks` with fresh tasks; it answers which job ids are finished (no longer polled)."""

    def __init__(
        self,
        mj: MJClient,
        on_tasks: TaskHandler,
        on_unreadable: UnreadableHandler,
        *,
        cadence: Cadence,
        batch_cadence: Cadence,
        batch_size: int = 1000,
        batch_gap: float = 0.5,
        concurrency: int = 16,
    ) -> None:
        self._mj = mj
        self._on_tasks = on_tasks
        self._on_unreadable = on_unreadable
        self._cadence = cadence
        self._batch_cadence = batch_cadence
        self._batch_size = batch_size
        self._batch_gap = batch_gap  # the least time between two batch requests
        self._slots = asyncio.Semaphore(concurrency)
        self._watches: dict[int, _Watch] = {}
        self._heap: list[tuple[float, int]] = []
        self._wake = asyncio.Event()
        self._fetches: set[asyncio.Task[None]] = set()
        self.batch: bool = False
        self._reprobe_at = float("inf")
        self.clock = RefreshClock(cadence=max(batch_cadence.min_interval, batch_gap))  # the real steady pace

    async def probe_batch(self) -> bool:
        """Ask whether the relay serves batch fetches; without them, ask again every BATCH_REPROBE s (a
        web page where JSON belongs may have been a passing challenge page, not a missing route)."""
        self._reprobe_at = time.monotonic() + BATCH_REPROBE
        try:
            await self._mj.fetch_many(["0"])
        except MJBatchUnsupported:
            self.batch = False
        except MJError as err:
            log.warning("Could not probe batch fetches (%s); polling tasks one by one", err)
            self.batch = False
        else:
            self.batch = True
        log.info("Batch task fetch is %s", "available" if self.batch else "not available")
        return self.batch

    def watch(self, job_id: int, task_id: str, *, delay: float | None = None) -> None:
        first = self._next_delay(None) if delay is None else delay
        watch = _Watch(task_id=task_id, interval=first)
        self._watches[job_id] = watch
        self._schedule(job_id, watch, first)

    def unwatch(self, job_id: int) -> None:
        self._watches.pop(job_id, None)

    def poll_now(self, job_id: int) -> bool:
        watch = self._watches.get(job_id)
        if watch is None:
            return False
        self._schedule(job_id, watch, 0.0)
        return True

    @property
    def _active_cadence(self) -> Cadence:
        return self._batch_cadence if self.batch else self._cadence

    def _schedule(self, job_id: int, watch: _Watch, delay: float) -> None:
        watch.due = time.monotonic() + delay
        heapq.heappush(self._heap, (watch.due, job_id))
        self._wake.set()

    def _pop_due(self, now: float, limit: int) -> list[int]:
        due: list[int] = []
        while self._heap and self._heap[0][0] <= now and len(due) < limit:
            when, job_id = heapq.heappop(self._heap)
            watch = self._watches.get(job_id)
            if watch is not None and watch.due == when:  # else a stale entry
                watch.due = float("inf")
                due.append(job_id)
        return due

    async def run(self) -> None:
        try:
            while True:
                now = time.monotonic()
                if not self._heap or self._heap[0][0] > now:
                    timeout = self._heap[0][0] - now if self._heap else None
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):  # not wait_for: on 3.11 it can swallow a cancel
                        async with asyncio.timeout(timeout):
                            await self._wake.wait()
                    continue
                if self.batch:
                    started = time.monotonic()
                    # Every job due within one steady interval goes too: one request costs the same for
                    # one task or five hundred, and jobs polled apart would see each refresh apart.
                    job_ids = self._pop_due(now + self._batch_cadence.min_interval, self._batch_size)
                    try:
                        await self._poll_batch(job_ids)
                    except Exception:
                        # A bug, or storage that failed: log it, look again soon, and carry on.
                        log.exception("A batch poll of %d jobs failed; they are polled again", len(job_ids))
                        for job_id in job_ids:
                            self._reschedule(job_id, progressed=False, delay=ROUND_ERROR_PAUSE)
                    await asyncio.sleep(max(0.0, self._batch_gap - (time.monotonic() - started)))
                else:
                    if now >= self._reprobe_at and await self.probe_batch():
                        continue
                    for job_id in self._pop_due(now, limit=1_000_000):
                        await self._slots.acquire()
                        fetch = asyncio.create_task(self._poll_one(job_id), name=f"poll-job-{job_id}")
                        self._fetches.add(fetch)
                        fetch.add_done_callback(self._fetches.discard)
        except asyncio.CancelledError:
            for fetch in list(self._fetches):
                fetch.cancel()
            await asyncio.gather(*self._fetches, return_exceptions=True)
            raise

    async def _poll_batch(self, job_ids: list[int]) -> None:
        if not job_ids:
            return
        by_task: dict[str, list[int]] = {}
        for job_id in job_ids:
            if job_id in self._watches:
                by_task.setdefault(self._watches[job_id].task_id, []).append(job_id)
        sent = time.monotonic()
        try:
            tasks = await self._mj.fetch_many(list(by_task))
            answered = time.monotonic()  # the clock counts the answer, not the engine's work on it
        except MJBatchUnsupported:
            log.warning("Batch fetch stopped working; polling tasks one by one for now")
            self.batch = False
            self._reprobe_at = time.monotonic() + BATCH_REPROBE
            for job_id in job_ids:
                self._reschedule(job_id, progressed=False, delay=0.0)
            return
        except MJError as err:
            log.warning("Batch fetch of %d tasks failed: %s", len(by_task), err)
            for job_id in job_ids:
                await self._unreadable(job_id)
            return
        found = [(job_id, task) for task in _newest_rows(tasks) for job_id in by_task.pop(task.id, ())]
        await self._deliver(found, polled=(sent, answered))
        for missing in by_task.values():
            for job_id in missing:
                await self._unreadable(job_id)

    async def _poll_one(self, job_id: int) -> None:
        try:
            watch = self._watches.get(job_id)
            if watch is None:
                return
            try:
                task = await self._mj.fetch(watch.task_id)
            except MJError as err:
                log.warning("Fetch of task %s failed: %s", watch.task_id, err)
                await self._unreadable(job_id)
                return
            await self._deliver([(job_id, task)])
        except Exception:
            log.exception("Polling job %s failed; it is polled again", job_id)
            self._reschedule(job_id, progressed=False, delay=ROUND_ERROR_PAUSE)
        finally:
            self._slots.release()

    async def _unreadable(self, job_id: int) -> None:
        """The task's state could not be read (an error, or a task the API does not know): look again
        later, and let the engine decide whether the job is past its deadline."""
        if job_id not in self._watches:
            return
        self._reschedule(job_id, progressed=False)
        await self._on_unreadable(job_id)

    async def _deliver(
        self, results: Sequence[tuple[int, Task]], *, polled: tuple[float, float] | None = None
    ) -> None:
        """Hand fresh tasks to the engine, tell the refresh clock whether a batch saw rows move, and
        schedule each task's next look."""
        progressed: dict[int, bool] = {}
        for job_id, task in results:
            watch = self._watches.get(job_id)
            if watch is None:
                continue
            seen = (task.status.value, task.progress)
            progressed[job_id] = watch.seen is not None and seen != watch.seen
            watch.seen = seen
        finished = await self._on_tasks(results)
        if polled is not None:
            self.clock.observe(*polled, any(progressed.values()))
        for job_id, moved in progressed.items():
            if job_id in finished:
                self.unwatch(job_id)
            else:
                self._reschedule(job_id, progressed=moved)

    def _reschedule(self, job_id: int, *, progressed: bool, delay: float | None = None) -> None:
        watch = self._watches.get(job_id)
        if watch is None:
            return
        watch.interval = self._active_cadence.next(watch.interval, progressed)
        self._schedule(job_id, watch, self._next_delay(watch) if delay is None else delay)

    def _next_delay(self, watch: _Watch | None) -> float:
        """Seconds until a task's next look: at the relay's next refresh when the clock knows it."""
        if self.batch and (due := self.clock.due(time.monotonic())) is not None:
            return max(0.0, due - time.monotonic())
        if watch is None:
            return self._active_cadence.first()
        return watch.interval
