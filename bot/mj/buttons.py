"""What a click on each of a task's buttons does, by its customId.

new-api prices and forwards only the actions `CoverPlusActionToNormalAction` knows (service/midjourney.go):
ids whose action contains upsample, variation, pan or reroll, and MJ::Outpaint, MJ::CustomZoom and
MJ::Inpaint. Anything else comes back as `unknown_action` (❤️ bookmarks, Animate, describe's and shorten's
buttons), and an id it cannot split panics it. The bot runs those itself, through another route, or does
not show them: they could only fail.
"""

from __future__ import annotations

from enum import StrEnum


class ButtonRoute(StrEnum):
    """How the bot runs a click on one of MJ's buttons."""

    ACTION = "action"  # POST /mj/submit/action (and /modal when it opens a window)
    REGION = "region"  # Vary (Region): the region is chosen here, then action + modal with maskBase64
    ANIMATE = "animate"  # Animate (High/Low motion): POST /mj/submit/video with the image and the motion
    EXTEND = "extend"  # a video's Extend (High/Low motion): POST /mj/submit/video {action: extend}
    BOOKMARK = "bookmark"  # ❤️: kept by the bot
    PROMPT_LINE = "prompt_line"  # describe's 1️⃣–4️⃣, shorten's candidates: an /imagine of that prompt
    DESCRIBE_AGAIN = "describe_again"  # describe's 🔄: the same image described again


RUN_BY_NAME = ("upsample", "variation", "pan", "reroll")
NUMBERED = ("upsample", "variation")  # new-api reads the 4th part as the index (Atoi): it must be a number
OWN_ROUTES = {  # MJ::<kind>::… ids the relay refuses, which the bot runs itself
    "BOOKMARK": ButtonRoute.BOOKMARK,
    "Picread": ButtonRoute.DESCRIBE_AGAIN,  # MJ::Picread::Retry
}
# The routes the writer keeps under a result; a route joins once the bot can run it.
SHOWN = frozenset(
    {
        ButtonRoute.ACTION,
        ButtonRoute.REGION,
        ButtonRoute.BOOKMARK,
        ButtonRoute.PROMPT_LINE,
        ButtonRoute.DESCRIBE_AGAIN,
        ButtonRoute.ANIMATE,
        ButtonRoute.EXTEND,
    }
)


def route_of(custom_id: str) -> ButtonRoute | None:
    """How a click on this button runs, or None when nothing can run it."""
    parts = custom_id.split("::")
    if len(parts) < 3 or not parts[2]:
        return None
    kind = parts[1]
    if kind in OWN_ROUTES:
        return OWN_ROUTES[kind]
    if kind == "Job":  # MJ::Job::PicReader::n (describe), MJ::Job::PromptAnalyzer::…::n (shorten)
        numbered = parts[-1].isdigit()  # not PicReader::all (four jobs at once) nor PromptAnalyzerExtended
        return ButtonRoute.PROMPT_LINE if parts[2] in ("PicReader", "PromptAnalyzer") and numbered else None
    action = parts[2] if kind == "JOB" else kind
    if kind == "JOB" and action.startswith("animate_"):
        return ButtonRoute.EXTEND if action.endswith("_extend") else ButtonRoute.ANIMATE
    if any(name in action for name in RUN_BY_NAME):
        exact = action in NUMBERED  # "upsample_v6_2x_subtle" contains upsample: it needs the index too
        numbered = exact or "upsample" in action
        return ButtonRoute.ACTION if not numbered or (len(parts) > 3 and parts[3].isdigit()) else None
    if action in ("Outpaint", "CustomZoom"):
        return ButtonRoute.ACTION
    return ButtonRoute.REGION if action == "Inpaint" else None


def relay_can_run(custom_id: str) -> bool:
    """True when new-api would forward a click on this button as it is, with no more than a prompt."""
    return route_of(custom_id) is ButtonRoute.ACTION


def shown(custom_id: str) -> bool:
    """True when the bot offers this button under a result."""
    return route_of(custom_id) in SHOWN
