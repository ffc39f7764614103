"""A fake MJ task and the clock that moves it: NOT_START → SUBMITTED → IN_PROGRESS → SUCCESS/FAILURE."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeTask:
    id: str
    action: str
    prompt: str
    created: float
    duration: float
    queue_delay: float
    fail_reason: str = ""
    # Seconds after the task leaves the queue that its failure lands; None = at its scheduled end.
    # 0 = at dequeue, before it ever starts (trueai's local banned-word check).
    fail_after: float | None = None
    held: bool = False
    modal: bool = False
    modal_after: float = 0.0  # seconds a MODAL task first shows NOT_START (it answered code 1)
    # A MODAL fetch's finalPrompt when set; else the prompt (a code 21 answer carries the expanded one).
    window_prompt: str = ""
    released_at: float | None = None
    buttons: list[dict[str, Any]] = field(default_factory=list)
    parent_id: str | None = None
    body: Any = None  # the submit body that created the task
    # trueai only
    mode: str | None = None  # the speed mode the job really runs in: FAST, RELAX or TURBO
    request_mode: str | None = None  # the first mode asked for (path, accountFilter, prompt), or None
    job_hash: str = ""  # MJ's job uuid, the hash in its buttons' customIds
    custom_id: str = ""  # the button that started it (actions)
    prompt_en: str = ""  # the prompt as sent to MJ (speed flags removed)
    description: str | None = None
    mask: str | None = None  # the maskBase64 a /submit/modal carried (Vary Region)
    modal_submitted: bool = False  # its window was confirmed through /submit/modal
    videos: int = 4  # a video task's batch size (--bs): its U buttons and its videoUrls

    def finish_time(self) -> float | None:
        """The monotonic time the task ends (SUCCESS or FAILURE), or None while it cannot end."""
        if self.modal or self.held:
            return None
        if self.fail_reason and self.fail_after is not None:
            return self.created + self.queue_delay + self.fail_after
        return max(self.created + self.queue_delay + self.duration, self.released_at or 0.0)

    def started(self, now: float) -> bool:
        """Whether the task has left the queue and its job reached MJ (a dequeue-time failure never does)."""
        if self.modal or now - self.created < self.queue_delay:
            return False
        return not (self.fail_reason and self.fail_after == 0)

    def state(self, now: float) -> tuple[str, int]:
        elapsed = now - self.created
        if self.modal:
            return ("NOT_START", 0) if elapsed < self.modal_after else ("MODAL", 0)
        running = elapsed - self.queue_delay
        progress = min(90, int(running / self.duration * 100) // 10 * 10) if self.duration > 0 else 90
        finish = self.finish_time()
        if finish is not None and now >= finish:
            return ("FAILURE", max(progress, 0)) if self.fail_reason else ("SUCCESS", 100)
        if elapsed < self.queue_delay:
            return "NOT_START", 0
        if running < self.duration * 0.1:
            return "SUBMITTED", 0
        return "IN_PROGRESS", progress
