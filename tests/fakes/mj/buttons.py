"""The buttons MJ puts under a result, and what a button's customId starts."""

from __future__ import annotations

import hashlib
import re
from typing import Any

GRID_ACTIONS = ("IMAGINE", "VARIATION", "REROLL", "ZOOM", "PAN")  # these answer with a 2x2 grid


def _button(custom_id: str, label: str, emoji: str = "", style: int = 2) -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": style}


def grid_buttons(u: str) -> list[dict[str, Any]]:
    """U1–U4, 🔄, V1–V4: the order real MJ uses."""
    return (
        [_button(f"MJ::JOB::upsample::{i}::{u}", f"U{i}") for i in range(1, 5)]
        + [_button(f"MJ::JOB::reroll::0::{u}::SOLO", "", "🔄")]
        + [_button(f"MJ::JOB::variation::{i}::{u}", f"V{i}") for i in range(1, 5)]
    )


def upscale_buttons(u: str) -> list[dict[str, Any]]:
    """What an upscaled image offers in real MJ v6, including customIds over 100 characters and a
    custom-emoji NAME ("upscale_1") where the others carry a Unicode emoji."""
    tail = hashlib.sha1(u.encode()).hexdigest()  # real v6 upscale ids carry extra state; makes them > 100
    return [
        _button(f"MJ::JOB::upsample_v6r1_2x_subtle::1::{u}::SOLO::{tail}", "Upscale (Subtle)", "upscale_1"),
        _button(
            f"MJ::JOB::upsample_v6r1_2x_creative::1::{u}::SOLO::{tail}", "Upscale (Creative)", "upscale_1"
        ),
        _button(f"MJ::JOB::low_variation::1::{u}::SOLO", "Vary (Subtle)", "🪄"),
        _button(f"MJ::JOB::high_variation::1::{u}::SOLO", "Vary (Strong)", "🪄"),
        _button(f"MJ::Outpaint::50::1::{u}::SOLO", "Zoom Out 2x", "🔍"),
        _button(f"MJ::Outpaint::75::1::{u}::SOLO", "Zoom Out 1.5x", "🔍"),
        _button(f"MJ::CustomZoom::{u}", "Custom Zoom", "🔍"),
        _button(f"MJ::JOB::pan_left::1::{u}::SOLO", "", "⬅️"),
        _button(f"MJ::JOB::pan_right::1::{u}::SOLO", "", "➡️"),
        _button(f"MJ::JOB::pan_up::1::{u}::SOLO", "", "⬆️"),
        _button(f"MJ::JOB::pan_down::1::{u}::SOLO", "", "⬇️"),
    ]


def upscale_version(prompt: str) -> str:
    """The upsample_* flavour MJ offers for a prompt's model version: v7 by default (trueai
    TaskInfo.CreateUpscaleButtons has the same table for partner accounts)."""
    found = re.search(r"--(?:v|version)\s+(\d+(?:\.\d+)?)|--niji\s+(\d+)", prompt)
    version = (found[1] or found[2]) if found else "7"
    return {"6.1": "v6r1", "6": "v6", "6.0": "v6"}.get(version, f"v{version.split('.')[0]}")


def trueai_upscale_buttons(u: str, prompt: str, *, with_upscales: bool = True) -> list[dict[str, Any]]:
    """After an upscale, a Discord account copies MJ's message components (trueai
    DiscordWebSocketService.FinishTask; the set MJ v7 shows): link buttons dropped, a custom emoji
    reduced to its name. Animate's emoji is a guess: 🎞️ as TaskInfo.CreateAnimateButtons has it."""
    v = upscale_version(prompt)
    upscales = [
        _button(f"MJ::JOB::upsample_{v}_2x_subtle::1::{u}::SOLO", "Upscale (Subtle)", "upscale_1"),
        _button(f"MJ::JOB::upsample_{v}_2x_creative::1::{u}::SOLO", "Upscale (Creative)", "upscale_1"),
    ]
    return [
        *(upscales if with_upscales else []),
        _button(f"MJ::JOB::low_variation::1::{u}::SOLO", "Vary (Subtle)", "🪄"),
        _button(f"MJ::JOB::high_variation::1::{u}::SOLO", "Vary (Strong)", "🪄"),
        _button(f"MJ::Inpaint::1::{u}::SOLO", "Vary (Region)", "🖌️"),
        _button(f"MJ::Outpaint::50::1::{u}::SOLO", "Zoom Out 2x", "🔍"),
        _button(f"MJ::Outpaint::75::1::{u}::SOLO", "Zoom Out 1.5x", "🔍"),
        _button(f"MJ::CustomZoom::{u}", "Custom Zoom", "🔍"),
        _button(f"MJ::JOB::pan_left::1::{u}::SOLO", "", "⬅️"),
        _button(f"MJ::JOB::pan_right::1::{u}::SOLO", "", "➡️"),
        _button(f"MJ::JOB::pan_up::1::{u}::SOLO", "", "⬆️"),
        _button(f"MJ::JOB::pan_down::1::{u}::SOLO", "", "⬇️"),
        _button(f"MJ::JOB::animate_high::1::{u}::SOLO", "Animate (High motion)", "🎞️"),
        _button(f"MJ::JOB::animate_low::1::{u}::SOLO", "Animate (Low motion)", "🎞️"),
        _button(f"MJ::BOOKMARK::{u}", "", "❤️"),
    ]


