"""Midjourney parameters: parse, validate and render a prompt before anything is paid for.

Pure (no I/O). Every refusal is a `PromptError` whose `code` is a message key and whose `args` fill it.
The checks live in bot/prompt/: flags (names and values), rules (which model takes what),
permutations (`{a, b}`), vocabulary (versions and styles, extendable by the operator).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.prompt.errors import MAX_ARG_CHARS, PromptError, clip
from bot.prompt.flags import MAX_ASPECT, Spec, flag_specs, read_flag
from bot.prompt.permutations import (
    MAX_PERMUTATIONS,
    count_permutations,
    expand_permutations,
    has_permutations,
)
from bot.prompt.rules import Param, check_rules
from bot.prompt.segment import parse_segment
from bot.prompt.vocabulary import DEFAULT_VOCABULARY, VERSION_CHOICES, Vocabulary

__all__ = [
    "ASPECT_CHOICES",
    "DEFAULT_VOCABULARY",
    "MAX_ARG_CHARS",
    "MAX_ASPECT",
    "MAX_PERMUTATIONS",
    "MAX_PROMPT_LENGTH",
    "VERSION_CHOICES",
    "Layer",
    "ParsedPrompt",
    "PromptError",
    "PromptParams",
    "Vocabulary",
    "build_prompt",
    "count_permutations",
    "expand_permutations",
    "parse_prompt",
    "version_suggestions",
]

MAX_PROMPT_LENGTH = 4000
ASPECT_CHOICES: tuple[str, ...] = ("1:1", "2:3", "3:2", "4:5", "5:4", "9:16", "16:9", "21:9")
_FLAG_WORD = re.compile(r"(?:--|—)[A-Za-z]\S*")


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
    style_ref: str | None = None  # an image's URL (--sref)
    omni_ref: str | None = None  # an image's URL (--oref)


@dataclass(frozen=True, slots=True)
class Layer:
    """One scope's saved defaults for a prompt (the user's, a channel's): a suffix, parameters, a mode."""

    suffix: str = ""
    params: PromptParams = PromptParams()
    mode: str | None = None  # "FAST", "RELAX", "TURBO"


@dataclass(frozen=True, slots=True)
class ParsedPrompt:
    """A validated prompt: its text, its parameters (canonical names, in order) and its mode.

    `unchecked`: flags the bot does not know, sent as typed (tell the user: `prompt.unchecked_note`).
    `jobs`: how many jobs Midjourney starts for it (more than 1 for a `{a, b}` permutation prompt).
    """

    text: str
    params: tuple[tuple[str, str | None], ...]
    mode: str | None  # "FAST", "RELAX", "TURBO" or None
    mode_typed: bool = False  # the mode is a flag in the typed prompt, not a saved default
    unchecked: tuple[str, ...] = ()
    jobs: int = 1

    def render(self) -> str:
        """The prompt as submitted: text, then ` --flag value` for each parameter."""
        flags = [f"--{name}" if value is None else f"--{name} {value}" for name, value in self.params]
        return " ".join([self.text, *flags]) if self.text else " ".join(flags)


# PromptParams field → the flag it sets, in render order.
_OPTION_FLAGS = (
    ("aspect", "ar"), ("version", "v"), ("stylize", "s"), ("chaos", "c"), ("weird", "weird"),
    ("quality", "q"), ("seed", "seed"), ("no", "no"), ("tile", "tile"), ("raw", "raw"),
    ("style_ref", "sref"), ("omni_ref", "oref"),
)  # fmt: skip


def _option_params(options: PromptParams, skip: set[str], vocabulary: Vocabulary) -> list[tuple[str, Param]]:
    """Validate the given options whose parameter is not in `skip`: (field, param) in render order."""
    specs = flag_specs(vocabulary)
    found: list[tuple[str, Param]] = []
    for option, option_flag in _OPTION_FLAGS:
        given: object = getattr(options, option)
        alias = option_flag
        if given is None or given is False or specs[alias].dup_key in skip:
            continue
        words = [] if given is True else str(given).split()
        if option == "version":  # "niji 6" is --niji 6; "v7" and "7" are --v 7
            version = re.fullmatch(r"(niji|v)?\s*(.*)", " ".join(words).lower(), flags=re.DOTALL)
            line, number = (version[1], version[2]) if version else (None, " ".join(words))
            alias, words = ("niji" if line == "niji" else "v"), number.split()
        if option == "no" and any(_FLAG_WORD.fullmatch(word) for word in words):
            raise PromptError("prompt.flag_in_option", option=option, value=clip(str(given)))
        spec, value = read_flag(alias, words, specs)
        found.append((option, Param(spec.name, value, f"--{alias}", frozenset({spec.dup_key}))))
    return found


def _check_text(text: str, image_prompts: int) -> None:
    """Midjourney's rule for a prompt without text (https://docs.midjourney.com/hc/en-us/articles/
    32040250122381-Image-Prompts: "Single Image Prompt + Text Prompt", "Multiple Image Prompts Without
    Text Prompt"): one image prompt needs text with it; two or more may go alone."""
    if not text and image_prompts < 2:
        raise PromptError("prompt.image_alone" if image_prompts == 1 else "prompt.empty")


