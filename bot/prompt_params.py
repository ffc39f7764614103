"""Midjourney parameters: parse, validate and render a prompt before anything is paid for.

Pure (no I/O). Every refusal is a `PromptError` whose `code` is a message key and whose `args` fill it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import discord

from bot.i18n import t

MAX_PROMPT_LENGTH = 4000
MAX_ASPECT = 14  # the most extreme ratio accepted: 1:14 or 14:1
ASPECT_CHOICES: tuple[str, ...] = ("1:1", "2:3", "3:2", "4:5", "5:4", "9:16", "16:9", "21:9")
VERSION_CHOICES: tuple[str, ...] = (
    "7", "6.1", "6", "5.2", "5.1", "niji 6", "niji 5", "niji 4", "5", "4", "3", "2", "1",
)  # fmt: skip
V_VALUES = ("1", "2", "3", "4", "5", "5.0", "5.1", "5.2", "6", "6.0", "6.1", "7")
NIJI_VALUES = ("4", "5", "6")
STYLES = ("raw", "cute", "expressive", "original", "scenic")
QUALITIES = (".25", ".5", "1", "2", "4")
MAX_ARG_CHARS = 100  # user text quoted in an error is clipped so the message stays short

_FLAG = re.compile(r"(?:--|—)([A-Za-z]\S*)")  # a letter must follow, so a lone "—" stays prose
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)")
_RATIO = re.compile(r"(\d+):(\d+)")


class PromptError(Exception):
    """A prompt the bot refuses before anything is paid for."""

    def __init__(self, code: str, **args: str | int) -> None:
        super().__init__(code)
        self.code = code
        self._args = args

    @property  # shadows BaseException.args (a tuple): here the message placeholders, by name
    def args(self) -> dict[str, str | int]:  # type: ignore[override]
        return self._args

    def message(self, lang: str | discord.Locale) -> str:
        """The refusal in the user's language, with option and mode names as that user sees them."""
        args = dict(self._args)
        if "option" in args:
            args["option"] = t(lang, f"opt.{args['option']}.name")
        if "mode" in args:
            args["mode"] = t(lang, f"choice.{args['mode']}")
        return t(lang, self.code, **args)


@dataclass(frozen=True, slots=True)
class PromptParams:
    """Parameters from the /imagine options or saved defaults; None (or False) means not given."""

    aspect: str | None = None
    version: str | None = None  # "6.1", "7", "niji 6"
    stylize: int | None = None
    chaos: int | None = None
    weird: int | None = None
    quality: float | None = None
    seed: int | None = None
    no: str | None = None
    tile: bool = False
    raw: bool = False


@dataclass(frozen=True, slots=True)
class Layer:
    """One scope's saved defaults for a prompt (the user's, a channel's): a suffix, parameters, a mode."""

    suffix: str = ""
    params: PromptParams = PromptParams()
    mode: str | None = None  # "FAST", "RELAX", "TURBO"


@dataclass(frozen=True, slots=True)
class ParsedPrompt:
    """A validated prompt: its text, its parameters (canonical names, in order) and its mode."""

    text: str
    params: tuple[tuple[str, str | None], ...]
    mode: str | None  # "FAST", "RELAX", "TURBO" or None
    mode_typed: bool = False  # the mode is a flag in the typed prompt, not a saved default

    def render(self) -> str:
        """The prompt as submitted: text, then ` --flag value` for each parameter."""
        flags = [f"--{name}" if value is None else f"--{name} {value}" for name, value in self.params]
        return " ".join([self.text, *flags]) if self.text else " ".join(flags)


Kind = Literal["int", "float", "choice", "ratio", "switch", "words", "optional", "mode", "repeat"]


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str  # canonical flag name (for a mode: the mode)
    kind: Kind
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()  # allowed values; for a switch, the value it stands for


