"""Which of a task's buttons the relay can run.

new-api prices and forwards only the actions `CoverPlusActionToNormalAction` knows (service/midjourney.go):
ids whose action contains upsample, variation, pan or reroll, and MJ::Outpaint, MJ::CustomZoom and
MJ::Inpaint. Anything else comes back as `unknown_action` (❤️ bookmarks, Animate, describe's and shorten's
buttons), and an id it cannot split panics it. Such buttons are not shown: they could only fail.
"""

from __future__ import annotations

RUN_BY_NAME = ("upsample", "variation", "pan", "reroll")
NUMBERED = ("upsample", "variation")  # new-api reads the 4th part as the index (Atoi): it must be a number
# Vary (Region) needs a mask drawn at modal time (maskBase64); a prompt-only window would be refused.
NEEDS_MASK = "Inpaint"


def relay_can_run(custom_id: str) -> bool:
    """True when new-api would forward a click on this button instead of refusing it."""
    parts = custom_id.split("::")
    if len(parts) < 3 or not parts[2]:
        return False
    action = parts[2] if parts[1] == "JOB" else parts[1]
    if any(name in action for name in RUN_BY_NAME):
        exact = action in NUMBERED  # "upsample_v6_2x_subtle" contains upsample: it needs the index too
        numbered = exact or "upsample" in action
        return not numbered or (len(parts) > 3 and parts[3].isdigit())
    return action in ("Outpaint", "CustomZoom")
