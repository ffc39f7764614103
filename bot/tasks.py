"""Owned background tasks: every task the bot starts is kept, its failure logged, and cancelled on close.

A loop that must never end is started with `keep_running`: if it dies, the death is logged loudly and the
loop starts again after a pause that grows while it keeps dying.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.backoff import backoff

log = logging.getLogger(__name__)

RESTART_PAUSE = (1.0, 60.0)  # seconds before a dead loop starts again: the first pause, and the longest


class TaskRegistry:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self.restarts: dict[str, int] = {}  # loop name → how often it was started again
        self._down: set[str] = set()  # loops that died and wait to start again

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        if self._closing:
            coro.close()
            raise RuntimeError("the bot is shutting down")
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def keep_running(self, loop: Callable[[], Coroutine[Any, Any, None]], *, name: str) -> asyncio.Task[Any]:
        """Run `loop()` until the bot closes, starting it again whenever it dies."""
        return self.spawn(self._supervise(loop, name), name=name)

    def running(self, name: str) -> bool:
        """True while the loop `name` (started with `keep_running`) runs, not dead or waiting to restart."""
        alive = any(task.get_name() == name and not task.done() for task in self._tasks)
        return alive and name not in self._down

    async def _supervise(self, loop: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        first, longest = RESTART_PAUSE
        deaths = 0
        while True:
            started = asyncio.get_running_loop().time()
            self._down.discard(name)
            try:
                await loop()
                log.error("The %s loop returned; starting it again", name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.critical("The %s loop died; starting it again", name, exc_info=True)
            self.restarts[name] = self.restarts.get(name, 0) + 1
            self._down.add(name)
            # It ran well for a while: this is a new fault, not the same one again.
            deaths = 1 if asyncio.get_running_loop().time() - started > longest else deaths + 1
            await asyncio.sleep(backoff(deaths, first, longest))

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("Background task %s failed", task.get_name(), exc_info=error)

    async def close(self) -> None:
        """Cancel every task and wait for them to finish."""
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
