"""Permutation prompts: `{a, b}` alternatives, expanded as Midjourney does.

Rules from https://docs.midjourney.com/hc/en-us/articles/32761322355597-Permutations : options are
separated by commas inside curly braces; several groups multiply; groups nest; `\\,` is a literal comma
inside braces; they work anywhere in the prompt, parameters included (`--ar {3:2, 1:1}`,
`--{v 5, niji}`). Each expansion is a separate job; a prompt may start at most 4 (Basic), 10 (Standard)
or 40 (Pro, Mega) jobs. Unbalanced braces are left as text.
"""

from __future__ import annotations

from math import prod

from bot.prompt.errors import PromptError

MAX_PERMUTATIONS = 40  # Midjourney's largest plan limit; the relay's account decides the real one

_Part = str | list[list["_Part"]]  # text, or a group: its alternatives, each a sequence of parts


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _parse(text: str) -> list[_Part]:
    pos = 0

    def sequence(inside: bool) -> list[_Part]:
        nonlocal pos
        parts: list[_Part] = []
        chars: list[str] = []
        while pos < len(text):
            char = text[pos]
            if inside and char == "\\" and text[pos + 1 : pos + 2] == ",":
                while chars and chars[-1] == " ":  # "pastel \\, yellow" reads "pastel, yellow"
                    chars.pop()
                chars.append(",")
                pos += 2
                continue
            if inside and char in ",}":
                break
            pos += 1
            if char != "{":
                chars.append(char)
                continue
            parts.append("".join(chars))
            chars = []
            alternatives = [sequence(True)]
            while text[pos] == ",":
                pos += 1
                alternatives.append(sequence(True))
            pos += 1  # the closing brace
            parts.append(alternatives)
        parts.append("".join(chars))
        return parts

    return sequence(False) if _balanced(text) else [text]


def _count(parts: list[_Part]) -> int:
    return prod(sum(_count(option) for option in part) for part in parts if not isinstance(part, str))


def _expand(parts: list[_Part], *, trim: bool) -> list[str]:
    results = [""]
    for part in parts:
        if isinstance(part, str):
            options = [part]
        else:
            options = [text for option in part for text in _expand(option, trim=True)]
        results = [done + option for done in results for option in options]
    return [result.strip() for result in results] if trim else results


def has_permutations(prompt: str) -> bool:
    """Whether `prompt` has a `{…}` group that Midjourney expands."""
    return any(not isinstance(part, str) for part in _parse(prompt))


def count_permutations(prompt: str) -> int:
    """How many jobs `prompt` starts: 1 without groups."""
    return _count(_parse(prompt))


def expand_permutations(prompt: str, *, limit: int = MAX_PERMUTATIONS) -> list[str]:
    """Every prompt that `prompt` stands for, in Midjourney's order, spaces tidied.

    More than `limit` is refused (`prompt.too_many_jobs`) before any is built.
    """
    parts = _parse(prompt)
    if (jobs := _count(parts)) > limit:
        raise PromptError("prompt.too_many_jobs", jobs=jobs, limit=limit)
    if not any(not isinstance(part, str) for part in parts):
        return [prompt]
    return [" ".join(text.split()) for text in _expand(parts, trim=False)]
