"""The model versions and styles the bot knows, and the operator's additions to them.

Sources: the Version article (V8.1 the default since June 10, 2026; V8.0 alpha; Niji 7)
https://docs.midjourney.com/hc/en-us/articles/32199405667853-Version ; V8.2 (default from July 24,
2026 in third-party release notes) is accepted as a value; the default stays V8.1 unless an operator
sets `default_model`. Styles: raw, the niji styles, V4's 4a/4b/4c (the legacy Parameter List,
https://docs.midjourney.com/docs/parameter-list) and `random`, which the product owner asked for
(no documentation found for it; it is accepted, not checked further).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

V_VERSIONS = ("1", "2", "3", "4", "5", "5.0", "5.1", "5.2", "6", "6.0", "6.1", "7", "8", "8.0", "8.1", "8.2")
NIJI_VERSIONS = ("4", "5", "6", "7")
STYLES = ("raw", "cute", "expressive", "original", "scenic", "4a", "4b", "4c", "random")
DEFAULT_MODEL = "8.1"  # the --v a prompt without --v or --niji runs with
# The /imagine version option's autocomplete: the default model first.
VERSION_CHOICES: tuple[str, ...] = (
    "8.1", "8.2", "8", "7", "6.1", "6", "5.2", "5.1", "niji 7", "niji 6", "niji 5", "niji 4", "5", "4", "3", "2", "1",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Values an operator adds to the built-in ones as Midjourney releases them (e.g. versions=("9",)).

    `default_model` is the --v value a prompt without a version runs with.
    """

    versions: tuple[str, ...] = ()
    niji_versions: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    default_model: str = DEFAULT_MODEL

    def all_versions(self) -> tuple[str, ...]:
        return _merged(V_VERSIONS, self.versions)

    def all_niji_versions(self) -> tuple[str, ...]:
        return _merged(NIJI_VERSIONS, self.niji_versions)

    def all_styles(self) -> tuple[str, ...]:
        return _merged(STYLES, self.styles)

    def version_choices(self) -> tuple[str, ...]:
        extra = [v for v in self.versions if v.lower() not in V_VERSIONS]
        extra += [f"niji {v}" for v in self.niji_versions if v.lower() not in NIJI_VERSIONS]
        return _merged(tuple(extra), VERSION_CHOICES)


DEFAULT_VOCABULARY = Vocabulary()


def _merged(first: tuple[str, ...], then: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip().lower() for value in (*first, *then) if value.strip()))


@dataclass(frozen=True, slots=True)
class Model:
    """The model a prompt runs with: a --v or --niji number (None when not a number)."""

    line: str  # "v" or "niji"
    number: Decimal | None
    flag: str  # as it reads in a prompt: "--v 6.1", "--niji 6"
    default: bool = False


def number_of(value: str) -> Decimal | None:
    """A version value as a number ("5.0" is 5), None for one that is not ("test")."""
    if not re.fullmatch(r"\d+(?:\.\d+)?", value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


def model_of(version: tuple[str, str | None] | None, vocabulary: Vocabulary) -> Model:
    """The model of a prompt from its (name, value) version parameter, or the default model."""
    if version is None:
        default = vocabulary.default_model
        return Model("v", number_of(default), f"--v {default}", default=True)
    name, value = version
    if name == "niji" and value is None:  # plain --niji: the newest niji model
        numbers = [n for v in vocabulary.all_niji_versions() if (n := number_of(v)) is not None]
        return Model("niji", max(numbers, default=None), "--niji")
    return Model(name, number_of(value or ""), f"--{name} {value}")
