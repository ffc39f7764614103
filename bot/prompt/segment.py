"""Split a piece of prompt text (the typed prompt, or a saved suffix) into text, parameters and mode."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.prompt.errors import PromptError
from bot.prompt.flags import Spec, check_unknown, read_flag, single_dash
from bot.prompt.permutations import expand_permutations, has_permutations
from bot.prompt.rules import Param

_FLAG = re.compile(r"(?:--|—)([A-Za-z{].*)", re.S)  # a letter must follow, so a lone "—" stays prose


@dataclass(slots=True)
class Segment:
    """One parsed piece of text. Params keep the flag as typed."""

    text: str = ""
    params: list[Param] = field(default_factory=list)
    mode: tuple[str, str] | None = None  # (mode, typed flag)


def _tokens(source: str) -> list[re.Match[str]]:
    """Whitespace-separated words; a balanced `{…}` group stays in one word, spaces and all."""
    words = list(re.finditer(r"\S+", source))
    if "{" not in source:
        return words
    tokens = list(re.finditer(r"(?:[^\s{}]|\{(?:[^{}]|\{[^{}]*\})*\})+", source))
    covered = "".join("".join(token[0].split()) for token in tokens)
    return tokens if covered == "".join(word[0] for word in words) else words


def parse_segment(source: str, specs: dict[str, Spec]) -> Segment:
    """Split text from flags and validate the flags; duplicates and conflicts are refused.

    A flag whose name or value holds a `{…}` group is kept as typed: each expansion is checked on its own.
    """
    groups: list[tuple[str, list[str]]] = []
    text_end = len(source)
    for token in _tokens(source):
        if starts := _FLAG.fullmatch(token[0]):
            text_end = token.start() if not groups else text_end
            groups.append((starts[1], []))
            continue
        single_dash(token[0], specs)
        if groups:
            groups[-1][1].append(token[0])
    segment = Segment(text=source[:text_end].strip())
    seen: dict[str, Param] = {}
    for name, values in groups:
        param = _param(name, values, specs, segment)
        if param is None:
            continue
        for key in param.keys:
            if first := seen.get(key):
                if key == "version" and first.name != param.name:
                    raise PromptError("prompt.version_conflict", first=first.flag, second=param.flag)
                raise PromptError(
                    "prompt.duplicate_flag", flag=f"--{first.name}", first=first.flag, second=param.flag
                )
        seen.update((key, param) for key in param.keys)
        segment.params.append(param)
    return segment


def _param(name: str, values: list[str], specs: dict[str, Spec], segment: Segment) -> Param | None:
    """One flag as a Param; a mode flag sets the segment's mode instead (None)."""
    lowered = name.lower()
    flag = f"--{lowered}"
    if has_permutations(name):  # --{v 6.1, niji 6}: the keys are those of every alternative
        keys: set[str] = set()
        for option in expand_permutations(" ".join([f"--{name}", *values])):
            alternative = parse_segment(option, specs)
            keys.update(key for param in alternative.params for key in param.keys)
            if alternative.mode:
                _set_mode(segment, *alternative.mode)
        return Param(name, " ".join(values) or None, f"--{name}", frozenset(keys))
    spec = specs.get(lowered)
    if spec is None:
        check_unknown(f"--{name}", name, specs)
        return Param(name, " ".join(values) or None, f"--{name}", frozenset({f"?{lowered}"}), checked=False)
    if has_permutations(" ".join(values)):  # --ar {1:1, 16:9}
        return Param(spec.name, " ".join(values), flag, frozenset({spec.dup_key}))
    spec, value = read_flag(name, values, specs)
    if spec.kind == "mode":
        _set_mode(segment, spec.name, flag)
        return None
    return Param(spec.name, value, flag, frozenset({spec.dup_key}))


def _set_mode(segment: Segment, mode: str, flag: str) -> None:
    if segment.mode is not None:
        first = segment.mode[1]
        if segment.mode[0] == mode:
            raise PromptError("prompt.duplicate_flag", flag=flag, first=first, second=flag)
        raise PromptError("prompt.mode_conflict", first=first, second=flag)
    segment.mode = (mode, flag)
