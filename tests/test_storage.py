"""The store against a real SQLite file and a real PostgreSQL database (the same tests for both):
migrations, the job state machine, one-shot button claims, and quotas that hold across processes."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import Defaults, JobStatus, Mode, NewJob, Reason, ReasonCode
from bot.policy import GuildPolicy
from bot.region.links import RegionTicket
from bot.storage import ButtonSpec, CooldownActive, ProgressUpdate, Quota, QuotaExceeded, Store
from bot.storage.migrations import MIGRATIONS
from bot.storage.region_links import RegionLinkSpent
from tests.harness import Opener

CANCELLED = Reason.of(ReasonCode.CANCELLED)


@pytest.fixture
async def store(open_store: Opener) -> Store:
    return await open_store()


def new_job(**kw: object) -> NewJob:
    return NewJob(user_id=1, guild_id=2, channel_id=3, prompt="a cat", **kw)  # type: ignore[arg-type]


async def test_reopen_keeps_jobs_and_migrations_are_idempotent(open_store: Opener) -> None:
    first = await open_store()
    job = await first.create_job(new_job())
    await first.close()
    second = await open_store()
    assert (await second.get_job(job.id)) == job


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
    await store.set_status(job.id, JobStatus.UNCERTAIN, reason=Reason.of(ReasonCode.UNCERTAIN_RESTART))
    first, second = await asyncio.gather(
        store.retry_uncertain(job.id, None), store.retry_uncertain(job.id, None)
    )
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


async def test_a_version_1_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version=1;")
    db.execute(
        "INSERT INTO jobs (status, user_id, channel_id, prompt, action, created_at, updated_at)"
        " VALUES ('RUNNING', 1, 3, 'an old job', 'IMAGINE', 1.0, 1.0)"
    )
    db.commit()
    db.close()
    store = await Store.open(path)
    [job] = await store.open_jobs()
    assert (job.prompt, job.locale, job.dm, job.banned_word) == ("an old job", "en-US", False, None)
    await store.close()


async def test_a_quota_is_checked_in_the_same_transaction_as_the_insert(store: Store) -> None:
    since = datetime.now(UTC) - timedelta(hours=1)
    results = await asyncio.gather(
        *(store.create_job(new_job(), Quota(3, since)) for _ in range(8)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 3
    assert all(isinstance(r, QuotaExceeded) for r in results if isinstance(r, BaseException))


async def test_a_cooldown_is_checked_in_the_same_transaction_as_the_insert(store: Store) -> None:
    now = datetime.now(UTC)
    quota = Quota(None, now - timedelta(hours=1), quiet_after=now - timedelta(seconds=60))
    results = await asyncio.gather(
        *(store.create_job(new_job(), quota) for _ in range(5)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert all(isinstance(r, CooldownActive) for r in results if isinstance(r, BaseException))


async def test_failed_rejected_and_cancelled_jobs_are_refunded(store: Store) -> None:
    since = datetime.now(UTC) - timedelta(hours=1)
    jobs = [await store.create_job(new_job()) for _ in range(4)]
    await store.set_status(jobs[0].id, JobStatus.FAILED)
    await store.set_status(jobs[1].id, JobStatus.REJECTED)
    await store.cancel_waiting(jobs[2].id, CANCELLED)
    assert await store.charged_since(1, 2, since) == 1
    assert await store.create_job(new_job(), Quota(2, since))
    with pytest.raises(QuotaExceeded):
        await store.create_job(new_job(), Quota(2, since))


async def test_only_waiting_jobs_can_be_cancelled(store: Store) -> None:
    queued = await store.create_job(new_job())
    running = await store.create_job(new_job())
    await store.mark_submitting(running.id)
    waiting = await store.create_job(new_job())
    await store.wait_for_input(waiting.id, "task-1", "a cat --zoom 2")
    assert (await store.cancel_waiting(queued.id, CANCELLED)) is not None
    assert (await store.cancel_waiting(waiting.id, CANCELLED)) is not None
    assert await store.cancel_waiting(running.id, CANCELLED) is None
    assert await store.cancel_waiting(queued.id, CANCELLED) is None, "only once"


async def test_defaults_and_policies_round_trip(store: Store) -> None:
    defaults = Defaults(mode=Mode.RELAX, aspect="16:9", version="6.1", suffix="--style raw", dm=True)
    await store.set_defaults("user", 1, defaults)
    assert await store.get_defaults("user", 1) == defaults
    assert await store.get_defaults("channel", 1) == Defaults()
    await store.set_defaults("user", 1, Defaults())
    assert await store.get_defaults("user", 1) == Defaults()
    policy = GuildPolicy(
        allowed_modes=frozenset({Mode.RELAX}), daily_quota=5, role_quotas=((9, 20),), cooldown=30.0,
        channel_ids=frozenset({3}), guild_concurrency=4, anyone_clicks=True,
    )  # fmt: skip
    await store.set_policy(2, policy)
    assert await store.get_policies() == {2: policy}


async def test_guild_stats(store: Store) -> None:
    for user, mode in ((1, Mode.FAST), (1, Mode.RELAX), (7, None)):
        await store.create_job(NewJob(user_id=user, guild_id=2, channel_id=3, prompt="p", mode=mode))
    failed = await store.create_job(new_job())
    await store.set_status(failed.id, JobStatus.FAILED)
    stats = await store.guild_stats(2, datetime.now(UTC) - timedelta(days=7))
    assert (stats.total, stats.failed) == (4, 1)
    assert stats.by_user == [(1, 3), (7, 1)]
    assert sum(n for _, n in stats.by_day) == 4
    assert dict(stats.by_mode) == {"FAST": 1, "RELAX": 1, "DEFAULT": 2}


async def test_quick_changes_to_defaults_all_count(store: Store) -> None:
    changes = (
        lambda d: replace(d, aspect="16:9"),
        lambda d: replace(d, version="6.1"),
        lambda d: replace(d, mode=Mode.RELAX),
        lambda d: replace(d, suffix="--s 250"),
    )
    await asyncio.gather(*(store.update_defaults("user", 7, change) for change in changes))
    assert await store.get_defaults("user", 7) == Defaults(
        mode=Mode.RELAX, aspect="16:9", version="6.1", suffix="--s 250"
    )


async def test_migration_5_turns_stored_sentences_into_reasons(tmp_path: Path) -> None:
    """Rows written before reasons were codes: an English sentence, a Chinese one, and API text."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for migration in MIGRATIONS[:4]:
        assert isinstance(migration, str)
        db.executescript(migration)
    db.execute("PRAGMA user_version=4")
    details = [
        "⏳ The API is busy (its queue is full); retrying (attempt 3)",
        "API 已连续 15 分钟无法连接，已放弃。请过几分钟再试。",
        "The API could not be reached (HTTP 502 from the API); retrying (attempt 2)",
        "Job failed: upstream GPU exploded",
    ]
    for detail in details:
        db.execute(
            "INSERT INTO jobs (status, user_id, channel_id, prompt, action, detail, created_at, updated_at)"
            " VALUES ('FAILED', 1, 2, 'a cat', 'IMAGINE', ?, 0, 0)",
            (detail,),
        )
    db.commit()
    db.close()

    store = await Store.open(path)
    jobs = sorted(await store.user_jobs(1, limit=10), key=lambda job: job.id)
    await store.close()
    assert [job.reason for job in jobs] == [
        Reason.of(ReasonCode.RETRY_QUEUE_FULL, attempt=3),
        Reason.of(ReasonCode.GAVE_UP_UNREACHABLE, minutes=15),
        Reason.of(ReasonCode.RETRY_UNREACHABLE, attempt=2),
        Reason.of(ReasonCode.LEGACY, text="Job failed: upstream GPU exploded"),
    ]
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(jobs)")]
    assert "detail" not in columns, "no sentence is stored any more"


