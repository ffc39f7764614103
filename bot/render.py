"""Pure rendering: a job's state → message text, and an MJ task's buttons → Discord button faces and rows.

Nothing here does I/O, so every rule is unit-tested directly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from discord.utils import escape_markdown, escape_mentions

from bot.i18n import t
from bot.mj.prompt_lines import described_prompts, shortened
from bot.models import BotType, Job, JobStatus, Reason, ReasonCode, SubmitRoute

CONTENT_LIMIT = 2000
PROMPT_SHOWN = 1500  # escaped characters; a message whose status line is long shows fewer
STATUS_SHOWN = 400  # a long failure reason is cut too, so the prompt keeps some room
ROW_WIDTH = 5
MAX_ROWS = 5
GRID_ACTIONS = frozenset({"IMAGINE", "VARIATION", "REROLL", "BLEND"})
TEXT_RESULTS = frozenset({SubmitRoute.DESCRIBE.value, SubmitRoute.SHORTEN.value})  # a result in words

_GRID_ID = re.compile(r"^MJ::JOB::(?P<kind>upsample|variation|reroll)::(?P<index>\d)::")
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


def action_title(custom_id: str, label: str, emoji: str, locale: str | None = None) -> str:
    """How a clicked button reads in the new job's title: 'Upscale 2', 'Variation 3', 'Reroll', 'Zoom Out 2x'.

    Grid actions and pans are named in the clicker's language; other labels are MJ's own.
    """
    match = _GRID_ID.match(custom_id)
    if match:
        if match["kind"] == "reroll":
            return t(locale, "action.reroll")
        return t(locale, f"action.{match['kind']}", n=match["index"])
    if label.strip():
        return label.strip()
    pan = re.search(r"::pan_(left|right|up|down)::", custom_id)
    if pan:
        return t(locale, f"action.pan_{pan[1]}")
    return t(locale, "action.other")


def progress_bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    return "█" * filled + "░" * (width - filled)


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in "…" when cut, never in half an escape."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    kept = text[: limit - 1]
    if (len(kept) - len(kept.rstrip("\\"))) % 2:  # an odd trailing backslash would escape the "…"
        kept = kept[:-1]
    return kept + "…"


def _shown_prompt(prompt: str, limit: int = PROMPT_SHOWN) -> str:
    # Escape first, then cut: escaping can double the length.
    return _cut(escape_mentions(escape_markdown(prompt)), limit)


def action_name(job: Job, locale: str | None = None) -> str:
    """What a click's job did, in the reader's language ("Upscale 2", "Vary (Strong)", "Pan left")."""
    return action_title(job.custom_id or "", job.action, "", locale or job.locale)


def job_title(job: Job, prompt_limit: int = PROMPT_SHOWN) -> str:
    prompt = _shown_prompt(job.prompt, prompt_limit)
    if job.is_action:
        action = escape_mentions(escape_markdown(action_name(job)))
        return t(job.locale, "job.title_action", action=action, prompt=prompt, user=job.user_id)
    if job.action in TEXT_RESULTS:  # describe: its link or file name; shorten: its prompt
        return t(job.locale, f"text.title_{job.action.lower()}", prompt=prompt, user=job.user_id)
    return f"**{prompt}** — <@{job.user_id}>"


def job_status_line(job: Job) -> str:
    """The line under the title that says where the job stands, in the job's language."""
    lang = job.locale
    match job.status:
        case JobStatus.QUEUED if job.reason is not None:
            return f"⏳ {reason_text(job.reason, lang)}"
        case JobStatus.QUEUED | JobStatus.SUBMITTING:
            return t(lang, "job.waiting")
        case JobStatus.RUNNING | JobStatus.STUCK if job.progress > 0:
            line = f"`{progress_bar(job.progress)}` {job.progress}%"
        case JobStatus.RUNNING | JobStatus.STUCK if job.queue_position:
            ahead = job.queue_position
            line = (
                t(lang, "job.queued_remote_one") if ahead == 1 else t(lang, "job.queued_remote", ahead=ahead)
            )
        case JobStatus.RUNNING | JobStatus.STUCK:
            line = t(lang, "job.submitted")
        case JobStatus.DELIVERING:
            return t(lang, "job.delivering")
        case JobStatus.DONE:
            return _mode_tag(job)
        case JobStatus.FAILED:
            why = reason_text(job.reason, lang) if job.reason else t(lang, "job.no_reason")
            return t(lang, "job.failed", reason=why)
        case JobStatus.REJECTED if job.banned_word:
            return t(lang, "job.rejected_word", word=_inert(job.banned_word))
        case JobStatus.REJECTED:
            return t(lang, "job.rejected")
        case JobStatus.UNCERTAIN:
            return t(lang, "job.uncertain", detail=reason_text(job.reason, lang) if job.reason else "")
        case JobStatus.WAITING_INPUT:
            return t(lang, "job.waiting_input")
        case JobStatus.CANCELLED:
            return t(lang, "job.cancelled")
    if job.status is JobStatus.STUCK:
        line += "\n" + t(lang, "job.stuck")
    return line


