"""The parameters the bot checks: names, aliases, value rules, and suggestions for near misses.

Ranges and values follow Midjourney's Parameter List
(https://docs.midjourney.com/hc/en-us/articles/32859204029709-Parameter-List) and the articles it links:
Omni Reference (--oref, --ow 1–1000), Style Reference (--sw 0–1000, --sv), Character Reference
(--cw 0–100), Video (--motion low|high, --loop, --end, --bs 1|2|4), Draft Mode (--draft),
--exp 0–100, Version (--hd, --sd). --sv: 1–6 in V7 guides, 7 added with V8 (third-party notes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from bot.prompt.errors import PromptError, clip
from bot.prompt.vocabulary import Vocabulary

QUALITIES = (".25", ".5", "1", "2", "4")
# The ranges of the parameters /imagine also offers as options (its option bounds come from here).
STYLIZE = (0, 1000)
CHAOS = (0, 100)
WEIRD = (0, 3000)
SEED = (0, 4294967295)
MAX_ASPECT = 14  # the most extreme ratio accepted: 1:14 or 14:1

Kind = Literal["int", "float", "choice", "ratio", "switch", "words", "optional", "mode", "repeat"]

_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)")
_RATIO = re.compile(r"(\d+):(\d+)")
_WELL_FORMED = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_VALUE_START = re.compile(r"[\d.:{]")


@dataclass(frozen=True, slots=True)
class Spec:
    name: str  # canonical flag name (for a mode: the mode)
    kind: Kind
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()  # allowed values; for a switch, the value it stands for
    key: str = ""  # what a duplicate is counted on, when not the name (--v and --niji: "version")

    @property
    def dup_key(self) -> str:
        return self.key or self.name


def _table(vocabulary: Vocabulary) -> tuple[tuple[tuple[str, ...], Spec], ...]:
    return (
        (("ar", "aspect"), Spec("ar", "ratio")),
        (("v", "version"), Spec("v", "choice", choices=vocabulary.all_versions(), key="version")),
        (("niji",), Spec("niji", "optional", choices=vocabulary.all_niji_versions(), key="version")),
        (("s", "stylize"), Spec("s", "int", *STYLIZE)),  # 625–60000 with --v 3: see rules.py
        (("c", "chaos"), Spec("c", "int", *CHAOS)),
        (("w", "weird"), Spec("weird", "int", *WEIRD)),
        (("q", "quality"), Spec("q", "choice", choices=QUALITIES)),
        (("seed",), Spec("seed", "int", *SEED)),
        (("no",), Spec("no", "words")),
        (("tile",), Spec("tile", "switch")),
        (("style",), Spec("style", "choice", choices=vocabulary.all_styles())),
        (("raw",), Spec("style", "switch", choices=("raw",))),
        (("stop",), Spec("stop", "int", 10, 100)),
        (("iw",), Spec("iw", "float", 0, 3)),
        (("sref",), Spec("sref", "words")),
        (("sw",), Spec("sw", "int", 0, 1000)),
        (("sv",), Spec("sv", "int", 1, 7)),
        (("cref",), Spec("cref", "words")),
        (("cw",), Spec("cw", "int", 0, 100)),
        (("oref",), Spec("oref", "words")),
        (("ow",), Spec("ow", "int", 1, 1000)),
        (("exp",), Spec("exp", "int", 0, 100)),
        (("p", "personalize", "profile"), Spec("p", "optional")),
        (("draft",), Spec("draft", "switch")),
        (("hd",), Spec("hd", "switch", key="definition")),
        (("sd",), Spec("sd", "switch", key="definition")),
        (("video",), Spec("video", "switch")),
        (("motion",), Spec("motion", "choice", choices=("low", "high"))),
        (("loop",), Spec("loop", "switch")),
        (("end",), Spec("end", "words")),
        (("bs",), Spec("bs", "choice", choices=("1", "2", "4"))),
        (("fast",), Spec("FAST", "mode")),
        (("relax",), Spec("RELAX", "mode")),
        (("turbo",), Spec("TURBO", "mode")),
        (("r", "repeat"), Spec("r", "repeat")),  # each repeat is a separate paid job
    )


@lru_cache(maxsize=16)
def flag_specs(vocabulary: Vocabulary, *, zoom: bool = False) -> dict[str, Spec]:
    """Every alias → its spec. Custom Zoom's prompt window also takes --zoom (1–2, per MJ's docs)."""
    specs = {alias: spec for aliases, spec in _table(vocabulary) for alias in aliases}
    if zoom:
        specs["zoom"] = Spec("zoom", "float", 1, 2)
    return specs


# Known, but never valid where these specs apply: refused as unknown rather than let through.
NOT_HERE = frozenset({"zoom"})


def _choice(spec: Spec, flag: str, value: str) -> str:
    lowered = value.lower()
    if lowered in spec.choices:
        return lowered
    if _NUMBER.fullmatch(value):  # ".50" is ".5", "05" is "5"
        for choice in spec.choices:
            if _NUMBER.fullmatch(choice) and Decimal(choice) == Decimal(value):
                return choice
    raise PromptError("prompt.bad_choice", flag=flag, value=clip(value), allowed=", ".join(spec.choices))


def number(spec: Spec, flag: str, value: str, *, check_range: bool = True) -> str:
    """`value` checked as `spec`'s number, in canonical form."""
    whole = spec.kind == "int"
    if not _NUMBER.fullmatch(value) or (whole and "." in value):
        code = "prompt.not_integer" if whole else "prompt.not_number"
        raise PromptError(code, flag=flag, value=clip(value), min=spec.low, max=spec.high)
    parsed = Decimal(value)
    if check_range and not spec.low <= parsed <= spec.high:
        raise PromptError("prompt.out_of_range", flag=flag, value=value, min=spec.low, max=spec.high)
    if whole or parsed == 0:
        return str(int(parsed))
    return format(parsed.normalize(), "f")


