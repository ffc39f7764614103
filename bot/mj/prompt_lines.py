"""The prompts inside a /describe or /shorten result, as MJ writes them and trueai stores them.

Describe (trueai DiscordWebSocketService.HandleDescribe): `promptEn` and `properties.finalPrompt` are MJ's
embed description, "1️⃣ a cat --ar 5:4\\n\\n2️⃣ …" (docs/api.md). A PicReader::n button is the n-th
non-blank line (TaskService.SubmitAction: split on \\n, blanks skipped).

Shorten (HandleShorten): only `properties.finalPrompt` (and trueai's own `description`) holds MJ's embed
description: the token analysis, then a "Shortened prompts" line and numbered candidates. A
PromptAnalyzer::…::n button is the n-th non-blank line after that line (SubmitAction, PromptAnalyzer branch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHORTENED = "Shortened prompts"  # trueai TaskService.SubmitAction: IndexOf("Shortened prompts")
_NUMBER = re.compile(r"^\s*(?:[0-9#*]\ufe0f?\u20e3|\U0001f51f)\s*")  # a keycap emoji: 1️⃣ … 9️⃣, 🔟
_HEADING = re.compile(r"^[\s#*_]*important tokens[\s*_:]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ShortenResult:
    analysis: str  # MJ's prompt with its important tokens in **bold** and the rest ~~struck~~
    candidates: tuple[str, ...]


def strip_number(line: str) -> str:
    """A prompt line without its leading number emoji ("1️⃣ a cat" → "a cat")."""
    return _NUMBER.sub("", line, count=1).strip()


def described_prompts(text: str) -> tuple[str, ...]:
    """A describe result's prompts, numbers stripped, in MJ's order."""
    return tuple(strip_number(line) for line in text.split("\n") if line.strip())


def shortened(text: str) -> ShortenResult:
    """A shorten result's token analysis and its candidates, numbers stripped."""
    at = text.find(SHORTENED)
    if at < 0:
        return ShortenResult(text.strip(), ())
    before = [line for line in text[:at].split("\n") if line.strip()]
    if before and not before[-1].strip(" #*_"):  # the markup that opens the "Shortened prompts" line
        before.pop()
    analysis = "\n".join(line for line in before if not _HEADING.match(line)).strip()
    lines = [line for line in text[at:].split("\n") if line.strip()][1:]
    return ShortenResult(analysis, tuple(strip_number(line) for line in lines))


def prompt_for(custom_id: str, action: str, text: str) -> str | None:
    """The prompt a PicReader::n or PromptAnalyzer::…::n button stands for, or None."""
    last = custom_id.rsplit("::", 1)[-1]
    if not last.isdigit() or int(last) < 1:
        return None
    index = int(last) - 1
    prompts = described_prompts(text) if action == "DESCRIBE" else shortened(text).candidates
    return prompts[index] if index < len(prompts) and prompts[index] else None
