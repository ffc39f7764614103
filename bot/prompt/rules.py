"""Which parameters work with which model: checked once the prompt's model is known.

With no --v or --niji the prompt runs with the default model (V8.1). Sources:
- Version (feature chart): https://docs.midjourney.com/hc/en-us/articles/32199405667853-Version —
  Character Reference only in V6 (and Niji 6); Omni Reference in V7 (V8.1 runs it in V7); --exp in
  V7 and V8.1, not V6; Draft Mode from V7; --hd/--sd are V8.1's, and HD allows aspect ratios up to 4:1;
  --q 4 is V7's (V6 takes .5, 1, 2).
- Omni Reference: https://docs.midjourney.com/hc/en-us/articles/36285124473997-Omni-Reference
- Character Reference: https://docs.midjourney.com/hc/en-us/articles/32162917505293-Character-Reference
- Legacy docs (https://docs.midjourney.com/docs/stylize, /docs/weird, /docs/tile): V3's --stylize runs
  625–60000; --weird from V5 and Niji 5; --tile not in V4.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.prompt.errors import PromptError
from bot.prompt.flags import Spec, number
from bot.prompt.vocabulary import Model, Vocabulary, model_of


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a prompt: its canonical name and value, and the flag as the user typed it."""

    name: str  # canonical; for an unchecked flag, its name as typed
    value: str | None
    flag: str  # "--stylize", "--s" for an option
    keys: frozenset[str]  # what a duplicate is counted on
    checked: bool = True  # False: a flag the bot does not know, sent as typed


def _between(low: str, high: str | None = None) -> Callable[[Model], bool]:
    """The model's number is at least `low` (and below `high`); a model without a number passes."""
    return lambda m: (
        m.number is None or (Decimal(low) <= m.number and (high is None or m.number < Decimal(high)))
    )


def _v_from(low: str) -> Callable[[Model], bool]:
    """Any niji model, or a --v from `low` on."""
    return lambda m: m.line == "niji" or _between(low)(m)


@dataclass(frozen=True, slots=True)
class _Bound:
    names: frozenset[str]
    allows: Callable[[Model], bool]
    needs: str  # shown to the user: the models that allow it
    value: str | None = None  # only this value is bound (--q 4)


_BOUNDS = (
    _Bound(frozenset({"cref", "cw"}), _between("6", "7"), "--v 6 / 6.1, --niji 6"),
    _Bound(frozenset({"oref", "ow"}), lambda m: m.line == "v" and _between("7")(m), "--v 7+"),
    _Bound(frozenset({"exp", "draft"}), _v_from("7"), "--v 7+"),
    _Bound(frozenset({"hd", "sd"}), lambda m: m.line == "v" and _between("8")(m), "--v 8+"),
    _Bound(frozenset({"q"}), _v_from("7"), "--v 7+", value="4"),
    _Bound(frozenset({"weird"}), _between("5"), "--v 5+, --niji 5+"),
    _Bound(frozenset({"tile"}), lambda m: m.line == "niji" or not _between("4", "5")(m), "--v 1–3, 5+"),
)
MAX_HD_ASPECT = 4
_STYLIZE = Spec("s", "int", 0, 1000)
_STYLIZE_V3 = Spec("s", "int", 625, 60000)


def check_rules(params: Sequence[Param], vocabulary: Vocabulary) -> None:
    """Refuse a parameter the prompt's model does not take, or a value out of that model's range."""
    version = next(((p.name, p.value) for p in params if p.name in ("v", "niji") and p.checked), None)
    model = model_of(version, vocabulary)
    for param in params:
        if not param.checked:
            continue
        if param.name == "s" and param.value is not None:
            v3 = model.line == "v" and _between("3", "4")(model) and model.number is not None
            number(_STYLIZE_V3 if v3 else _STYLIZE, param.flag, param.value)
        for bound in _BOUNDS:
            if param.name in bound.names and bound.value in (None, param.value) and not bound.allows(model):
                code = "prompt.version_bound_default" if model.default else "prompt.version_bound"
                flag = f"{param.flag} {param.value}" if bound.value else param.flag
                raise PromptError(code, flag=flag, model=model.flag, needs=bound.needs)
    by_name = {p.name: p for p in params if p.checked}
    if "hd" in by_name and (aspect := by_name.get("ar")) and aspect.value:
        width, height = (int(side) for side in aspect.value.split(":"))
        if max(width, height) > MAX_HD_ASPECT * min(width, height):
            raise PromptError(
                "prompt.hd_aspect", flag=aspect.flag, value=aspect.value, limit=f"{MAX_HD_ASPECT}:1"
            )
