"""MJ's video buttons, read once: Animate under an upscale, Extend under a video.

The relay refuses both through /submit/action (new-api CoverPlusActionToNormalAction knows no animate_*),
so the bot runs them through POST /mj/submit/video (trueai SubmitController.Video).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.mj.models import Task, TaskButton

VIDEO_ACTION = "VIDEO"  # trueai TaskAction.VIDEO: an animate, an extend, or a video's reroll
_MOTION = re.compile(r"^MJ::JOB::animate_(high|low)(_extend)?::(\d+)::")
# A video grid's U1–U4 (trueai TaskInfo.SetVideoUpscaleButtons; MJ's own components on Discord).
_VIDEO_PICK = re.compile(r"^MJ::JOB::video_virtual_upscale::(\d+)::(.+)$")
# A flag that would override the motion the button asks for (trueai TaskService.SubmitVideo only adds
# --video and --motion when the prompt has none).
_VIDEO_FLAGS = re.compile(r"\s*--(?:motion|video)(?:\s+[^\s-]\S*)?", re.IGNORECASE)
EXTEND_LABEL = "Extend {n} ({motion} motion)"  # MJ's "Extend (High motion)", numbered per video
# trueai's refusals that only its operator can lift: SubmitController.Video (Setting.EnableVideo off) and
# TaskService.SubmitVideo (a Discord account without Remix).
VIDEO_OFF_WORDS = ("视频功能未启用", "未开启 REMIX")


def motion_of(custom_id: str) -> str | None:
    """ "high" or "low" for an Animate or Extend button, else None."""
    found = _MOTION.match(custom_id)
    return found[1] if found else None


def extend_index(custom_id: str) -> int | None:
    """The video an Extend button extends, 0-3 as /submit/video counts (`index`); the id counts from 1
    (trueai: `animate_{motion}_extend::{index + 1}::{id}`)."""
    found = _MOTION.match(custom_id)
    if found is None or not found[2] or not 1 <= int(found[3]) <= 4:
        return None
    return int(found[3]) - 1


def is_video(task: Task) -> bool:
    return task.action.strip().upper() == VIDEO_ACTION


def video_is_off(description: str) -> bool:
    """A /submit/video refusal that says video is turned off at the API, not that this job is wrong."""
    return any(words in description for words in VIDEO_OFF_WORDS)


def video_prompt(prompt: str) -> str:
    """An upscale's prompt as an Animate sends it: without a --motion or --video of its own, so the
    button's motion is the one MJ reads."""
    return _VIDEO_FLAGS.sub("", prompt).strip() or prompt


def with_extends(buttons: Sequence[TaskButton]) -> list[TaskButton]:
    """A video task's buttons with an Extend (High/Low motion) for each of its videos.

    A video grid carries MJ's U1–U4 (video_virtual_upscale), which nothing runs through new-api; its
    Extend buttons only appear once a video is picked. /submit/video extends a grid's video by index
    (trueai TaskService.SubmitVideo picks it, then presses MJ's Extend), so the bot offers that: ids in
    MJ's own Extend format, `MJ::JOB::animate_{motion}_extend::{n}::{hash}`. The reroll keeps its place
    between the two rows.
    """
    high: list[TaskButton] = []
    low: list[TaskButton] = []
    rest: list[TaskButton] = []
    for button in buttons:
        found = _VIDEO_PICK.match(button.custom_id)
        if found is None:
            rest.append(button)
            continue
        n, job_hash = found[1], found[2]
        for motion, row in (("high", high), ("low", low)):
            custom_id = f"MJ::JOB::animate_{motion}_extend::{n}::{job_hash}"
            label = EXTEND_LABEL.format(n=n, motion=motion.capitalize())
            row.append(TaskButton(custom_id, label, "🎞️", button.style, button.type))
    return [*high, *rest, *low]