async def test_finished_jobs_past_retention_go_with_their_buttons_and_nothing_else(store: Store) -> None:
    old = await store.create_job(new_job())
    await store.set_status(old.id, JobStatus.DONE)
    [button] = await store.save_buttons(old.id, [ButtonSpec("MJ::JOB::upsample::1::u", "U1", "")])
    child = await store.claim_button(button.id, new_job(parent_job_id=old.id, custom_id=button.custom_id))
    running = await store.create_job(new_job())
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert await store.prune_finished(later) == 1, "only the finished one; the click's job is still open"
    assert await store.get_job(old.id) is None and await store.buttons_for_job(old.id) == []
    kept = await store.get_job(child.job.id)
    assert kept is not None and kept.parent_job_id is None, "its link to a deleted parent is cleared"
    assert await store.get_job(running.id) is not None
    assert await store.prune_finished(later) == 0


def region_ticket(button_id: int) -> RegionTicket:
    return RegionTicket(
        button_id=button_id,
        user_id=1,
        guild_id=2,
        rules_channel_id=3,
        channel_id=3,
        dm=False,
        message_id=44,
        locale="en-US",
        upload_limit=None,
        mode=Mode.FAST,
    )


async def test_a_region_link_claims_its_button_once_across_processes(open_store: Opener) -> None:
    first, second = await open_store(), await open_store()
    parent = await first.create_job(new_job())
    [button] = await first.save_buttons(
        parent.id, [ButtonSpec("MJ::Inpaint::1::x::SOLO", "Vary (Region)", "")]
    )
    ticket = region_ticket(button.id)
    await first.save_region_link("nonce-1", time.time() + 600, ticket)
    assert await second.region_link("nonce-1") == (ticket, False)
    child = new_job(parent_job_id=parent.id, custom_id=button.custom_id)
    posts = await asyncio.gather(
        *(store.claim_with_region_link("nonce-1", child) for store in (first, second) * 3),
        return_exceptions=True,
    )
    claimed = [p for p in posts if not isinstance(p, BaseException)]
    assert len(claimed) == 1 and claimed[0].created, posts
    assert all(isinstance(p, RegionLinkSpent) for p in posts if p is not claimed[0]), (
        "the nonce is spent once"
    )
    assert await first.region_link("nonce-1") == (ticket, True)
    stored = await second.get_button(button.id)
    assert stored is not None and stored.used_by_job_id == claimed[0].job.id
    assert await first.region_link("unknown") is None


async def test_an_expired_region_link_claims_nothing(store: Store) -> None:
    parent = await store.create_job(new_job())
    [button] = await store.save_buttons(
        parent.id, [ButtonSpec("MJ::Inpaint::1::x::SOLO", "Vary (Region)", "")]
    )
    await store.save_region_link("old", time.time() - 1, region_ticket(button.id))
    with pytest.raises(RegionLinkSpent):
        await store.claim_with_region_link("old", new_job(parent_job_id=parent.id))
    stored = await store.get_button(button.id)
    assert stored is not None and stored.used_by_job_id is None


async def test_a_result_text_is_replaced_and_pruned_with_its_job(store: Store) -> None:
    job = await store.create_job(new_job())
    assert await store.get_result_text(job.id) is None
    await store.set_result_text(job.id, "1️⃣ a cat")
    await store.set_result_text(job.id, "1️⃣ a cat\n2️⃣ a dog")  # a retried delivery writes it again
    assert await store.get_result_text(job.id) == "1️⃣ a cat\n2️⃣ a dog"
    await store.set_status(job.id, JobStatus.DONE)
    assert await store.prune_finished(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await store.get_result_text(job.id) is None