def describe_buttons() -> list[dict[str, Any]]:
    """A describe result's components: MJ::Job::PicReader::1..4, ::all and MJ::Picread::Retry (trueai
    source comments). Labels and emoji are not in the source; these are a guess."""
    return [
        *(_button(f"MJ::Job::PicReader::{i}", str(i)) for i in range(1, 5)),
        _button("MJ::Job::PicReader::all", "Imagine all", "🎉"),
        _button("MJ::Picread::Retry", "", "🔄"),
    ]


def shorten_buttons(u: str) -> list[dict[str, Any]]:
    """A shorten result's components: MJ::Job::PromptAnalyzer::…::N, N the line (trueai
    TaskService.SubmitAction reads the last segment; the rest of the format is a guess), and "Show
    Details" (trueai OnMessage: "shorten show details -> PromptAnalyzerExtended"; its id is a guess)."""
    return [_button(f"MJ::Job::PromptAnalyzer::{u}::{i}", str(i)) for i in range(1, 6)] + [
        _button(f"MJ::Job::PromptAnalyzerExtended::{u}", "Show Details")
    ]


def video_buttons(u: str, videos: int = 4) -> list[dict[str, Any]]:
    """A video grid: U1–U4 as video_virtual_upscale, and the reroll (TaskInfo.SetVideoUpscaleButtons;
    on a Discord account MJ's own components, copied by FinishTask)."""
    return [_button(f"MJ::JOB::video_virtual_upscale::{i}::{u}", f"U{i}") for i in range(1, videos + 1)] + [
        _button(f"MJ::JOB::reroll::0::{u}::SOLO", "", "🔄")
    ]


def action_of(custom_id: str) -> str:
    """The action of the task a button starts: upsample→UPSCALE, *variation→VARIATION, reroll→REROLL,
    Outpaint/CustomZoom→ZOOM, pan_*→PAN."""
    parts = custom_id.split("::")
    kind = parts[2] if len(parts) > 2 and parts[1] == "JOB" else parts[1] if len(parts) > 1 else ""
    if kind.startswith("upsample"):
        return "UPSCALE"
    if kind.endswith("variation"):
        return "VARIATION"
    if kind == "reroll":
        return "REROLL"
    if kind.startswith("pan_"):
        return "PAN"
    if kind in ("Outpaint", "CustomZoom"):
        return "ZOOM"
    return "OTHER"


NO_REROLL = ("REROLL", "ACTION", "OUTPAINT", "INPAINT", "SHOW", "SWAP_FACE", "SWAP_VIDEO_FACE")


def trueai_action_of(custom_id: str, parent_action: str) -> str | None:
    """trueai SubmitController.Action's if-chain: the new task's action, "" when a reroll is refused
    (该任务不支持重新生成), None for an unknown customId (未知的 Action 类型: BOOKMARK, PromptAnalyzer, …)."""
    if custom_id.startswith("MJ::JOB::upsample::") or custom_id.startswith(
        "MJ::JOB::video_virtual_upscale::"
    ):
        return "UPSCALE"
    if custom_id.startswith("MJ::JOB::variation::"):
        return "VARIATION"
    if custom_id.startswith("MJ::JOB::reroll::"):
        if parent_action in (*NO_REROLL, "VIDEO_EXTEND", "PIC_READER"):
            return ""
        return "IMAGINE" if parent_action == "UPSCALE" else parent_action
    if custom_id.startswith(("MJ::JOB::high_variation::", "MJ::JOB::low_variation::", "MJ::Inpaint::")):
        return "VARIATION"
    if custom_id.startswith(("MJ::Outpaint::", "MJ::CustomZoom::")):
        return "ZOOM"
    if custom_id.startswith("MJ::JOB::pan_"):
        return "PAN"
    if custom_id.startswith("MJ::JOB::upsample_"):
        return "UPSCALE_HD"
    if custom_id.startswith("MJ::JOB::animate_"):
        return "VIDEO"
    if "MJ::Picread::Retry" in custom_id:
        return "DESCRIBE"
    if custom_id.startswith("MJ::Job::PicReader"):
        return "IMAGINE"
    return None


def expanded_prompt(prompt: str, custom_id: str = "") -> str:
    """The prompt as MJ shows it in its window (``finalPrompt``): the default model version added, and
    ``--zoom 2`` for Custom Zoom. It differs from the prompt, so a test sees which one the bot used."""
    final = prompt if re.search(r"--(?:v|version|niji)\b", prompt) else f"{prompt} --v 6.1"
    return f"{final} --zoom 2" if custom_id.startswith("MJ::CustomZoom::") else final
