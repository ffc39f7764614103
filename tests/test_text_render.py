"""A text result's message: MJ's prompts as a numbered list, inert, and always within Discord's 2000."""

from __future__ import annotations

from bot import render
from bot.models import JobStatus
from tests.test_render import make_job


def test_long_prompts_are_cut_so_every_one_shows() -> None:
    job = make_job(action="DESCRIBE", prompt="cat.png", status=JobStatus.DONE)
    text = "\n\n".join(f"{n}\ufe0f\u20e3 " + "word " * 200 + f"end{n}" for n in "1234")
    content = render.text_result_content(job, text)
    assert len(content) <= render.CONTENT_LIMIT
    lines = content.split("\n")
    assert [line[:3] for line in lines[1:5]] == ["1. ", "2. ", "3. ", "4. "]
    assert all(line.endswith("…") for line in lines[1:5]) and lines[-1].startswith("✅")


def test_the_analysis_keeps_mjs_marks_and_nothing_else() -> None:
    job = make_job(action="SHORTEN", prompt="a fox", status=JobStatus.DONE)
    text = "**Important tokens**\n**red** ~~a~~ fox @everyone [x](https://e.example) _it_\n\n"
    text += "**Shortened prompts**\n1\ufe0f\u20e3 red *fox* <@123>"
    lines = render.text_result_content(job, text).split("\n")
    assert lines[2] == "**red** ~~a~~ fox @\u200beveryone \\[x](https://e.example) \\_it\\_"
    assert lines[4] == "1. red \\*fox\\* <@123>"
