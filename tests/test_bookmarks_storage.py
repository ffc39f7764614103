"""The bookmarks table against a real SQLite file: toggling, paging order, and retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import JobStatus, NewJob
from bot.storage import ButtonSpec, Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "bot.sqlite3")
    yield store
    await store.close()


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
