"""A queue that takes jobs round-robin by user, so one busy user cannot starve the others.

A user whose concurrency limit is reached is skipped (not dequeued) until one of their jobs ends.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable

CanStart = Callable[[int, int | None], bool]  # (user id, guild id) → may a job start now?


class FairQueue:
    def __init__(self) -> None:
        self._by_user: OrderedDict[int, deque[tuple[int, int | None]]] = OrderedDict()
        self._queued: set[int] = set()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._queued)

    def ids(self) -> set[int]:
        return set(self._queued)

    def put(self, user_id: int, job_id: int, guild_id: int | None = None) -> None:
        if job_id in self._queued:
            return
        self._queued.add(job_id)
        self._by_user.setdefault(user_id, deque()).append((job_id, guild_id))
        self._ready.set()

    def discard(self, job_id: int) -> bool:
        if job_id not in self._queued:
            return False
        self._queued.discard(job_id)
        for user_id, jobs in list(self._by_user.items()):
            for entry in jobs:
                if entry[0] == job_id:
                    jobs.remove(entry)
                    break
            if not jobs:
                del self._by_user[user_id]
        return True

    def wake(self) -> None:
        """Look again: a slot was freed."""
        self._ready.set()

    async def get(self, can_start: CanStart | None = None) -> tuple[int, int, int | None]:
        """The next job that may start, as (job id, user id, guild id): the first of the user who waited
        longest; that user goes to the back."""
        while True:
            for user_id, jobs in self._by_user.items():
                job_id, guild_id = jobs[0]
                if can_start is None or can_start(user_id, guild_id):
                    jobs.popleft()
                    del self._by_user[user_id]
                    if jobs:
                        self._by_user[user_id] = jobs
                    self._queued.discard(job_id)
                    return job_id, user_id, guild_id
            self._ready.clear()
            await self._ready.wait()
