"""The benchmark's naive baseline of the delivery writer; bench-only, plugged in through open_bot's seam.

Every state change is written at once, in the order it happened: no coalescing (a progress edit is never
replaced by a newer one), no priority for results over progress, no minimum interval between two edits
of one message. It keeps what any writer needs to stay correct: one write per message in flight at a
time (so edits land in order), Discord's per-channel and global limits (in full, nothing kept back for
results), and the production writer's retries of a failed final write.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from bot.delivery.pending import PendingWrite
from bot.delivery.writer import Writer

if TYPE_CHECKING:
    import discord

    from bot.channel_budget import ChannelBudget
    from bot.mj.client import MJClient
    from bot.mj.models import Task
    from bot.models import Job
    from bot.storage import Store


class NaiveWriter(Writer):
    """A FIFO of every write; `_pending` only ever holds a final write the base class queued for a retry."""

    def __init__(
        self, client: discord.Client, store: Store, mj: MJClient, budget: ChannelBudget | None = None
    ) -> None:
        super().__init__(client, store, mj, budget)
        self._backlog: deque[PendingWrite] = deque()

    def show(self, job: Job) -> None:
        self._backlog.append(PendingWrite(job, final=False))
        self._wake.set()

    def finish(self, job: Job, task: Task | None = None) -> None:
        self._backlog.append(PendingWrite(job, final=True, task=task))
        self._wake.set()

    def _pick(self, now: float) -> tuple[PendingWrite | None, float | None]:
        """The oldest write whose message has none in flight and whose channel has room now."""
        soonest: float | None = None
        busy = set(self._in_flight)  # a message with a write in flight or an older one waiting
        channel_wait: dict[int, float] = {}  # one budget look per channel per pick
        for queue in (list(self._pending.values()), self._backlog):
            for index, write in enumerate(queue):
                job_id, channel_id = write.job.id, write.job.channel_id
                if job_id in busy:
                    continue
                busy.add(job_id)
                if channel_id not in channel_wait:
                    channel_wait[channel_id] = self._budget.wait_time(channel_id, now)
                wait = max(write.not_before - now, channel_wait[channel_id])
                if wait <= 0:
                    if queue is self._backlog:
                        del self._backlog[index]
                    else:
                        del self._pending[job_id]
                    return write, None
                soonest = wait if soonest is None else min(soonest, wait)
        return None, soonest