_ALIASES: tuple[tuple[tuple[str, ...], _Spec], ...] = (
    (("ar", "aspect"), _Spec("ar", "ratio")),
    (("v", "version"), _Spec("v", "choice", choices=V_VALUES)),
    (("niji",), _Spec("niji", "optional", choices=NIJI_VALUES)),
    (("s", "stylize"), _Spec("s", "int", 0, 1000)),
    (("c", "chaos"), _Spec("c", "int", 0, 100)),
    (("w", "weird"), _Spec("weird", "int", 0, 3000)),
    (("q", "quality"), _Spec("q", "choice", choices=QUALITIES)),
    (("seed",), _Spec("seed", "int", 0, 4294967295)),
    (("no",), _Spec("no", "words")),
    (("tile",), _Spec("tile", "switch")),
    (("style",), _Spec("style", "choice", choices=STYLES)),
    (("raw",), _Spec("style", "switch", choices=("raw",))),
    (("stop",), _Spec("stop", "int", 10, 100)),
    (("iw",), _Spec("iw", "float", 0, 3)),
    (("sref",), _Spec("sref", "words")),
    (("cref",), _Spec("cref", "words")),
    (("cw",), _Spec("cw", "int", 0, 100)),
    (("sw",), _Spec("sw", "int", 0, 1000)),
    (("p", "personalize"), _Spec("p", "optional")),
    (("fast",), _Spec("FAST", "mode")),
    (("relax",), _Spec("RELAX", "mode")),
    (("turbo",), _Spec("TURBO", "mode")),
    (("r", "repeat"), _Spec("r", "repeat")),  # each repeat is a separate paid job
)
_SPECS: dict[str, _Spec] = {alias: spec for aliases, spec in _ALIASES for alias in aliases}
# Custom Zoom's prompt window also takes --zoom (1–2, per MJ's docs); /imagine does not.
_ZOOM_SPECS: dict[str, _Spec] = {**_SPECS, "zoom": _Spec("zoom", "float", 1, 2)}
# PromptParams field → the flag it sets, in render order.
_OPTION_FLAGS = (
    ("aspect", "ar"), ("version", "v"), ("stylize", "s"), ("chaos", "c"), ("weird", "weird"),
    ("quality", "q"), ("seed", "seed"), ("no", "no"), ("tile", "tile"), ("raw", "raw"),
)  # fmt: skip


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ARG_CHARS else text[: MAX_ARG_CHARS - 1] + "…"


def _key(name: str) -> str:
    """What a duplicate is counted on: --v and --niji both choose the model."""
    return "version" if name in ("v", "niji") else name


def _choice(spec: _Spec, flag: str, value: str) -> str:
    lowered = value.lower()
    if lowered in spec.choices:
        return lowered
    if _NUMBER.fullmatch(value):  # ".50" is ".5", "05" is "5"
        for choice in spec.choices:
            if _NUMBER.fullmatch(choice) and Decimal(choice) == Decimal(value):
                return choice
    raise PromptError("prompt.bad_choice", flag=flag, value=_clip(value), allowed=", ".join(spec.choices))


def _number(spec: _Spec, flag: str, value: str) -> str:
    whole = spec.kind == "int"
    if not _NUMBER.fullmatch(value) or (whole and "." in value):
        code = "prompt.not_integer" if whole else "prompt.not_number"
        raise PromptError(code, flag=flag, value=_clip(value), min=spec.low, max=spec.high)
    number = Decimal(value)
    if not spec.low <= number <= spec.high:
        raise PromptError("prompt.out_of_range", flag=flag, value=value, min=spec.low, max=spec.high)
    if whole or number == 0:
        return str(int(number))
    return format(number.normalize(), "f")


def _ratio(flag: str, value: str) -> str:
    match = _RATIO.fullmatch(value)
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if not width or not height or max(width, height) > MAX_ASPECT * min(width, height):
        raise PromptError("prompt.bad_aspect", flag=flag, value=_clip(value))
    return f"{width}:{height}"


