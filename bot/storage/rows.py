"""Rows → models: the one place that knows column names and how times are stored (UTC epoch seconds)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.models import BotType, Job, JobStatus, Mode, Reason, ReasonCode, StoredButton
from bot.storage.database import Row

JOB_COLUMNS = (
    "id, status, user_id, guild_id, channel_id, message_id, reply_to_message_id, prompt, action, mode, "
    "bot_type, parent_job_id, parent_task_id, custom_id, task_id, task_action, progress, queue_position, "
    "reason, reason_args, upload_limit, submit_attempts, next_attempt_at, created_at, updated_at, submitted_at, finished_at, "
    "locale, dm, modal_task_id, modal_prompt, banned_word, retrying_since, prompt_sent_to"
)


def now() -> float:
    return datetime.now(UTC).timestamp()


def dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def reason_from(code: str | None, args: str | None) -> Reason | None:
    if not code:
        return None
    try:
        return Reason.of(ReasonCode(code), **json.loads(args or "{}"))
    except ValueError:  # a code this version does not know (written by a newer one)
        return Reason.of(ReasonCode.LEGACY, text=code)


def reason_columns(reason: Reason | None) -> tuple[str | None, str | None]:
    """(reason, reason_args) for a row."""
    if reason is None:
        return None, None
    return reason.code.value, json.dumps(dict(reason.args), ensure_ascii=False)


def job_from_row(row: Row) -> Job:
    created = datetime.fromtimestamp(row["created_at"], UTC)
    updated = datetime.fromtimestamp(row["updated_at"], UTC)
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
        reason=reason_from(row["reason"], row["reason_args"]),
        upload_limit=row["upload_limit"],
        submit_attempts=row["submit_attempts"],
        next_attempt_at=dt(row["next_attempt_at"]),
        created_at=created,
        updated_at=updated,
        submitted_at=dt(row["submitted_at"]),
        finished_at=dt(row["finished_at"]),
        locale=row["locale"],
        dm=bool(row["dm"]),
        modal_task_id=row["modal_task_id"],
        modal_prompt=row["modal_prompt"],
        banned_word=row["banned_word"],
        retrying_since=dt(row["retrying_since"]),
        prompt_sent_to=row["prompt_sent_to"],
    )


def button_from_row(row: Row) -> StoredButton:
    return StoredButton(
        id=row["id"],
        job_id=row["job_id"],
        position=row["position"],
        custom_id=row["custom_id"],
        label=row["label"],
        emoji=row["emoji"],
        used_by_job_id=row["used_by_job_id"],
    )
