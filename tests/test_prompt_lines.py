"""The prompts inside describe and shorten results, read as trueai reads them."""

from __future__ import annotations

from bot.mj.prompt_lines import described_prompts, prompt_for, shortened, strip_number
from tests.fakes.mj.trueai_tasks import shorten_result

DESCRIBED = "1️⃣ a cat --ar 5:4\n\n2️⃣ a *bold* cat\n\n3️⃣ 🐱 cat three\n\n4️⃣ cat four"


def test_described_prompts_lose_their_number_emoji_only() -> None:
    assert described_prompts(DESCRIBED) == ("a cat --ar 5:4", "a *bold* cat", "🐱 cat three", "cat four")
    # trueai's partner emulation joins the prompts with \r\n (TaskInfo.SetDescribeButtions)
    assert described_prompts(DESCRIBED.replace("\n\n", "\r\n"))[3] == "cat four"
    assert strip_number("🔟 ten") == "ten" and strip_number("10 cats") == "10 cats"


def test_a_button_stands_for_its_line() -> None:
    assert prompt_for("MJ::Job::PicReader::2", "DESCRIBE", DESCRIBED) == "a *bold* cat"
    assert prompt_for("MJ::Job::PicReader::5", "DESCRIBE", DESCRIBED) is None
    assert prompt_for("MJ::Job::PicReader::0", "DESCRIBE", DESCRIBED) is None
    assert prompt_for("MJ::Job::PicReader::all", "DESCRIBE", DESCRIBED) is None
    text = shorten_result("a very tall lighthouse by the sea at dusk")
    candidates = shortened(text).candidates
    assert prompt_for("MJ::Job::PromptAnalyzer::abc::1", "SHORTEN", text) == candidates[0]
    assert prompt_for("MJ::Job::PromptAnalyzer::abc::5", "SHORTEN", text) == candidates[4]


def test_a_shorten_result_splits_into_analysis_and_candidates() -> None:
    text = "**Important tokens**\n**red** ~~a~~ fox\n\n**Shortened prompts**\n1️⃣ red fox\n2️⃣ fox"
    assert shortened(text).analysis == "**red** ~~a~~ fox"
    assert shortened(text).candidates == ("red fox", "fox")
    assert shortened("Shortened prompts\n1️⃣ fox").analysis == ""
    assert shortened("no candidates here").candidates == ()
