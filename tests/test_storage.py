"""The store against a real SQLite file: migrations, the job state machine, and one-shot button claims."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import JobStatus, NewJob
from bot.storage import ButtonSpec, ProgressUpdate, Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "db" / "bot.sqlite3")
    yield store
    await store.close()


def new_job(**kw: object) -> NewJob:
    return NewJob(user_id=1, guild_id=2, channel_id=3, prompt="a cat", **kw)  # type: ignore[arg-type]


async def test_reopen_keeps_jobs_and_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = await Store.open(path)
    job = await first.create_job(new_job())
    await first.close()
    second = await Store.open(path)
    assert (await second.get_job(job.id)) == job
    await second.close()


async def test_lifecycle_and_open_jobs(store: Store) -> None:
    job = await store.create_job(new_job())
    assert job.status is JobStatus.QUEUED
    submitting = await store.mark_submitting(job.id)
    assert submitting is not None and submitting.submit_attempts == 1
    assert await store.mark_submitting(job.id) is None  # only a queued job can be taken
    running = await store.mark_running(job.id, "1781524258075013", 5)
    assert running is not None and running.task_id == "1781524258075013" and running.queue_position == 5
    await store.save_progress([ProgressUpdate(job.id, JobStatus.RUNNING, 40)])
    assert [j.progress for j in await store.open_jobs()] == [40]
    done = await store.set_status(job.id, JobStatus.DONE)
    assert done is not None and done.finished_at is not None
    assert await store.open_jobs() == []


async def test_uncertain_retry_happens_once(store: Store) -> None:
    job = await store.create_job(new_job())
    await store.set_status(job.id, JobStatus.UNCERTAIN, detail="lost")
    first, second = await asyncio.gather(store.retry_uncertain(job.id), store.retry_uncertain(job.id))
    assert [r is not None for r in (first, second)].count(True) == 1


async def test_buttons_are_saved_once_and_claimed_once(store: Store) -> None:
    job = await store.create_job(new_job())
    specs = [ButtonSpec("MJ::JOB::upsample::1::" + "x" * 120, "U1", ""), ButtonSpec("MJ::r", "", "🔄")]
    buttons = await store.save_buttons(job.id, specs)
    assert await store.save_buttons(job.id, specs) == buttons
    assert buttons[0].custom_id == specs[0].custom_id  # kept byte for byte, even past 100 characters
    child = new_job(parent_job_id=job.id, custom_id=buttons[0].custom_id, parent_task_id="1")
    claims = await asyncio.gather(*(store.claim_button(buttons[0].id, child) for _ in range(5)))
    created = [c for c in claims if c.created]
    assert len(created) == 1
    assert {c.job.id for c in claims} == {created[0].job.id}
    stored = await store.get_button(buttons[0].id)
    assert stored is not None and stored.used_by_job_id == created[0].job.id
    with pytest.raises(LookupError):
        await store.claim_button(9999, child)


async def test_meta_roundtrip(store: Store) -> None:
    assert await store.get_meta("k") is None
    await store.set_meta("k", "1")
    await store.set_meta("k", "2")
    assert await store.get_meta("k") == "2"