def _read(name: str, values: list[str], specs: dict[str, _Spec] = _SPECS) -> tuple[_Spec, str | None]:
    """Validate one flag and the words after it; return its spec and canonical value."""
    flag = f"--{name.lower()}"
    spec = specs.get(name.lower())
    if spec is None:
        raise PromptError("prompt.unknown_flag", flag=_clip(flag))
    if spec.kind == "repeat":
        raise PromptError("prompt.repeat_refused", flag=flag)
    if spec.kind in ("words", "optional") and not spec.choices:  # free words: --no, --sref, --cref, --p
        if not values and spec.kind == "words":
            raise PromptError("prompt.missing_value", flag=flag)
        return spec, " ".join(values) or None
    value: str | None = None
    if spec.kind in ("switch", "mode"):
        value, rest = (spec.choices[0] if spec.choices else None), values
    elif not values:
        if spec.kind != "optional":
            raise PromptError("prompt.missing_value", flag=flag)
        rest = values
    else:
        first, rest = values[0], values[1:]
        if spec.kind == "ratio":
            value = _ratio(flag, first)
        elif spec.kind in ("int", "float"):
            value = _number(spec, flag, first)
        else:
            value = _choice(spec, flag, first)
    if rest:
        raise PromptError("prompt.stray_text", flag=flag, text=_clip(" ".join(rest)))
    return spec, value


@dataclass(slots=True)
class _Segment:
    """One parsed piece of text: the prompt or the suffix. Params keep the flag as typed."""

    text: str = ""
    params: list[tuple[str, str | None, str]] = field(default_factory=list)  # (name, value, typed flag)
    mode: tuple[str, str] | None = None  # (mode, typed flag)


def _parse_segment(source: str, specs: dict[str, _Spec] = _SPECS) -> _Segment:
    """Split text from flags and validate the flags; duplicates and conflicts are refused."""
    groups: list[tuple[str, list[str]]] = []
    text_end = len(source)
    for token in re.finditer(r"\S+", source):
        if starts := _FLAG.fullmatch(token[0]):
            text_end = token.start() if not groups else text_end
            groups.append((starts[1], []))
        elif groups:
            groups[-1][1].append(token[0])
    segment = _Segment(text=source[:text_end].strip())
    seen: dict[str, str] = {}  # canonical name → the flag as typed
    for name, values in groups:
        spec, value = _read(name, values, specs)
        flag = f"--{name.lower()}"
        if spec.kind == "mode":
            if segment.mode is not None:
                first = segment.mode[1]
                if segment.mode[0] == spec.name:
                    raise PromptError("prompt.duplicate_flag", flag=flag, first=first, second=flag)
                raise PromptError("prompt.mode_conflict", first=first, second=flag)
            segment.mode = (spec.name, flag)
            continue
        if spec.name in seen:
            first = seen[spec.name]
            raise PromptError("prompt.duplicate_flag", flag=f"--{spec.name}", first=first, second=flag)
        other = {"v": "niji", "niji": "v"}.get(spec.name, "")
        if other in seen:
            raise PromptError("prompt.version_conflict", first=seen[other], second=flag)
        seen[spec.name] = flag
        segment.params.append((spec.name, value, flag))
    return segment


def _option_params(options: PromptParams, skip: set[str]) -> list[tuple[str, str, str | None]]:
    """Validate the given options whose parameter is not in `skip`: (field, name, value) in render order."""
    found: list[tuple[str, str, str | None]] = []
    for option, option_flag in _OPTION_FLAGS:
        given: object = getattr(options, option)
        alias = option_flag
        if given is None or given is False or _key(_SPECS[alias].name) in skip:
            continue
        words = [] if given is True else str(given).split()
        if option == "version":  # "niji 6" is --niji 6; "v7" and "7" are --v 7
            version = re.fullmatch(r"(niji|v)?\s*(.*)", " ".join(words).lower())
            assert version is not None  # the pattern matches any text
            alias, words = ("niji" if version[1] == "niji" else "v"), version[2].split()
        if option == "no" and any(_FLAG.fullmatch(word) for word in words):
            raise PromptError("prompt.flag_in_option", option=option, value=_clip(str(given)))
        spec, value = _read(alias, words)
        found.append((option, spec.name, value))
    return found