def ratio(flag: str, value: str) -> tuple[int, int]:
    """A W:H aspect ratio of whole numbers, at most MAX_ASPECT to 1 either way."""
    match = _RATIO.fullmatch(value)
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if not width or not height or max(width, height) > MAX_ASPECT * min(width, height):
        raise PromptError("prompt.bad_aspect", flag=flag, value=clip(value))
    return width, height


def read_flag(name: str, values: Sequence[str], specs: dict[str, Spec]) -> tuple[Spec, str | None]:
    """Validate one known flag and the words after it; return its spec and canonical value.

    --s's range depends on the model, so rules.py checks it once the model is known.
    """
    flag = f"--{name.lower()}"
    spec = specs[name.lower()]
    if spec.kind == "repeat":
        raise PromptError("prompt.repeat_refused", flag=flag)
    if spec.kind in ("words", "optional") and not spec.choices:  # free words: --no, --sref, --p
        if not values and spec.kind == "words":
            raise PromptError("prompt.missing_value", flag=flag)
        return spec, " ".join(values) or None
    value: str | None = None
    rest: Sequence[str] = values
    if spec.kind in ("switch", "mode"):
        value = spec.choices[0] if spec.choices else None
    elif not values:
        if spec.kind != "optional":
            raise PromptError("prompt.missing_value", flag=flag)
    else:
        first, rest = values[0], values[1:]
        if spec.kind == "ratio":
            width, height = ratio(flag, first)
            value = f"{width}:{height}"
        elif spec.kind in ("int", "float"):
            value = number(spec, flag, first, check_range=spec.name != "s")
        else:
            value = _choice(spec, flag, first)
    if rest:
        raise PromptError("prompt.stray_text", flag=flag, text=clip(" ".join(rest)))
    return spec, value


def check_unknown(typed: str, name: str, specs: dict[str, Spec]) -> None:
    """Refuse an unknown flag that is a near miss of a known one, or not a flag's shape at all.

    A well-formed name far from every known flag passes: Midjourney may know it.
    """
    lowered = name.lower()
    for alias in sorted(specs, key=len, reverse=True):  # a value glued on: --ar16:9
        rest = name[len(alias) :]
        if (
            lowered.startswith(alias)
            and _VALUE_START.match(rest)
            and specs[alias].kind not in ("switch", "mode")
        ):
            raise PromptError("prompt.did_you_mean", typed=clip(typed), suggestion=clip(f"--{alias} {rest}"))
    if not _WELL_FORMED.fullmatch(name) or lowered in NOT_HERE:
        raise PromptError("prompt.unknown_flag", flag=clip(f"--{lowered}"))
    limit = 1 if len(lowered) <= 4 else 2
    near = sorted((_distance(lowered, alias), alias) for alias in specs if len(alias) >= 2)
    if len(lowered) >= 2 and near and near[0][0] <= limit:
        raise PromptError("prompt.did_you_mean", typed=clip(typed), suggestion=f"--{near[0][1]}")


def single_dash(token: str, specs: dict[str, Spec]) -> None:
    """Refuse `-ar` (one hyphen or an en dash) where a known flag's name follows."""
    if (match := re.fullmatch(r"[-–]([A-Za-z]+)", token)) and match[1].lower() in specs:
        raise PromptError("prompt.did_you_mean", typed=token, suggestion=f"--{match[1].lower()}")


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbours as one edit (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
