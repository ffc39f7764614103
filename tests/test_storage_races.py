"""Quotas, cooldowns and one-shot claims hold when several bot processes share one database: each test
opens several stores (each its own connections) on one SQLite file or PostgreSQL database and lets them
race. SQLite serialises them with BEGIN IMMEDIATE; PostgreSQL with the locks in bot/storage/postgresql.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.models import Defaults, Job, JobStatus, Mode, NewJob, Reason, ReasonCode, StoredButton
from bot.storage import ButtonSpec, CooldownActive, Quota, QuotaExceeded, Store
from bot.storage.migrations import MIGRATIONS
from bot.storage.migrations_pg import POSTGRESQL_MIGRATIONS
from bot.storage.postgresql import to_postgresql
from tests.harness import Opener
from tests.postgres import Cluster

PROCESSES = 4


def new_job(**kw: object) -> NewJob:
    return NewJob(user_id=1, guild_id=2, channel_id=3, prompt="a cat", **kw)  # type: ignore[arg-type]


async def processes(open_store: Opener) -> list[Store]:
    return [await open_store() for _ in range(PROCESSES)]


async def test_a_quota_holds_for_submits_from_several_processes_at_once(open_store: Opener) -> None:
    stores = await processes(open_store)
    since = datetime.now(UTC) - timedelta(hours=1)
    quota = Quota(5, since)
    singles = [stores[i % PROCESSES].create_job(new_job(), quota) for i in range(12)]
    pairs = [stores[i % PROCESSES].create_jobs([new_job(), new_job()], quota) for i in range(6)]
    results = await asyncio.gather(*singles, *pairs, return_exceptions=True)
    created = [r for r in results if isinstance(r, Job)] + [
        j for r in results if isinstance(r, list) for j in r
    ]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, QuotaExceeded) for r in refused), refused
    assert len(created) == 5, "never more than the quota, and its last place is taken"
    assert await stores[0].charged_since(1, 2, since) == 5


async def test_a_cooldown_holds_for_submits_from_several_processes_at_once(open_store: Opener) -> None:
    stores = await processes(open_store)
    now = datetime.now(UTC)
    quota = Quota(None, now - timedelta(hours=1), quiet_after=now - timedelta(seconds=60))
    results = await asyncio.gather(
        *(stores[i % PROCESSES].create_job(new_job(), quota) for i in range(12)), return_exceptions=True
    )
    assert sum(1 for r in results if isinstance(r, Job)) == 1
    assert all(isinstance(r, CooldownActive) for r in results if isinstance(r, BaseException))


async def test_a_button_clicked_in_several_processes_at_once_is_claimed_once(open_store: Opener) -> None:
    stores = await processes(open_store)
    parent = await stores[0].create_job(new_job())
    [button] = await stores[0].save_buttons(parent.id, [ButtonSpec("MJ::JOB::upsample::1::u", "U1", "")])
    child = new_job(parent_job_id=parent.id, custom_id=button.custom_id, parent_task_id="1")
    quota = Quota(10, datetime.now(UTC) - timedelta(hours=1))
    claims = await asyncio.gather(
        *(stores[i % PROCESSES].claim_button(button.id, child, quota) for i in range(12))
    )
    created = [c for c in claims if c.created]
    assert len(created) == 1
    assert {c.job.id for c in claims} == {created[0].job.id}
    children = [j for j in await stores[1].user_jobs(1, limit=50) if j.parent_job_id == parent.id]
    assert [j.id for j in children] == [created[0].job.id]


async def test_a_retry_pressed_in_several_processes_at_once_happens_once(open_store: Opener) -> None:
    stores = await processes(open_store)
    job = await stores[0].create_job(new_job())
    await stores[0].set_status(job.id, JobStatus.UNCERTAIN, reason=Reason.of(ReasonCode.UNCERTAIN_RESTART))
    quota = Quota(10, datetime.now(UTC) - timedelta(hours=1))
    results = await asyncio.gather(
        *(stores[i % PROCESSES].retry_uncertain(job.id, Mode.RELAX, quota) for i in range(8))
    )
    assert sum(1 for r in results if r is not None) == 1


async def test_changes_to_defaults_from_several_processes_all_count(open_store: Opener) -> None:
    stores = await processes(open_store)
    changes = (
        lambda d: replace(d, aspect="16:9"),
        lambda d: replace(d, version="6.1"),
        lambda d: replace(d, mode=Mode.RELAX),
        lambda d: replace(d, suffix="--s 250"),
        lambda d: replace(d, dm=True),
    )
    await asyncio.gather(
        *(stores[i % PROCESSES].update_defaults("user", 7, c) for i, c in enumerate(changes))
    )
    assert await stores[0].get_defaults("user", 7) == Defaults(
        mode=Mode.RELAX, aspect="16:9", version="6.1", suffix="--s 250", dm=True
    )


async def test_processes_starting_together_migrate_once(open_store: Opener) -> None:
    stores = await asyncio.gather(*(open_store() for _ in range(PROCESSES)))
    jobs = await asyncio.gather(*(store.create_job(new_job()) for store in stores))
    assert len({job.id for job in jobs}) == PROCESSES


def test_every_migration_has_its_postgresql_twin() -> None:
    assert len(POSTGRESQL_MIGRATIONS) == len(MIGRATIONS), "append each migration to migrations_pg.py too"


async def test_both_dialects_have_the_same_schema(postgres_cluster: Cluster) -> None:
    """Every migration's PostgreSQL twin makes the same tables, columns and indexes as its SQLite one."""
    sqlite_store = await Store.open(":memory:")
    try:
        sqlite_rows = await sqlite_store._db.fetch_all(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p"
            " WHERE m.type = 'table' ORDER BY m.name, p.cid"
        )
        sqlite_indexes = await sqlite_store._db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    finally:
        await sqlite_store.close()
    url = postgres_cluster.fresh_database()
    await (await Store.open_postgresql(url)).close()
    connection = await asyncpg.connect(url)
    try:
        pg_rows = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name != 'schema_version' ORDER BY table_name, ordinal_position"
        )
        pg_indexes = await connection.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            " AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'"
        )
    finally:
        await connection.close()
    assert [tuple(r) for r in pg_rows] == [tuple(r) for r in sqlite_rows]
    assert sorted(r[0] for r in pg_indexes) == sorted(r[0] for r in sqlite_indexes)


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [
        (
            "SELECT * FROM t WHERE a = ? AND b IS ?",
            "SELECT * FROM t WHERE a = $1 AND b IS NOT DISTINCT FROM $2",
        ),
        (
            "SELECT '?', x FROM t WHERE y = ? AND z = 'it''s ?'",
            "SELECT '?', x FROM t WHERE y = $1 AND z = 'it''s ?'",
        ),
        (
            "UPDATE t SET a = COALESCE(?, a) WHERE id IN (?,?)",
            "UPDATE t SET a = COALESCE($1, a) WHERE id IN ($2,$3)",
        ),
        ("SELECT 1 WHERE a IS NULL", "SELECT 1 WHERE a IS NULL"),
    ],
)
def test_sqlite_placeholders_become_postgresqls(sqlite: str, postgresql: str) -> None:
    assert to_postgresql(sqlite) == postgresql


