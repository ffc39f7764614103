"""The bookmarks table against a real SQLite file and a real PostgreSQL database (conftest.open_store):
toggling, paging order, and retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import JobStatus, NewJob
from bot.storage import ButtonSpec, Store
from tests.harness import Opener


@pytest.fixture
async def store(open_store: Opener) -> Store:
    return await open_store()


async def done_job(store: Store, prompt: str, user_id: int = 1) -> int:
    job = await store.create_job(NewJob(user_id=user_id, guild_id=2, channel_id=3, prompt=prompt))
    await store.set_status(job.id, JobStatus.DONE)
    return job.id


async def test_a_bookmark_toggles_per_user_and_pages_newest_first(store: Store) -> None:
    first, second, third = [await done_job(store, p) for p in ("a", "b", "c")]
    for job_id in (first, second, third):
        assert await store.toggle_bookmark(7, job_id) is True
    assert await store.toggle_bookmark(7, second) is False, "a second click removes it"
    assert await store.toggle_bookmark(8, second) is True, "each user has their own"
    assert await store.count_bookmarks(7) == 2 and await store.count_bookmarks(8) == 1
    assert [j.id for j in await store.bookmarked_jobs(7, limit=10)] == [third, first]
    [page_two] = await store.bookmarked_jobs(7, limit=1, offset=1)
    assert page_two.id == first and page_two.prompt == "a" and page_two.user_id == 1
    assert await store.is_bookmarked(8, second) and not await store.is_bookmarked(7, second)


async def test_retention_keeps_a_bookmarked_job_until_its_last_bookmark_goes(store: Store) -> None:
    saved, other = await done_job(store, "saved"), await done_job(store, "other")
    await store.save_buttons(saved, [ButtonSpec("MJ::JOB::upsample::1::u", "U1", "")])
    await store.toggle_bookmark(7, saved)
    await store.toggle_bookmark(8, saved)
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert await store.prune_finished(later) == 1
    assert await store.get_job(other) is None
    assert await store.get_job(saved) is not None and len(await store.buttons_for_job(saved)) == 1
    await store.toggle_bookmark(7, saved)
    assert await store.prune_finished(later) == 0, "user 8 still keeps it"
    await store.toggle_bookmark(8, saved)
    assert await store.prune_finished(later) == 1 and await store.get_job(saved) is None


async def test_toggles_of_one_bookmark_from_two_processes_take_turns(open_store: Opener) -> None:
    first, second = await open_store(), await open_store()
    job_id = await done_job(first, "saved")
    answers = await asyncio.gather(*(store.toggle_bookmark(7, job_id) for store in (first, second) * 3))
    assert sorted(answers) == [False, False, False, True, True, True], "each toggle sees the one before"
    assert await first.count_bookmarks(7) == 0


async def test_a_bookmark_added_while_retention_waits_for_its_job_keeps_the_job(open_store: Opener) -> None:
    """Retention's read misses a bookmark not yet committed; it waits for the job's row, then reads again."""
    saving, pruning = await open_store(), await open_store()
    job_id = await done_job(saving, "saved")
    async with saving._db.transaction():
        assert await saving.toggle_bookmark(7, job_id) is True
        prune = asyncio.create_task(pruning.prune_finished(datetime.now(UTC) + timedelta(seconds=1)))
        await asyncio.sleep(0.3)
        assert not prune.done(), "retention waits for the bookmark's transaction"
    assert await prune == 0
    assert await saving.get_job(job_id) is not None and await saving.is_bookmarked(7, job_id)