def _finish(
    text: str,
    params: list[Param],
    *,
    mode: str | None,
    mode_typed: bool,
    vocabulary: Vocabulary,
    specs: dict[str, Spec],
    max_length: int,
    image_prompts: int = 0,
) -> ParsedPrompt:
    """The checked prompt; a permutation prompt is checked expansion by expansion, naming a bad one."""
    _check_text(text, image_prompts)
    unchecked = tuple(dict.fromkeys(p.flag for p in params if not p.checked))
    result = ParsedPrompt(text, tuple((p.name, p.value) for p in params), mode, mode_typed, unchecked)
    if not result.render():
        raise PromptError("prompt.empty")  # images alone and nothing else: the API needs a prompt
    if (length := len(result.render())) > max_length:
        raise PromptError("prompt.too_long", length=length, limit=max_length)
    if not has_permutations(result.render()):
        check_rules(params, vocabulary)
        return result
    expansions = expand_permutations(result.render())
    for expansion in expansions:
        try:
            segment = parse_segment(expansion, specs)
            _check_text(segment.text, image_prompts)
            check_rules(segment.params, vocabulary)
        except PromptError as err:
            err.expansion = expansion
            raise
    return replace(result, jobs=len(expansions))


def parse_prompt(
    prompt: str, *, zoom: bool = False, vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> ParsedPrompt:
    """Parse and validate a typed prompt; raise PromptError for anything Midjourney would refuse.

    `zoom`: the prompt is a Custom Zoom's, which may carry ``--zoom``. `vocabulary`: the operator's
    extra versions and styles.
    """
    specs = flag_specs(vocabulary, zoom=zoom)
    segment = parse_segment(prompt, specs)
    mode = segment.mode[0] if segment.mode else None
    return _finish(
        segment.text,
        segment.params,
        mode=mode,
        mode_typed=False,
        vocabulary=vocabulary,
        specs=specs,
        max_length=MAX_PROMPT_LENGTH,
    )


def build_prompt(
    prompt: str,
    options: PromptParams,
    *,
    suffix: str = "",
    defaults: PromptParams | None = None,
    layers: Sequence[Layer] | None = None,
    max_length: int = MAX_PROMPT_LENGTH,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
    image_prompts: int = 0,
) -> ParsedPrompt:
    """The prompt to submit: typed prompt, then options, then each layer of saved defaults for what is unset.

    `layers` are saved defaults, strongest first (the user's, then the channel's); without them, `suffix`
    and `defaults` are the one layer. An option that repeats a parameter typed in the prompt is refused.
    Saved layers yield instead: their parameters and mode apply only where everything stronger left them
    unset, a layer's suffix before its defaults. `image_prompts`: how many images go with the prompt
    (they may stand in for its text).
    """
    specs = flag_specs(vocabulary)
    typed = parse_segment(prompt, specs)
    if not image_prompts:
        _check_text(typed.text, 0)
    taken = {key: param.flag for param in typed.params for key in param.keys}
    explicit = _option_params(options, set(), vocabulary)
    for option, param in explicit:
        if clash := taken.keys() & param.keys:
            raise PromptError("prompt.option_conflict", flag=taken[min(clash)], option=option)
    taken.update((key, option) for option, param in explicit for key in param.keys)
    kept: list[Param] = []  # from the suffixes: written after the typed parameters
    fallback: list[Param] = []  # from the defaults: written last
    texts = [typed.text]
    mode = typed.mode[0] if typed.mode else None
    for layer in layers if layers is not None else [Layer(suffix, defaults or PromptParams())]:
        saved = parse_segment(layer.suffix, specs)
        from_suffix = [param for param in saved.params if not taken.keys() & param.keys]
        taken.update((key, "") for param in from_suffix for key in param.keys)
        from_defaults = [param for _, param in _option_params(layer.params, set(taken), vocabulary)]
        taken.update((key, "") for param in from_defaults for key in param.keys)
        kept += from_suffix
        fallback += from_defaults
        texts.append(saved.text)
        mode = mode or (saved.mode[0] if saved.mode else None) or layer.mode
    params = typed.params + kept + [param for _, param in explicit] + fallback
    text = " ".join(part for part in texts if part)
    return _finish(
        text,
        params,
        mode=mode,
        mode_typed=typed.mode is not None,
        vocabulary=vocabulary,
        specs=specs,
        max_length=max_length,
        image_prompts=image_prompts,
    )


def version_suggestions(current: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> list[str]:
    """Autocomplete for the version option: choices starting with what was typed first, then containing it."""
    typed = " ".join(current.lower().replace("—", "").replace("--", "").split())
    typed = re.sub(r"^niji(?=\d)", "niji ", typed.removeprefix("v").strip())
    choices = vocabulary.version_choices()
    starting = [choice for choice in choices if choice.startswith(typed)]
    containing = [choice for choice in choices if typed in choice and choice not in starting]
    return (starting + containing)[:25]
