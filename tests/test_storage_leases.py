"""Job leases across processes, on SQLite and PostgreSQL: each open job has one holder; a dead holder's
jobs are taken over once its lease runs out, by exactly one process; only the holder submits or delivers.
"""

from __future__ import annotations

import asyncio

from bot.models import JobStatus, NewJob
from bot.storage import Lease, Store
from tests.harness import Opener

SHORT = 0.3  # seconds a short lease lasts


def new_job(user_id: int = 1) -> NewJob:
    return NewJob(user_id=user_id, guild_id=2, channel_id=3, prompt="a cat")


async def taken_once_expired(store: Store, expected: int, timeout: float = 5.0) -> list[int]:
    """The ids `store` takes over once the other holder's leases have run out."""
    taken: list[int] = []
    async with asyncio.timeout(timeout):
        while len(taken) < expected:
            taken += [job.id for job in await store.take_leases()]
            await asyncio.sleep(0.05)
    return sorted(taken)


async def test_a_live_lease_is_not_taken_and_an_expired_one_is(open_store: Opener) -> None:
    a = await open_store(Lease("a", SHORT))
    b = await open_store(Lease("b", 30.0))
    job = await a.create_job(new_job())
    assert await b.take_leases() == []  # a holds it
    assert await taken_once_expired(b, 1) == [job.id]
    # a stalled past its lease: it learns the job is b's, and can no longer submit it
    assert await a.held_elsewhere({job.id}) == {job.id}
    assert await a.mark_submitting(job.id) is None
    submitting = await b.mark_submitting(job.id)
    assert submitting is not None and submitting.status is JobStatus.SUBMITTING
    assert await a.take_leases() == []  # b's lease is live


async def test_renewal_keeps_a_lease_past_its_first_end(open_store: Opener) -> None:
    a = await open_store(Lease("a", SHORT))
    b = await open_store(Lease("b", 30.0))
    job = await a.create_job(new_job())
    for _ in range(4):  # well past the first lease's end
        await asyncio.sleep(SHORT / 3)
        await a.renew_leases()
        assert await b.take_leases() == []
    assert await a.held_elsewhere({job.id}) == set()


async def test_processes_taking_over_at_once_share_the_jobs_without_overlap(open_store: Opener) -> None:
    dead = await open_store(Lease("dead", SHORT))
    jobs = [await dead.create_job(new_job(user_id=n)) for n in range(40)]
    takers = [await open_store(Lease(f"taker-{n}", 30.0)) for n in range(4)]
    await asyncio.sleep(SHORT + 0.05)
    results = await asyncio.gather(*(taker.take_leases(limit=15) for taker in takers))
    taken = [job.id for result in results for job in result]
    assert len(taken) == len(set(taken)), "a job was taken by two processes"
    for taker in takers:  # whatever the first round left (limit 15 each) goes in the next
        taken += [job.id for job in await taker.take_leases()]
    assert sorted(taken) == [job.id for job in jobs]


async def test_a_restarted_holder_takes_its_own_jobs_back_at_once(open_store: Opener) -> None:
    before = await open_store(Lease("shard-0", 30.0))
    job = await before.create_job(new_job())
    other = await open_store(Lease("shard-1", 30.0))
    again = await open_store(Lease("shard-0", 30.0))  # the same process name, started again
    assert await other.take_leases(restarting=True) == []
    assert [j.id for j in await again.take_leases(restarting=True)] == [job.id]


async def test_only_the_holder_moves_a_task_to_delivering(open_store: Opener) -> None:
    a = await open_store(Lease("a", SHORT))
    b = await open_store(Lease("b", 30.0))
    job = await a.create_job(new_job())
    assert await a.mark_submitting(job.id) is not None
    await a.mark_running(job.id, "task-1", None)
    await taken_once_expired(b, 1)
    assert await a.mark_delivering(job.id, "IMAGINE") is None
    delivering = await b.mark_delivering(job.id, "IMAGINE")
    assert delivering is not None and delivering.status is JobStatus.DELIVERING


async def test_a_final_state_not_yet_shown_is_taken_over_and_a_shown_one_is_not(open_store: Opener) -> None:
    a = await open_store(Lease("a", SHORT))
    b = await open_store(Lease("b", 30.0))
    shown = await a.create_job(new_job(1))
    unshown = await a.create_job(new_job(2))
    await a.set_status(shown.id, JobStatus.FAILED, shown=True)
    await a.set_status(unshown.id, JobStatus.FAILED)  # the process died before its message said so
    assert await taken_once_expired(b, 1) == [unshown.id]
    await b.mark_shown(unshown.id, JobStatus.FAILED)  # shown now: it needs no one any more
    await asyncio.sleep(SHORT + 0.05)
    assert await a.take_leases() == []


async def test_a_click_or_retry_leases_the_job_to_the_process_that_queued_it(open_store: Opener) -> None:
    a = await open_store(Lease("a", 30.0))
    b = await open_store(Lease("b", 30.0))
    job = await a.create_job(new_job())
    await a.mark_submitting(job.id)
    await a.set_status(job.id, JobStatus.UNCERTAIN, shown=True)
    retried = await b.retry_uncertain(job.id, None)  # the Retry was clicked on b's shard
    assert retried is not None
    assert await a.held_elsewhere({job.id}) == {job.id}
    assert await b.mark_submitting(job.id) is not None


async def test_check_again_adopts_a_running_job_only(open_store: Opener) -> None:
    a = await open_store(Lease("a", 30.0))
    b = await open_store(Lease("b", 30.0))
    queued = await a.create_job(new_job(1))
    running = await a.create_job(new_job(2))
    await a.mark_submitting(running.id)
    await a.mark_running(running.id, "task-2", None)
    assert await b.adopt_running(queued.id) is None  # a queued job is submitted where it is queued
    adopted = await b.adopt_running(running.id)
    assert adopted is not None and adopted.task_id == "task-2"
    assert await a.held_elsewhere({queued.id, running.id}) == {running.id}


async def test_open_jobs_are_counted_by_holder(open_store: Opener) -> None:
    a = await open_store(Lease("a", SHORT))
    b = await open_store(Lease("b", 30.0))
    for user in range(3):
        await a.create_job(new_job(user))
    done = await b.create_job(new_job(9))
    await b.set_status(done.id, JobStatus.DONE, shown=True)  # needs no one
    assert await b.jobs_by_holder() == {"a": 3}
    await taken_once_expired(b, 3)
    assert await a.jobs_by_holder() == {"b": 3}
