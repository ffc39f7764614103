"""MJ's video buttons as the bot reads them: Extend per video of a grid, its index and motion."""

from __future__ import annotations

import pytest

from bot.mj.buttons import ButtonRoute, route_of
from bot.mj.models import TaskButton
from bot.mj.video import extend_index, motion_of, video_prompt, with_extends


def test_a_video_grid_offers_an_extend_per_video_and_motion() -> None:
    grid = [TaskButton(f"MJ::JOB::video_virtual_upscale::{n}::h", f"U{n}", "", 2, 2) for n in (1, 2)]
    reroll = TaskButton("MJ::JOB::reroll::0::h::SOLO", "", "🔄", 2, 2)
    offered = with_extends([*grid, reroll])
    assert [b.custom_id for b in offered] == [
        "MJ::JOB::animate_high_extend::1::h",
        "MJ::JOB::animate_high_extend::2::h",
        "MJ::JOB::reroll::0::h::SOLO",
        "MJ::JOB::animate_low_extend::1::h",
        "MJ::JOB::animate_low_extend::2::h",
    ]
    assert offered[1].label == "Extend 2 (High motion)" and offered[1].emoji == "🎞️"
    assert {route_of(b.custom_id) for b in offered} == {ButtonRoute.EXTEND, ButtonRoute.ACTION}


@pytest.mark.parametrize(
    ("custom_id", "motion", "index"),
    [
        ("MJ::JOB::animate_high::1::h::SOLO", "high", None),  # an Animate extends nothing
        ("MJ::JOB::animate_low_extend::4::h", "low", 3),
        ("MJ::JOB::animate_high_extend::1::h", "high", 0),
        ("MJ::JOB::animate_high_extend::5::h", "high", None),  # /submit/video takes 0-3
        ("MJ::JOB::upsample::1::h", None, None),
    ],
)
def test_motion_and_index_come_from_the_id(custom_id: str, motion: str | None, index: int | None) -> None:
    assert motion_of(custom_id) == motion
    assert extend_index(custom_id) == index


def test_the_buttons_motion_wins_over_the_prompts() -> None:
    assert video_prompt("a cat --ar 3:2 --motion low --video 1") == "a cat --ar 3:2"
    assert video_prompt("a cat") == "a cat"
