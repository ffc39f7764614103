"""The database schema in SQLite's dialect, as numbered migrations; `PRAGMA user_version` says how many ran.

A migration is SQL, or SQL and then a step in Python for what SQL cannot say (rewriting old rows); the step
gets the Database (database.py), so it serves PostgreSQL too. Each migration has its PostgreSQL twin at
the same position of migrations_pg.POSTGRESQL_MIGRATIONS: add both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.storage.database import Database
from bot.storage.legacy_reasons import converted

PythonStep = Callable[[Database], Awaitable[None]]
Migration = str | tuple[str, PythonStep]


async def details_to_reasons(db: Database) -> None:
    """Migration 5: the sentences in `detail` become reason codes with arguments; then `detail` goes."""
    rows = [
        (int(row[0]), str(row[1]))
        for row in await db.fetch_all("SELECT id, detail FROM jobs WHERE detail IS NOT NULL")
    ]
    await db.execute_many("UPDATE jobs SET reason = ?, reason_args = ? WHERE id = ?", converted(rows))
    await db.execute("ALTER TABLE jobs DROP COLUMN detail")


MIGRATIONS: tuple[Migration, ...] = (
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
    # 2: per-job language, DM delivery and modal state; user/channel defaults; guild policies.
    """
    ALTER TABLE jobs ADD COLUMN locale TEXT NOT NULL DEFAULT 'en-US';
    ALTER TABLE jobs ADD COLUMN dm INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN modal_task_id TEXT;
    ALTER TABLE jobs ADD COLUMN modal_prompt TEXT;
    ALTER TABLE jobs ADD COLUMN banned_word TEXT;
    CREATE INDEX jobs_guild ON jobs(guild_id, created_at);
    CREATE TABLE defaults (
        scope TEXT NOT NULL,
        scope_id INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (scope, scope_id)
    );
    CREATE TABLE guild_policies (guild_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
    """,
    # 3: whether a job's final state reached its message, so a restart shows what a stop cut off.
    """
    ALTER TABLE jobs ADD COLUMN shown INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX jobs_unshown ON jobs(id) WHERE shown = 0;
    """,
    # 4: since when a submit has been retried (a busy API), so the retry budget counts from there.
    """
    ALTER TABLE jobs ADD COLUMN retrying_since REAL;
    """,
    # 5: reasons are stored as a code and its arguments, never as a sentence in one language.
    (
        """
        ALTER TABLE jobs ADD COLUMN reason TEXT;
        ALTER TABLE jobs ADD COLUMN reason_args TEXT;
        """,
        details_to_reasons,
    ),
    # 6: permutation prompts waiting for their owner's confirmation (a JSON document each).
    """
    CREATE TABLE pending_prompts (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        created_at REAL NOT NULL,
        data TEXT NOT NULL
    );
    """,
    # 7: the prompt window a job's prompt was sent to, so a restart never sends it twice.
    """
    ALTER TABLE jobs ADD COLUMN prompt_sent_to TEXT;
    """,
    # 8: what a submit sends besides its prompt (images, a link, a mask …), as a JSON document.
    """
    CREATE TABLE job_inputs (job_id INTEGER PRIMARY KEY REFERENCES jobs(id), data TEXT NOT NULL);
    """,
    # 9: Vary (Region) editor links: a nonce consumed once, with who clicked and where (a JSON document).
    """
    CREATE TABLE region_links (
        nonce TEXT PRIMARY KEY,
        expires_at REAL NOT NULL,
        used_at REAL,
        data TEXT NOT NULL
    );
    """,
    # 10: results users saved with ❤️ (a user may save another's result where anyone may click).
    """
    CREATE TABLE bookmarks (
        user_id INTEGER NOT NULL,
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        created_at REAL NOT NULL,
        PRIMARY KEY (user_id, job_id)
    );
    CREATE INDEX bookmarks_job ON bookmarks(job_id);
    CREATE INDEX bookmarks_user ON bookmarks(user_id, created_at);
    """,
    # 11: a text result (describe's prompts, shorten's analysis), read by its buttons; pruned with its job.
    """
    CREATE TABLE job_results (
        job_id INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        text TEXT NOT NULL
    );
    """,
    # 12: which process works on an open job, and until when (bot/storage/leases.py).
    """
    ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
    ALTER TABLE jobs ADD COLUMN lease_until REAL;
    CREATE INDEX jobs_lease ON jobs(lease_owner, status);
    """,
)