async def test_a_secret_made_by_several_processes_at_once_is_one_secret(open_store: Opener) -> None:
    stores = await processes(open_store)
    kept = await asyncio.gather(
        *(store.meta_once("secret", f"made by {n}") for n, store in enumerate(stores))
    )
    assert len(set(kept)) == 1
    assert kept[0] == await stores[0].get_meta("secret")


async def test_clicks_on_results_that_retention_deletes_at_that_moment_never_deadlock(
    open_store: Opener,
) -> None:
    """Each click either claims its button before retention (its job stays, unlinked from the deleted
    parent) or finds the button gone; neither side fails (PostgreSQL would abort one of a deadlock)."""
    clicker, janitor = await open_store(), await open_store()
    buttons = []
    for n in range(30):
        parent = await clicker.create_job(new_job())
        await clicker.set_status(parent.id, JobStatus.DONE, shown=True)
        buttons += await clicker.save_buttons(parent.id, [ButtonSpec(f"MJ::JOB::upsample::1::{n}", "U1", "")])

    async def click(button: StoredButton) -> bool:
        child = new_job(parent_job_id=button.job_id, custom_id=button.custom_id, parent_task_id="1")
        try:
            await clicker.claim_button(button.id, child)
        except LookupError:  # retention deleted the button first
            return False
        return True

    later = datetime.now(UTC) + timedelta(days=1)
    *claimed, pruned = await asyncio.gather(*(click(b) for b in buttons), janitor.prune_finished(later))
    assert pruned == 30
    children = [job for job in await clicker.open_jobs() if job.custom_id]
    assert len(children) == sum(claimed) and all(job.parent_job_id is None for job in children)
