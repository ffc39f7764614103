"""Pure rendering: a job's state → message text, and an MJ task's buttons → Discord button faces and rows.

Nothing here does I/O, so every rule is unit-tested directly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from discord.utils import escape_markdown, escape_mentions

from bot.models import BotType, Job, JobStatus

CONTENT_LIMIT = 2000
PROMPT_SHOWN = 1500  # leaves room for the title, the mention and the status line
ROW_WIDTH = 5
MAX_ROWS = 5
GRID_ACTIONS = frozenset({"IMAGINE", "VARIATION", "REROLL"})

_GRID_ID = re.compile(r"^MJ::JOB::(?P<kind>upsample|variation|reroll)::(?P<index>\d)::")
_ACTION_NAMES = {"upsample": "Upscale", "variation": "Variation"}
_FALLBACK_EMOJI = {
    "upscale_1": "⏫",
    "upscale": "⏫",
    "zoom": "🔍",
    "pan_left": "⬅️",
    "pan_right": "➡️",
    "pan_up": "⬆️",
    "pan_down": "⬇️",
    "reroll": "🔄",
    "variation": "🪄",
}


@dataclass(frozen=True, slots=True)
class ButtonFace:
    """What a Discord button shows: a label, an emoji, or both (never neither)."""

    label: str | None
    emoji: str | None


def is_unicode_emoji(text: str) -> bool:
    """True for a Unicode emoji such as '🔄' or '⬅️'; False for a custom-emoji name like 'upscale_1'."""
    if not text or len(text) > 16:
        return False
    return all(
        unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") or ch in "\ufe0f\u200d" or ch >= "\U0001f1e6"
        for ch in text
    ) and any(unicodedata.category(ch) == "So" for ch in text)


def button_face(label: str, emoji: str) -> ButtonFace:
    """Keep MJ's label and emoji; replace an emoji our bot cannot show."""
    label = label.strip()[:80]
    emoji = emoji.strip()
    shown_emoji: str | None = emoji if is_unicode_emoji(emoji) else None
    if shown_emoji is None and emoji and not label:
        key = emoji.strip(":<>").split(":")[0].lower()
        shown_emoji = _FALLBACK_EMOJI.get(key) or _FALLBACK_EMOJI.get(key.rstrip("_0123456789"), "🔘")
    if not label and shown_emoji is None:
        shown_emoji = "🔘"
    return ButtonFace(label=label or None, emoji=shown_emoji)


def layout_rows(custom_ids: Sequence[str], task_action: str | None) -> list[list[int]]:
    """Arrange buttons (by index) into Discord rows.

    A grid gets MJ's layout: U1–U4 and 🔄 on the first row, V1–V4 on the second. Anything else
    keeps the API's order, five per row, five rows at most.
    """
    indexes = list(range(len(custom_ids)))
    if (task_action or "").upper() in GRID_ACTIONS:
        upscales: list[int] = []
        variations: list[int] = []
        rerolls: list[int] = []
        others: list[int] = []
        for i, custom_id in enumerate(custom_ids):
            match = _GRID_ID.match(custom_id)
            kind = match["kind"] if match else None
            target = {"upsample": upscales, "variation": variations, "reroll": rerolls}.get(
                kind or "", others
            )
            target.append(i)
        first = upscales[:4] + rerolls[:1]
        rest = upscales[4:] + rerolls[1:] + others
        rows = [first, variations[:5]] if first or variations else []
        rows = [row for row in rows if row]
        indexes = variations[5:] + rest
        rows += _chunk(indexes)
        return rows[:MAX_ROWS]
    return _chunk(indexes)[:MAX_ROWS]


def _chunk(indexes: list[int]) -> list[list[int]]:
    return [indexes[i : i + ROW_WIDTH] for i in range(0, len(indexes), ROW_WIDTH)]


def action_title(custom_id: str, label: str, emoji: str) -> str:
    """How a clicked button reads in the new job's title: 'Upscale 2', 'Variation 3', 'Reroll', 'Zoom Out 2x'."""
    match = _GRID_ID.match(custom_id)
    if match:
        if match["kind"] == "reroll":
            return "Reroll"
        return f"{_ACTION_NAMES[match['kind']]} {match['index']}"
    if label.strip():
        return label.strip()
    pan = re.search(r"::pan_(left|right|up|down)::", custom_id)
    if pan:
        return f"Pan {pan[1]}"
    return "Action"


def progress_bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    return "█" * filled + "░" * (width - filled)


def _shown_prompt(prompt: str) -> str:
    text = prompt if len(prompt) <= PROMPT_SHOWN else prompt[: PROMPT_SHOWN - 1] + "…"
    return escape_mentions(escape_markdown(text))


def job_title(job: Job) -> str:
    prompt = _shown_prompt(job.prompt)
    if job.is_action:
        return f"**{job.action}** of *{prompt}* — <@{job.user_id}>"
    return f"**{prompt}** — <@{job.user_id}>"


def job_status_line(job: Job) -> str:
    """The line under the title that says where the job stands."""
    match job.status:
        case JobStatus.QUEUED if job.submit_attempts and job.detail:
            return f"⏳ {job.detail}"
        case JobStatus.QUEUED | JobStatus.SUBMITTING:
            return "Waiting to start"
        case JobStatus.RUNNING | JobStatus.STUCK if job.progress > 0:
            line = f"`{progress_bar(job.progress)}` {job.progress}%"
        case JobStatus.RUNNING | JobStatus.STUCK if job.queue_position:
            ahead = job.queue_position
            line = f"Queued — {ahead} job{'s' if ahead != 1 else ''} ahead of you"
        case JobStatus.RUNNING | JobStatus.STUCK:
            line = "Submitted, waiting for a worker"
        case JobStatus.DELIVERING:
            return "Finishing — uploading the image"
        case JobStatus.DONE:
            return _mode_tag(job)
        case JobStatus.FAILED:
            return f"❌ Failed: {job.detail or 'the API gave no reason'}"
        case JobStatus.REJECTED:
            return "🚫 " + (job.detail or "The prompt was rejected as sensitive. Change it and try again.")
        case JobStatus.UNCERTAIN:
            return "⚠️ " + (job.detail or "The bot lost track of this job while submitting it.")
        case JobStatus.CANCELLED:
            return "Cancelled"
    if job.status is JobStatus.STUCK:
        line += (
            "\n⌛ This job seems stuck: the API has reported no change for a long time. It is still watched."
        )
    return line


def _mode_tag(job: Job) -> str:
    parts = [job.mode.lower()] if job.mode else []
    if job.bot_type is BotType.NIJI_JOURNEY:
        parts.append("niji")
    return "✅ Done" + (f" ({', '.join(parts)})" if parts else "")


def job_content(job: Job) -> str:
    """The whole message text for a job, always within Discord's 2000-character limit."""
    content = f"{job_title(job)}\n{job_status_line(job)}"
    return content[:CONTENT_LIMIT]
