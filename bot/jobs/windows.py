"""Prompt windows (Remix, Custom Zoom): a job waits for the user's prompt, which is then queued like any
submit; a prompt typed before the window opened is sent to it without asking again."""

from __future__ import annotations

import logging

from bot.jobs.core import JobCore
from bot.models import Job

log = logging.getLogger(__name__)


class PromptWindows:
    def __init__(self, core: JobCore) -> None:
        self._core = core

    async def wait_for_input(self, job: Job, modal_task_id: str, final_prompt: str | None) -> None:
        """The API asks for a prompt: the job waits for the user's window, holding no slot."""
        core = self._core
        waiting = await core.store.wait_for_input(job.id, modal_task_id, final_prompt or job.prompt)
        core.jobs.pop(job.id, None)
        core.release(job.id)
        core.writer.finish(waiting)

    async def submit_prompt(self, job_id: int, prompt: str) -> Job | None:
        """The user's prompt for a task waiting in MODAL; None if it no longer waits.

        It is queued like any submit, so the user's and the server's concurrency limits hold.
        """
        job = await self._core.store.answer_window(job_id, prompt)
        if job is None:
            return None
        self._core.writer.show(job)
        self._core.enqueue(job)
        return job

    def send_typed_later(self, job: Job, prompt: str) -> None:
        """Custom Zoom whose action answered code 1 and turned MODAL when polled: the user typed its prompt
        with the click, so it is sent to the window without asking again."""
        self._core.registry.spawn(self._send_typed(job, prompt), name=f"modal-job-{job.id}")

    async def _send_typed(self, job: Job, prompt: str) -> None:
        if job.task_id is None:
            raise RuntimeError(f"job {job.id} turned MODAL without a task")
        await self._core.store.wait_for_input(job.id, job.task_id, prompt)
        if await self.submit_prompt(job.id, prompt) is None:
            log.info("Job %s stopped waiting before its typed prompt was sent", job.id)
