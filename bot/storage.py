"""Every SQL statement of the bot: connection settings, migrations and typed store methods."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import BotType, Job, JobStatus, Mode, NewJob, StoredButton

log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: jobs, buttons and a key/value table for small facts (command hash, batch support).
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        status TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        guild_id INTEGER,
        channel_id INTEGER NOT NULL,
        message_id INTEGER,
        reply_to_message_id INTEGER,
        prompt TEXT NOT NULL,
        action TEXT NOT NULL,
        mode TEXT,
        bot_type TEXT,
        parent_job_id INTEGER REFERENCES jobs(id),
        parent_task_id TEXT,
        custom_id TEXT,
        task_id TEXT,
        task_action TEXT,
        progress INTEGER NOT NULL DEFAULT 0,
        queue_position INTEGER,
        detail TEXT,
        upload_limit INTEGER,
        submit_attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        submitted_at REAL,
        finished_at REAL
    );
    CREATE INDEX jobs_open ON jobs(status) WHERE status IN ('QUEUED','SUBMITTING','RUNNING','STUCK','DELIVERING');
    CREATE INDEX jobs_user ON jobs(user_id, created_at);
    CREATE TABLE buttons (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        position INTEGER NOT NULL,
        custom_id TEXT NOT NULL,
        label TEXT NOT NULL,
        emoji TEXT NOT NULL,
        used_by_job_id INTEGER REFERENCES jobs(id),
        UNIQUE (job_id, position)
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)

OPEN_STATUSES = (
    JobStatus.QUEUED,
    JobStatus.SUBMITTING,
    JobStatus.RUNNING,
    JobStatus.STUCK,
    JobStatus.DELIVERING,
)

_JOB_COLUMNS = (
    "id, status, user_id, guild_id, channel_id, message_id, reply_to_message_id, prompt, action, mode, "
    "bot_type, parent_job_id, parent_task_id, custom_id, task_id, task_action, progress, queue_position, "
    "detail, upload_limit, submit_attempts, next_attempt_at, created_at, updated_at, submitted_at, finished_at"
)


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button to store for a delivered job, in display order."""

    custom_id: str
    label: str
    emoji: str


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    job_id: int
    status: JobStatus
    progress: int
    queue_position: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """The outcome of a click: the new job, or the job an earlier click already started."""

    job: Job
    created: bool


def _now() -> float:
    return datetime.now(UTC).timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _job(row: sqlite3.Row) -> Job:
    created = _dt(row["created_at"])
    updated = _dt(row["updated_at"])
    assert created is not None and updated is not None
    return Job(
        id=row["id"],
        status=JobStatus(row["status"]),
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        reply_to_message_id=row["reply_to_message_id"],
        prompt=row["prompt"],
        action=row["action"],
        mode=Mode(row["mode"]) if row["mode"] else None,
        bot_type=BotType(row["bot_type"]) if row["bot_type"] else None,
        parent_job_id=row["parent_job_id"],
        parent_task_id=row["parent_task_id"],
        custom_id=row["custom_id"],
        task_id=row["task_id"],
        task_action=row["task_action"],
        progress=row["progress"],
        queue_position=row["queue_position"],
        detail=row["detail"],
        upload_limit=row["upload_limit"],
        submit_attempts=row["submit_attempts"],
        next_attempt_at=_dt(row["next_attempt_at"]),
        created_at=created,
        updated_at=updated,
        submitted_at=_dt(row["submitted_at"]),
        finished_at=_dt(row["finished_at"]),
    )


def _button(row: sqlite3.Row) -> StoredButton:
    return StoredButton(
        id=row["id"],
        job_id=row["job_id"],
        position=row["position"],
        custom_id=row["custom_id"],
        label=row["label"],
        emoji=row["emoji"],
        used_by_job_id=row["used_by_job_id"],
    )


