"""A queue that takes jobs round-robin by user, so one busy user cannot starve the others."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque


class FairQueue:
    def __init__(self) -> None:
        self._by_user: OrderedDict[int, deque[int]] = OrderedDict()
        self._queued: set[int] = set()
        self._ready = asyncio.Event()

    def put(self, user_id: int, job_id: int) -> None:
        if job_id in self._queued:
            return
        self._queued.add(job_id)
        self._by_user.setdefault(user_id, deque()).append(job_id)
        self._ready.set()

    def discard(self, job_id: int) -> bool:
        if job_id not in self._queued:
            return False
        self._queued.discard(job_id)
        for user_id, jobs in list(self._by_user.items()):
            if job_id in jobs:
                jobs.remove(job_id)
                if not jobs:
                    del self._by_user[user_id]
        return True

    async def get(self) -> int:
        """The next job: the first of the user who waited longest; that user then goes to the back."""
        while not self._by_user:
            self._ready.clear()
            await self._ready.wait()
        user_id, jobs = next(iter(self._by_user.items()))
        job_id = jobs.popleft()
        del self._by_user[user_id]
        if jobs:
            self._by_user[user_id] = jobs
        self._queued.discard(job_id)
        return job_id
