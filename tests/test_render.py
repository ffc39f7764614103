"""Pure rendering: button faces, MJ's grid layout, action titles and message text."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot import render
from bot.images import ImageDoesNotFit, fit_to_limit
from bot.models import Job, JobStatus, Mode, Reason, ReasonCode

UUID = "675515df-961f-411e-8e9b-d81ac68427f5"
GRID_IDS = (
    [f"MJ::JOB::upsample::{i}::{UUID}" for i in range(1, 5)]
    + [f"MJ::JOB::reroll::0::{UUID}::SOLO"]
    + [f"MJ::JOB::variation::{i}::{UUID}" for i in range(1, 5)]
)


def failed_because(text: str) -> Reason:
    return Reason.of(ReasonCode.TASK_FAILED, text=text)


def make_job(**changes: object) -> Job:
    now = datetime.now(UTC)
    job = Job(
        id=1, status=JobStatus.QUEUED, user_id=42, guild_id=1, channel_id=2, message_id=None,
        reply_to_message_id=None, prompt="a cat in space", action="IMAGINE", mode=None, bot_type=None,
        parent_job_id=None, parent_task_id=None, custom_id=None, task_id=None, task_action=None, progress=0,
        queue_position=None, reason=None, upload_limit=None, submit_attempts=0, next_attempt_at=None,
        created_at=now, updated_at=now, submitted_at=None, finished_at=None,
    )  # fmt: skip
    return replace(job, **changes)  # type: ignore[arg-type]


def test_grid_layout_is_mj_layout_whatever_the_api_order() -> None:
    shuffled = [GRID_IDS[i] for i in (5, 0, 6, 4, 1, 7, 2, 8, 3)]
    rows = render.layout_rows(shuffled, "IMAGINE")
    assert [[shuffled[i] for i in row] for row in rows] == [GRID_IDS[:5], GRID_IDS[5:]]


@pytest.mark.parametrize("action", ["VARIATION", "REROLL", "imagine"])
def test_every_grid_action_gets_the_grid_layout(action: str) -> None:
    assert render.layout_rows(GRID_IDS, action) == [[0, 1, 2, 3, 4], [5, 6, 7, 8]]


def test_other_tasks_keep_order_five_per_row_five_rows_at_most() -> None:
    ids = [f"MJ::Other::{i}" for i in range(30)]
    rows = render.layout_rows(ids, "UPSCALE")
    assert rows == [list(range(i, i + 5)) for i in range(0, 25, 5)]
    assert render.layout_rows(ids[:7], None) == [[0, 1, 2, 3, 4], [5, 6]]


@pytest.mark.parametrize(
    ("label", "emoji", "expected"),
    [
        ("U1", "", render.ButtonFace("U1", None)),
        ("", "🔄", render.ButtonFace(None, "🔄")),
        ("Vary (Strong)", "🪄", render.ButtonFace("Vary (Strong)", "🪄")),
        ("", "⬅️", render.ButtonFace(None, "⬅️")),
        ("Upscale (Subtle)", "upscale_1", render.ButtonFace("Upscale (Subtle)", None)),
        ("", "upscale_1", render.ButtonFace(None, "⏫")),
        ("", "<:weird:123>", render.ButtonFace(None, "🔘")),
        ("", "", render.ButtonFace(None, "🔘")),
    ],
)
def test_button_face_always_has_a_label_or_a_unicode_emoji(
    label: str, emoji: str, expected: render.ButtonFace
) -> None:
    assert render.button_face(label, emoji) == expected


@pytest.mark.parametrize(
    ("custom_id", "label", "title"),
    [
        (GRID_IDS[1], "U2", "Upscale 2"),
        (GRID_IDS[7], "V3", "Variation 3"),
        (GRID_IDS[4], "", "Reroll"),
        (f"MJ::Outpaint::50::1::{UUID}::SOLO", "Zoom Out 2x", "Zoom Out 2x"),
        (f"MJ::JOB::pan_left::1::{UUID}::SOLO", "", "Pan left"),
    ],
)
def test_action_title(custom_id: str, label: str, title: str) -> None:
    assert render.action_title(custom_id, label, "") == title


def test_progress_bar() -> None:
    assert render.progress_bar(0) == "░" * 10
    assert render.progress_bar(37) == "████░░░░░░"
    assert render.progress_bar(100) == "█" * 10


def test_content_shows_prompt_user_and_state() -> None:
    assert render.job_content(make_job()) == "**a cat in space** — <@42>\nWaiting to start"
    queued = make_job(status=JobStatus.RUNNING, queue_position=5)
    assert "5 jobs ahead of you" in render.job_content(queued)
    running = make_job(status=JobStatus.RUNNING, progress=37)
    assert "`████░░░░░░` 37%" in render.job_content(running)
    done = make_job(status=JobStatus.DONE, mode=Mode.RELAX)
    assert render.job_content(done).endswith("✅ Done (relax)")
    failed = make_job(status=JobStatus.FAILED, reason=failed_because("Job failed: banned"))
    assert render.job_content(failed).endswith("❌ Failed: Job failed: banned")


def test_action_job_title_names_action_and_prompt() -> None:
    job = make_job(action="Upscale 2", custom_id=GRID_IDS[1])
    assert render.job_title(job) == "**Upscale 2** of *a cat in space* — <@42>"


def test_content_escapes_markdown_and_mentions_and_fits_discord() -> None:
    job = make_job(prompt="**bold** @everyone " + "x" * 5000)
    content = render.job_content(job)
    assert len(content) <= 2000
    assert "@everyone" not in content and "\\*\\*bold" in content


def test_action_titles_follow_the_clickers_language() -> None:
    assert render.action_title(GRID_IDS[0], "U1", "", "zh-CN") == "放大 1"
    assert render.action_title(f"MJ::JOB::pan_up::1::{UUID}::SOLO", "", "", "zh-CN") == "向上平移"
    assert render.action_title("MJ::Outpaint::50::1::x::SOLO", "Zoom Out 2x", "", "zh-CN") == "Zoom Out 2x"


@pytest.mark.parametrize(
    ("changes", "status_text"),
    [
        ({"status": JobStatus.DONE, "mode": Mode.FAST}, "✅ Done (fast)"),
        ({"status": JobStatus.REJECTED, "banned_word": "gore"}, "(banned word: **gore**)"),
        (
            {"status": JobStatus.FAILED, "reason": failed_because("[Banned prompt detected] Sorry!")},
            "❌ Failed: [Banned",
        ),
        ({"status": JobStatus.RUNNING, "progress": 37}, "`████░░░░░░` 37%"),
        ({"status": JobStatus.FAILED, "reason": failed_because("x" * 3000)}, "❌ Failed: xxx"),
        ({"action": "Upscale 2", "custom_id": GRID_IDS[1], "status": JobStatus.DONE}, "✅ Done"),
    ],
)
def test_a_prompt_full_of_markdown_never_pushes_out_the_mention_or_status(
    changes: dict[str, object], status_text: str
) -> None:
    for prompt in ("_*~|" * 400, "_" * 1499 + "*", "\\" * 1600):
        content = render.job_content(make_job(prompt=prompt, **changes))
        assert len(content) <= 2000
        assert "<@42>" in content and status_text in content
        shown = content.split("…")[0]
        assert "<@42>" not in shown  # the prompt was cut, not the mention
        assert (len(shown) - len(shown.rstrip("\\"))) % 2 == 0  # and not in half an escape


def test_fit_list_keeps_to_its_limit_and_counts_the_rest() -> None:
    items = [f"<#{1000 + n}>" for n in range(300)]
    text = render.fit_list(items, "en-US", 1024, sep=" ")
    assert len(text) <= 1024
    shown = text.split(" ")
    assert shown[0] == "<#1000>" and text.endswith(f"…and {300 - len(shown) + 3} more")
    assert render.fit_list(["a", "b"], "en-US", 1024) == "a\nb", "what fits is all shown"
    assert render.fit_list([], "en-US", 1024) == ""


def test_content_fits_a_smaller_limit_with_its_status_whole() -> None:
    job = make_job(status=JobStatus.FAILED, reason=failed_because("the API said no"), prompt="_*" * 900)
    content = render.job_content(job, limit=1880)  # room left by the note of a DM fallback
    assert len(content) <= 1880 and content.endswith("the API said no")


def test_the_apis_words_never_render_as_links_markdown_or_mentions() -> None:
    hostile = "[claim your prize](https://evil.example) @everyone <@112233445566778899> **now**"
    failed = make_job(status=JobStatus.FAILED, reason=failed_because(hostile))
    line = render.job_status_line(failed)
    assert "\\[claim your prize](" in line and "\\*\\*now\\*\\*" in line
    assert "@everyone" not in line and "<@112233445566778899>" not in line
    refused = make_job(status=JobStatus.FAILED, reason=Reason.of(ReasonCode.REFUSED, description=hostile))
    assert "@everyone" not in render.job_status_line(refused)


def test_pillow_reads_only_the_formats_the_api_serves() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "TIFF")
    with pytest.raises(ImageDoesNotFit):
        fit_to_limit(buffer.getvalue(), 10**6, "image/tiff")