def reason_text(reason: Reason, lang: str | None) -> str:
    """A stored reason in the reader's language. The API's own words are shown as they came, but never
    as markdown, a masked link or a mention."""
    if reason.code is ReasonCode.TASK_FAILED and not reason.args.get("text"):
        return t(lang, "job.no_reason")
    args = {name: _inert(value) if isinstance(value, str) else value for name, value in reason.args.items()}
    return t(lang, f"reason.{reason.code.value}", **args)


def _inert(text: str) -> str:
    """Text from the API, shown as plain text: no markdown, no [masked](links), no @mentions."""
    return escape_mentions(escape_markdown(text))


def _mode_tag(job: Job) -> str:
    parts = [t(job.locale, f"choice.{job.mode.lower()}")] if job.mode else []
    if job.bot_type is BotType.NIJI_JOURNEY:
        parts.append(t(job.locale, "choice.niji"))
    return t(job.locale, "job.done") + (f" ({', '.join(parts)})" if parts else "")


def job_content(job: Job, limit: int = CONTENT_LIMIT) -> str:
    """The whole message text for a job, always within `limit` (Discord's 2000 characters).

    The prompt gives way first, so the mention and the status line always show (the status
    whole up to STATUS_SHOWN characters).
    """
    status = _cut(job_status_line(job), STATUS_SHOWN)
    frame = len(job_title(replace(job, prompt=""))) + 1 + len(status)  # everything but the prompt
    content = f"{job_title(job, min(PROMPT_SHOWN, limit - frame))}\n{status}"
    return content[:limit]  # only reached by an absurdly long action title


def fit_list(
    items: Sequence[str], lang: str, limit: int, sep: str = "\n", more_key: str = "list.more"
) -> str:
    """As many items as fit `limit` characters (an embed field, a message), then "…and N more"."""
    shown: list[str] = []
    for index, item in enumerate(items):
        more = t(lang, more_key, count=len(items) - index)
        room = limit - (len(sep) + len(more) if index < len(items) - 1 else 0)
        if len(sep.join([*shown, item])) > room:
            shown.append(more)
            break
        shown.append(item)
    return sep.join(shown)


_MARKED = re.compile(r"(\*\*[^*\n]+?\*\*|~~[^~\n]+?~~)")


def _analysis(text: str) -> str:
    """MJ's token analysis, inert but for its own marks: important tokens **bold**, the rest ~~struck~~."""
    parts = _MARKED.split(text)
    return "".join(
        f"{part[:2]}{_inert(part[2:-2])}{part[:2]}" if index % 2 else _inert(part)
        for index, part in enumerate(parts)
    )


def text_result_content(job: Job, text: str, limit: int = CONTENT_LIMIT) -> str:
    """A describe's or shorten's result: the title, MJ's prompts as a numbered list (a shorten's token
    analysis first), the status line; within `limit`, each part cut to an equal share when too long."""
    lang = job.locale
    status = _cut(job_status_line(job), STATUS_SHOWN)
    title = job_title(job, 200)
    sections: list[str] = []
    if job.action == SubmitRoute.SHORTEN.value:
        result = shortened(text)
        items = [_inert(prompt) for prompt in result.candidates]
        if result.analysis:
            sections = [t(lang, "text.tokens"), _analysis(result.analysis)]
        sections.append(t(lang, "text.candidates"))
    else:
        items = [_inert(prompt) for prompt in described_prompts(text)]
    lines = [f"{number}. {item}" for number, item in enumerate(items, start=1)]
    fixed = len(title) + len(status) + sum(len(s) for s in sections[:1] + sections[2:]) + 8
    parts = sections[1:2] + lines if len(sections) > 1 else lines
    share = max(20, (limit - fixed) // max(1, len(parts)) - 1)
    if len("\n".join(parts)) > limit - fixed:
        if len(sections) > 1:
            sections[1] = _cut(_inert(shortened(text).analysis), share)
        lines = [_cut(line, share) for line in lines]
    body = [*sections, *lines] if sections else lines
    return "\n".join([title, *body, status])[:limit]