class Store:
    """The bot's SQLite database. Open with `await Store.open(path)`; `:memory:` works for tests."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection: a write must not slip into another coroutine's open transaction.
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _write_job(self, sql: str, params: Sequence[Any]) -> Job | None:
        async with self._write_lock:
            return await self._fetch_job(sql, params)

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store = cls(db)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("Applying database migration %d", number)
            statements = [s for s in script.split(";") if s.strip()]
            async with self._transaction():
                for statement in statements:
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version={number}")

    async def _fetch_job(self, sql: str, params: Sequence[Any]) -> Job | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return _job(row) if row else None

    async def _fetch_jobs(self, sql: str, params: Sequence[Any] = ()) -> list[Job]:
        async with self._db.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return [_job(row) for row in rows]

    # -- jobs ---------------------------------------------------------------------------------------

    async def create_job(self, new: NewJob) -> Job:
        async with self._write_lock:
            return await self._insert_job(new)

    async def _insert_job(self, new: NewJob) -> Job:
        now = _now()
        async with self._db.execute(
            "INSERT INTO jobs (status, user_id, guild_id, channel_id, reply_to_message_id, prompt, action, mode,"
            " bot_type, parent_job_id, parent_task_id, custom_id, upload_limit, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING " + _JOB_COLUMNS,
            (
                JobStatus.QUEUED,
                new.user_id,
                new.guild_id,
                new.channel_id,
                new.reply_to_message_id,
                new.prompt,
                new.action,
                new.mode,
                new.bot_type,
                new.parent_job_id,
                new.parent_task_id,
                new.custom_id,
                new.upload_limit,
                now,
                now,
            ),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return _job(row)

    async def get_job(self, job_id: int) -> Job | None:
        return await self._fetch_job(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))

    async def open_jobs(self) -> list[Job]:
        marks = ",".join("?" * len(OPEN_STATUSES))
        return await self._fetch_jobs(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status IN ({marks}) ORDER BY id", OPEN_STATUSES
        )

    async def set_message(self, job_id: int, message_id: int) -> None:
        async with self._write_lock:
            await self._db.execute(
                "UPDATE jobs SET message_id = ?, updated_at = ? WHERE id = ?", (message_id, _now(), job_id)
            )

    async def mark_submitting(self, job_id: int) -> Job | None:
        """QUEUED → SUBMITTING, committed before the POST. None if the job is no longer queued."""
        return await self._write_job(
            "UPDATE jobs SET status = ?, submit_attempts = submit_attempts + 1, updated_at = ?"
            f" WHERE id = ? AND status = ? RETURNING {_JOB_COLUMNS}",
            (JobStatus.SUBMITTING, _now(), job_id, JobStatus.QUEUED),
        )

    async def mark_running(self, job_id: int, task_id: str, queue_position: int | None) -> Job | None:
        now = _now()
        return await self._write_job(
            "UPDATE jobs SET status = ?, task_id = ?, queue_position = ?, submitted_at = ?, updated_at = ?"
            f" WHERE id = ? RETURNING {_JOB_COLUMNS}",
            (JobStatus.RUNNING, task_id, queue_position, now, now, job_id),
        )

    async def requeue(self, job_id: int, retry_at: datetime, detail: str) -> Job | None:
        return await self._write_job(
            "UPDATE jobs SET status = ?, next_attempt_at = ?, detail = ?, updated_at = ?"
            f" WHERE id = ? RETURNING {_JOB_COLUMNS}",
            (JobStatus.QUEUED, retry_at.timestamp(), detail, _now(), job_id),
        )

    async def retry_uncertain(self, job_id: int) -> Job | None:
        """UNCERTAIN → QUEUED, once: the user chose to submit again."""
        return await self._write_job(
            "UPDATE jobs SET status = ?, detail = NULL, next_attempt_at = NULL, finished_at = NULL, updated_at = ?"
            f" WHERE id = ? AND status = ? RETURNING {_JOB_COLUMNS}",
            (JobStatus.QUEUED, _now(), job_id, JobStatus.UNCERTAIN),
        )

    async def save_progress(self, updates: Iterable[ProgressUpdate]) -> None:
        """Write many progress changes in one transaction."""
        now = _now()
        rows = [(u.status, u.progress, u.queue_position, now, u.job_id) for u in updates]
        if rows:
            async with self._transaction():
                await self._db.executemany(
                    "UPDATE jobs SET status = ?, progress = ?, queue_position = ?, updated_at = ? WHERE id = ?",
                    rows,
                )

    async def set_status(
        self, job_id: int, status: JobStatus, *, detail: str | None = None, task_action: str | None = None
    ) -> Job | None:
        now = _now()
        finished = now if status.is_final or status is JobStatus.DELIVERING else None
        return await self._write_job(
            "UPDATE jobs SET status = ?, detail = COALESCE(?, detail), task_action = COALESCE(?, task_action),"
            " finished_at = COALESCE(finished_at, ?), updated_at = ?"
            f" WHERE id = ? RETURNING {_JOB_COLUMNS}",
            (status, detail, task_action, finished, now, job_id),
        )

    # -- buttons ------------------------------------------------------------------------------------

    async def save_buttons(self, job_id: int, specs: Sequence[ButtonSpec]) -> list[StoredButton]:
        """Store a delivered job's buttons once; a second delivery of the same job reuses them."""
        async with self._transaction():
            await self._db.executemany(
                "INSERT OR IGNORE INTO buttons (job_id, position, custom_id, label, emoji) VALUES (?,?,?,?,?)",
                [(job_id, i, s.custom_id, s.label, s.emoji) for i, s in enumerate(specs)],
            )
        return await self.buttons_for_job(job_id)

    async def buttons_for_job(self, job_id: int) -> list[StoredButton]:
        async with self._db.execute(
            "SELECT * FROM buttons WHERE job_id = ? ORDER BY position", (job_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [_button(row) for row in rows]

    async def get_button(self, button_id: int) -> StoredButton | None:
        async with self._db.execute("SELECT * FROM buttons WHERE id = ?", (button_id,)) as cursor:
            row = await cursor.fetchone()
        return _button(row) if row else None

    async def claim_button(self, button_id: int, new: NewJob) -> ClaimResult:
        """Create the job a click asks for, once: a second click gets the first click's job."""
        async with self._transaction():
            async with self._db.execute(
                "SELECT used_by_job_id FROM buttons WHERE id = ?", (button_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                raise LookupError(f"button {button_id} is unknown")
            if row[0] is not None:
                existing = await self.get_job(row[0])
                assert existing is not None
                return ClaimResult(existing, created=False)
            job = await self._insert_job(new)
            await self._db.execute("UPDATE buttons SET used_by_job_id = ? WHERE id = ?", (job.id, button_id))
        return ClaimResult(job, created=True)

    # -- small facts --------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._write_lock:
            await self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