def _checked(result: ParsedPrompt, max_length: int) -> ParsedPrompt:
    if not result.text:
        raise PromptError("prompt.empty")
    if (length := len(result.render())) > max_length:
        raise PromptError("prompt.too_long", length=length, limit=max_length)
    return result


def parse_prompt(prompt: str, *, zoom: bool = False) -> ParsedPrompt:
    """Parse and validate a typed prompt; raise PromptError for anything Midjourney would refuse.

    `zoom`: the prompt is a Custom Zoom's, which may carry ``--zoom``.
    """
    segment = _parse_segment(prompt, _ZOOM_SPECS if zoom else _SPECS)
    params = tuple((name, value) for name, value, _ in segment.params)
    mode = segment.mode[0] if segment.mode else None
    return _checked(ParsedPrompt(segment.text, params, mode), MAX_PROMPT_LENGTH)


def build_prompt(
    prompt: str,
    options: PromptParams,
    *,
    suffix: str = "",
    defaults: PromptParams | None = None,
    layers: Sequence[Layer] | None = None,
    max_length: int = MAX_PROMPT_LENGTH,
) -> ParsedPrompt:
    """The prompt to submit: typed prompt, then options, then each layer of saved defaults for what is unset.

    `layers` are saved defaults, strongest first (the user's, then the channel's); without them, `suffix`
    and `defaults` are the one layer. An option that repeats a parameter typed in the prompt is refused.
    Saved layers yield instead: their parameters and mode apply only where everything stronger left them
    unset, a layer's suffix before its defaults.
    """
    typed = _parse_segment(prompt)
    if not typed.text:
        raise PromptError("prompt.empty")
    taken = {_key(name): flag for name, _, flag in typed.params}
    explicit = _option_params(options, set())
    for option, name, _ in explicit:
        if _key(name) in taken:
            raise PromptError("prompt.option_conflict", flag=taken[_key(name)], option=option)
    taken.update((_key(name), option) for option, name, _ in explicit)
    kept: list[tuple[str, str | None]] = []  # from the suffixes: written after the typed parameters
    fallback: list[tuple[str, str | None]] = []  # from the defaults: written last
    texts = [typed.text]
    mode = typed.mode[0] if typed.mode else None
    for layer in layers if layers is not None else [Layer(suffix, defaults or PromptParams())]:
        saved = _parse_segment(layer.suffix)
        from_suffix = [(name, value) for name, value, _ in saved.params if _key(name) not in taken]
        taken.update((_key(name), "") for name, _ in from_suffix)
        from_defaults = [(name, value) for _, name, value in _option_params(layer.params, set(taken))]
        taken.update((_key(name), "") for name, _ in from_defaults)
        kept += from_suffix
        fallback += from_defaults
        texts.append(saved.text)
        mode = mode or (saved.mode[0] if saved.mode else None) or layer.mode
    params = [(name, value) for name, value, _ in typed.params] + kept
    params += [(name, value) for _, name, value in explicit] + fallback
    text = " ".join(part for part in texts if part)
    return _checked(ParsedPrompt(text, tuple(params), mode, mode_typed=typed.mode is not None), max_length)


def version_suggestions(current: str) -> list[str]:
    """Autocomplete for the version option: choices starting with what was typed first, then containing it."""
    typed = " ".join(current.lower().replace("—", "").replace("--", "").split())
    typed = re.sub(r"^niji(?=\d)", "niji ", typed.removeprefix("v").strip())
    starting = [choice for choice in VERSION_CHOICES if choice.startswith(typed)]
    containing = [choice for choice in VERSION_CHOICES if typed in choice and choice not in starting]
    return (starting + containing)[:25]
