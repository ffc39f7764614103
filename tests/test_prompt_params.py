"""Midjourney parameters: parsing, validation, precedence and rendering."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from bot.prompt_params import (
    ASPECT_CHOICES,
    MAX_PERMUTATIONS,
    MAX_PROMPT_LENGTH,
    VERSION_CHOICES,
    Layer,
    ParsedPrompt,
    PromptError,
    PromptParams,
    Vocabulary,
    build_prompt,
    count_permutations,
    expand_permutations,
    parse_prompt,
    version_suggestions,
)


def refusal(prompt: str) -> PromptError:
    with pytest.raises(PromptError) as caught:
        parse_prompt(prompt)
    return caught.value


def build_refusal(prompt: str, options: PromptParams, **kwargs: object) -> PromptError:
    with pytest.raises(PromptError) as caught:
        build_prompt(prompt, options, **kwargs)  # type: ignore[arg-type]
    return caught.value


# -- valid parses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "param"),
    [
        ("--ar 16:9", ("ar", "16:9")),
        ("--aspect 2:3", ("ar", "2:3")),
        ("--ar 14:1", ("ar", "14:1")),
        ("--ar 1:14", ("ar", "1:14")),
        ("--ar 016:09", ("ar", "16:9")),
        ("--v 6.1", ("v", "6.1")),
        ("--version 7", ("v", "7")),
        ("--v 5.0", ("v", "5.0")),
        ("--niji", ("niji", None)),
        ("--niji 6", ("niji", "6")),
        ("--niji 4", ("niji", "4")),
        ("--s 250", ("s", "250")),
        ("--stylize 0", ("s", "0")),
        ("--s 1000", ("s", "1000")),
        ("--c 10", ("c", "10")),
        ("--chaos 100", ("c", "100")),
        ("--w 100", ("weird", "100")),
        ("--weird 3000", ("weird", "3000")),
        ("--q .25", ("q", ".25")),
        ("--q 0.5", ("q", ".5")),
        ("--quality 2", ("q", "2")),
        ("--q 1.0", ("q", "1")),
        ("--q 4", ("q", "4")),
        ("--seed 0", ("seed", "0")),
        ("--seed 4294967295", ("seed", "4294967295")),
        ("--no text", ("no", "text")),
        ("--tile", ("tile", None)),
        ("--style cute", ("style", "cute")),
        ("--style RAW", ("style", "raw")),
        ("--raw", ("style", "raw")),
        ("--stop 10", ("stop", "10")),
        ("--stop 100", ("stop", "100")),
        ("--iw 0", ("iw", "0")),
        ("--iw 1.50", ("iw", "1.5")),
        ("--iw 3", ("iw", "3")),
        ("--sref https://x.test/a.png", ("sref", "https://x.test/a.png")),
        ("--sref 123 https://x.test/b.png", ("sref", "123 https://x.test/b.png")),
        ("--oref https://x.test/o.png", ("oref", "https://x.test/o.png")),
        ("--ow 1000", ("ow", "1000")),
        ("--exp 100", ("exp", "100")),
        ("--sv 7", ("sv", "7")),
        ("--draft", ("draft", None)),
        ("--hd", ("hd", None)),
        ("--sd", ("sd", None)),
        ("--v 8.1", ("v", "8.1")),
        ("--v 8", ("v", "8")),
        ("--niji 7", ("niji", "7")),
        ("--style 4a", ("style", "4a")),
        ("--style random", ("style", "random")),
        ("--video", ("video", None)),
        ("--motion high", ("motion", "high")),
        ("--loop", ("loop", None)),
        ("--end https://x.test/e.png", ("end", "https://x.test/e.png")),
        ("--bs 4", ("bs", "4")),
        ("--profile abc", ("p", "abc")),
        ("--sw 1000", ("sw", "1000")),
        ("--p", ("p", None)),
        ("--personalize abc123", ("p", "abc123")),
        ("--p abc def", ("p", "abc def")),
        ("--AR 16:9", ("ar", "16:9")),
    ],
)
def test_each_flag_and_alias_parses_to_its_canonical_name(typed: str, param: tuple[str, str | None]) -> None:
    parsed = parse_prompt(f"a cat {typed}")
    assert parsed.text == "a cat"
    assert parsed.params == (param,)
    assert parsed.mode is None


@pytest.mark.parametrize("flag", ["fast", "relax", "turbo"])
def test_mode_flags_become_the_mode_and_leave_the_prompt(flag: str) -> None:
    parsed = parse_prompt(f"a cat --{flag} --ar 1:1")
    assert parsed.mode == flag.upper()
    assert parsed.params == (("ar", "1:1"),)
    assert parsed.render() == "a cat --ar 1:1"


def test_em_dash_is_read_as_two_hyphens() -> None:
    parsed = parse_prompt("a cat —ar 16:9 —s 250 —relax")
    assert parsed.params == (("ar", "16:9"), ("s", "250"))
    assert parsed.mode == "RELAX"


def test_a_lone_dash_in_the_text_is_prose() -> None:
    parsed = parse_prompt("a cat — sleeping -- on a mat --ar 1:1")
    assert parsed.text == "a cat — sleeping -- on a mat"


def test_no_takes_every_word_up_to_the_next_flag() -> None:
    parsed = parse_prompt("a cat --no text, watermark, blurry edges --tile")
    assert parsed.params == (("no", "text, watermark, blurry edges"), ("tile", None))


def test_image_urls_at_the_start_stay_in_the_text() -> None:
    parsed = parse_prompt("  https://x.test/a.png https://x.test/b.png a cat --iw 2  ")
    assert parsed.text == "https://x.test/a.png https://x.test/b.png a cat"


def test_render_keeps_the_typed_order_in_canonical_spelling() -> None:
    parsed = parse_prompt("a cat —stylize 250 --aspect 16:9 --raw --quality 0.5 --weird 5")
    assert parsed.render() == "a cat --s 250 --ar 16:9 --style raw --q .5 --weird 5"


def test_render_without_text_or_params() -> None:
    assert ParsedPrompt("a cat", (), None).render() == "a cat"
    assert ParsedPrompt("", (("tile", None),), None).render() == "--tile"


# -- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["", "   ", "--ar 16:9", "—tile --fast"])
def test_a_prompt_without_text_is_empty(prompt: str) -> None:
    error = refusal(prompt)
    assert (error.code, error.args) == ("prompt.empty", {})


@pytest.mark.parametrize(("prompt", "flag"), [("a cat --foo!", "--foo!"), ("a cat —Bar? 2", "--bar?")])
def test_a_flag_of_no_flag_shape_is_unknown(prompt: str, flag: str) -> None:
    error = refusal(prompt)
    assert (error.code, error.args) == ("prompt.unknown_flag", {"flag": flag})


@pytest.mark.parametrize(
    "flag", ["--ar", "--v", "--s", "--c", "--weird", "--q", "--seed", "--no", "--style", "--stop", "--iw"]
)
@pytest.mark.parametrize("after", ["", " --tile"])
def test_missing_value(flag: str, after: str) -> None:
    error = refusal(f"a cat {flag}{after}")
    assert (error.code, error.args) == ("prompt.missing_value", {"flag": flag})


@pytest.mark.parametrize("flag", ["--sref", "--cref", "--cw", "--sw"])
def test_missing_value_of_reference_flags(flag: str) -> None:
    assert refusal(f"a cat {flag}").code == "prompt.missing_value"


@pytest.mark.parametrize(
    ("typed", "flag", "value", "low", "high"),
    [
        ("--s 5000", "--s", "5000", 0, 1000),
        ("--stylize 1001", "--stylize", "1001", 0, 1000),
        ("--s -5", "--s", "-5", 0, 1000),
        ("--c 101", "--c", "101", 0, 100),
        ("--weird 3001", "--weird", "3001", 0, 3000),
        ("--w 4000", "--w", "4000", 0, 3000),
        ("--seed 4294967296", "--seed", "4294967296", 0, 4294967295),
        ("--stop 9", "--stop", "9", 10, 100),
        ("--stop 101", "--stop", "101", 10, 100),
        ("--iw 3.5", "--iw", "3.5", 0, 3),
        ("--cw 101", "--cw", "101", 0, 100),
        ("--sw 1001", "--sw", "1001", 0, 1000),
    ],
)
def test_out_of_range(typed: str, flag: str, value: str, low: int, high: int) -> None:
    error = refusal(f"a cat {typed}")
    assert error.code == "prompt.out_of_range"
    assert error.args == {"flag": flag, "value": value, "min": low, "max": high}


@pytest.mark.parametrize(
    ("typed", "value"), [("--s abc", "abc"), ("--s 2.5", "2.5"), ("--c 1e3", "1e3"), ("--seed +4", "+4")]
)
def test_whole_number_flags_refuse_other_values(typed: str, value: str) -> None:
    error = refusal(f"a cat {typed}")
    assert error.code == "prompt.not_integer"
    assert error.args["value"] == value
    assert {"flag", "min", "max"} <= error.args.keys()


def test_iw_refuses_a_non_number() -> None:
    error = refusal("a cat --iw lots")
    assert error.code == "prompt.not_number"
    assert error.args == {"flag": "--iw", "value": "lots", "min": 0, "max": 3}


@pytest.mark.parametrize(
    ("typed", "flag", "value", "allowed"),
    [
        ("--v 9", "--v", "9", "1, 2, 3, 4, 5, 5.0, 5.1, 5.2, 6, 6.0, 6.1, 7, 8, 8.0, 8.1, 8.2"),
        (
            "--version 6.2",
            "--version",
            "6.2",
            "1, 2, 3, 4, 5, 5.0, 5.1, 5.2, 6, 6.0, 6.1, 7, 8, 8.0, 8.1, 8.2",
        ),
        ("--niji 9", "--niji", "9", "4, 5, 6, 7"),
        ("--q 3", "--q", "3", ".25, .5, 1, 2, 4"),
        ("--quality high", "--quality", "high", ".25, .5, 1, 2, 4"),
        (
            "--style fancy",
            "--style",
            "fancy",
            "raw, cute, expressive, original, scenic, 4a, 4b, 4c, random",
        ),
    ],
)
def test_bad_choice(typed: str, flag: str, value: str, allowed: str) -> None:
    error = refusal(f"a cat {typed}")
    assert error.code == "prompt.bad_choice"
    assert error.args == {"flag": flag, "value": value, "allowed": allowed}


@pytest.mark.parametrize("value", ["0:1", "16:0", "abc", "1:20", "15:1", "16/9", "16:9:1", "-1:2", "1.5:1"])
def test_bad_aspect(value: str) -> None:
    error = refusal(f"a cat --ar {value}")
    assert (error.code, error.args) == ("prompt.bad_aspect", {"flag": "--ar", "value": value})


@pytest.mark.parametrize(
    ("typed", "flag", "text"),
    [
        ("--ar 16:9 on a mat", "--ar", "on a mat"),
        ("--tile please", "--tile", "please"),
        ("--raw style", "--raw", "style"),
        ("--niji 6 anime", "--niji", "anime"),
        ("--fast now", "--fast", "now"),
    ],
)
def test_words_after_a_flag_that_takes_none_are_refused(typed: str, flag: str, text: str) -> None:
    error = refusal(f"a cat {typed}")
    assert (error.code, error.args) == ("prompt.stray_text", {"flag": flag, "text": text})


@pytest.mark.parametrize(
    ("typed", "first", "second", "flag"),
    [
        ("--s 100 --stylize 200", "--s", "--stylize", "--s"),
        ("--ar 1:1 --ar 2:3", "--ar", "--ar", "--ar"),
        ("--w 1 --weird 2", "--w", "--weird", "--weird"),
        ("--raw --style cute", "--raw", "--style", "--style"),
        ("--style raw --raw", "--style", "--raw", "--style"),
        ("--v 6 --version 7", "--v", "--version", "--v"),
        ("--niji --niji 6", "--niji", "--niji", "--niji"),
        ("--no a --no b", "--no", "--no", "--no"),
        ("--fast —fast", "--fast", "--fast", "--fast"),
    ],
)
def test_a_flag_given_twice_counting_aliases(typed: str, first: str, second: str, flag: str) -> None:
    error = refusal(f"a cat {typed}")
    assert (error.code, error.args) == (
        "prompt.duplicate_flag",
        {"flag": flag, "first": first, "second": second},
    )


@pytest.mark.parametrize(
    ("typed", "first", "second"),
    [("--v 6 --niji 6", "--v", "--niji"), ("--niji --version 7", "--niji", "--version")],
)
def test_v_and_niji_together(typed: str, first: str, second: str) -> None:
    error = refusal(f"a cat {typed}")
    assert (error.code, error.args) == ("prompt.version_conflict", {"first": first, "second": second})


def test_conflicting_modes() -> None:
    error = refusal("a cat --fast --ar 1:1 --turbo")
    assert (error.code, error.args) == ("prompt.mode_conflict", {"first": "--fast", "second": "--turbo"})


@pytest.mark.parametrize(("typed", "flag"), [("--r 4", "--r"), ("--repeat 2", "--repeat"), ("—r", "--r")])
def test_repeat_is_refused(typed: str, flag: str) -> None:
    error = refusal(f"a cat {typed}")
    assert (error.code, error.args) == ("prompt.repeat_refused", {"flag": flag})


def test_too_long() -> None:
    parse_prompt("x" * MAX_PROMPT_LENGTH)
    error = refusal("x" * (MAX_PROMPT_LENGTH - 5) + " --tile")
    assert (error.code, error.args) == (
        "prompt.too_long",
        {"length": MAX_PROMPT_LENGTH + 2, "limit": MAX_PROMPT_LENGTH},
    )


def test_long_user_text_in_an_error_is_clipped() -> None:
    error = refusal("a cat --ar 16:9 " + "word " * 100)
    assert len(str(error.args["text"])) == 100
    assert str(error.args["text"]).endswith("…")


def test_error_keeps_its_code_and_args() -> None:
    error = PromptError("prompt.unknown_flag", flag="--foo")
    assert (error.code, error.args, str(error)) == (
        "prompt.unknown_flag",
        {"flag": "--foo"},
        "prompt.unknown_flag",
    )
    copied = pickle.loads(pickle.dumps(error))
    assert (copied.code, copied.args) == ("prompt.unknown_flag", {"flag": "--foo"})


# -- build_prompt -------------------------------------------------------------------------------------

ALL_OPTIONS = PromptParams(
    aspect="16:9",
    version="6.1",
    stylize=250,
    chaos=10,
    weird=100,
    quality=2,
    seed=42,
    no="text",
    tile=True,
    raw=True,
)


def test_options_render_in_a_fixed_order() -> None:
    built = build_prompt("a cat", ALL_OPTIONS)
    assert (
        built.render()
        == "a cat --ar 16:9 --v 6.1 --s 250 --c 10 --weird 100 --q 2 --seed 42 --no text --tile --style raw"
    )


@pytest.mark.parametrize(
    ("version", "param"),
    [
        ("niji 6", ("niji", "6")),
        ("niji6", ("niji", "6")),
        ("Niji", ("niji", None)),
        ("7", ("v", "7")),
        ("v 5.2", ("v", "5.2")),
        ("v6", ("v", "6")),
    ],
)
def test_version_option(version: str, param: tuple[str, str | None]) -> None:
    assert build_prompt("a cat", PromptParams(version=version)).params == (param,)


def test_no_option_keeps_its_words() -> None:
    assert build_prompt("a cat", PromptParams(no="text,  watermark")).render() == "a cat --no text, watermark"


def test_quality_option_renders_canonically() -> None:
    assert build_prompt("a cat", PromptParams(quality=0.25)).render() == "a cat --q .25"
    assert build_prompt("a cat", PromptParams(quality=1.0)).render() == "a cat --q 1"


def test_zero_valued_options_are_given() -> None:
    assert build_prompt("a cat", PromptParams(seed=0, chaos=0)).render() == "a cat --c 0 --seed 0"


@pytest.mark.parametrize(
    ("options", "code", "args"),
    [
        (
            PromptParams(stylize=5000),
            "prompt.out_of_range",
            {"flag": "--s", "value": "5000", "min": 0, "max": 1000},
        ),
        (
            PromptParams(seed=-1),
            "prompt.out_of_range",
            {"flag": "--seed", "value": "-1", "min": 0, "max": 4294967295},
        ),
        (
            PromptParams(weird=3001),
            "prompt.out_of_range",
            {"flag": "--weird", "value": "3001", "min": 0, "max": 3000},
        ),
        (PromptParams(aspect="1:20"), "prompt.bad_aspect", {"flag": "--ar", "value": "1:20"}),
        (PromptParams(aspect="16:9 --tile"), "prompt.stray_text", {"flag": "--ar", "text": "--tile"}),
        (
            PromptParams(quality=3.0),
            "prompt.bad_choice",
            {"flag": "--q", "value": "3.0", "allowed": ".25, .5, 1, 2, 4"},
        ),
        (
            PromptParams(version="9"),
            "prompt.bad_choice",
            {
                "flag": "--v",
                "value": "9",
                "allowed": "1, 2, 3, 4, 5, 5.0, 5.1, 5.2, 6, 6.0, 6.1, 7, 8, 8.0, 8.1, 8.2",
            },
        ),
        (
            PromptParams(version="niji 9"),
            "prompt.bad_choice",
            {"flag": "--niji", "value": "9", "allowed": "4, 5, 6, 7"},
        ),
        (PromptParams(version=" "), "prompt.missing_value", {"flag": "--v"}),
        (PromptParams(no=""), "prompt.missing_value", {"flag": "--no"}),
        (PromptParams(no="text --tile"), "prompt.flag_in_option", {"option": "no", "value": "text --tile"}),
        (PromptParams(no="text —v 5"), "prompt.flag_in_option", {"option": "no", "value": "text —v 5"}),
    ],
)
def test_options_are_validated(options: PromptParams, code: str, args: dict[str, str | int]) -> None:
    error = build_refusal("a cat", options)
    assert (error.code, error.args) == (code, args)


@pytest.mark.parametrize(
    ("prompt", "options", "flag", "option"),
    [
        ("a cat --ar 1:1", PromptParams(aspect="16:9"), "--ar", "aspect"),
        ("a cat --stylize 100", PromptParams(stylize=100), "--stylize", "stylize"),
        ("a cat --niji 6", PromptParams(version="7"), "--niji", "version"),
        ("a cat --v 7", PromptParams(version="niji 6"), "--v", "version"),
        ("a cat --style cute", PromptParams(raw=True), "--style", "raw"),
        ("a cat --w 5", PromptParams(weird=5), "--w", "weird"),
        ("a cat --tile", PromptParams(tile=True), "--tile", "tile"),
        ("a cat --no dogs", PromptParams(no="text"), "--no", "no"),
    ],
)
def test_an_option_repeating_a_prompt_flag_is_refused(
    prompt: str, options: PromptParams, flag: str, option: str
) -> None:
    error = build_refusal(prompt, options)
    assert (error.code, error.args) == ("prompt.option_conflict", {"flag": flag, "option": option})


def test_the_prompt_is_checked_before_the_options() -> None:
    assert build_refusal("--ar 1:1", PromptParams(stylize=5)).code == "prompt.empty"
    assert build_refusal("   ", PromptParams(), suffix="cinematic").code == "prompt.empty"
    assert build_refusal("a cat --r 2", PromptParams()).code == "prompt.repeat_refused"


def test_suffix_text_and_flags_come_after_the_prompt_and_before_the_options() -> None:
    built = build_prompt(
        "a cat --ar 1:1", PromptParams(seed=7), suffix="cinematic lighting --style raw --s 50"
    )
    assert built.text == "a cat cinematic lighting"
    assert built.render() == "a cat cinematic lighting --ar 1:1 --style raw --s 50 --seed 7"


def test_the_prompt_and_the_options_override_the_suffix() -> None:
    built = build_prompt(
        "a cat --ar 1:1 --niji", PromptParams(stylize=300), suffix="--ar 2:3 --v 7 --s 50 --c 5"
    )
    assert built.render() == "a cat --ar 1:1 --niji --c 5 --s 300"


def test_suffix_flags_are_validated() -> None:
    error = build_refusal("a cat", PromptParams(), suffix="--s 5000")
    assert error.code == "prompt.out_of_range"
    assert build_refusal("a cat", PromptParams(), suffix="--s 1 --s 2").code == "prompt.duplicate_flag"
    assert build_refusal("a cat", PromptParams(), suffix="--v 7 --niji").code == "prompt.version_conflict"
    assert build_refusal("a cat", PromptParams(), suffix="--repeat 3").code == "prompt.repeat_refused"


def test_mode_comes_from_the_prompt_then_the_suffix() -> None:
    assert build_prompt("a cat", PromptParams(), suffix="--relax").mode == "RELAX"
    assert build_prompt("a cat --turbo", PromptParams(), suffix="--relax").mode == "TURBO"
    assert build_prompt("a cat", PromptParams()).mode is None
    assert build_refusal("a cat --fast --relax", PromptParams()).code == "prompt.mode_conflict"


def test_defaults_fill_only_what_nothing_else_set() -> None:
    defaults = PromptParams(
        aspect="9:16", version="niji 6", stylize=50, chaos=20, seed=1, raw=True, tile=True
    )
    built = build_prompt(
        "a cat --v 7 --style cute", PromptParams(stylize=300), suffix="--c 5", defaults=defaults
    )
    assert built.render() == "a cat --v 7 --style cute --c 5 --s 300 --ar 9:16 --seed 1 --tile"


def test_defaults_alone_render_in_option_order() -> None:
    built = build_prompt("a cat", PromptParams(), defaults=ALL_OPTIONS)
    assert built.render() == build_prompt("a cat", ALL_OPTIONS).render()


def test_a_default_that_does_not_apply_is_not_validated() -> None:
    built = build_prompt("a cat --s 10", PromptParams(), defaults=PromptParams(stylize=5000))
    assert built.params == (("s", "10"),)
    error = build_refusal("a cat", PromptParams(), defaults=PromptParams(stylize=5000))
    assert error.code == "prompt.out_of_range"


def test_length_counts_the_suffix_and_the_options() -> None:
    text = "x" * (MAX_PROMPT_LENGTH - 20)
    assert len(build_prompt(text, PromptParams()).render()) == MAX_PROMPT_LENGTH - 20
    error = build_refusal(text, PromptParams(aspect="16:9"), suffix="cinematic lighting")
    assert error.code == "prompt.too_long"
    assert error.args == {
        "length": MAX_PROMPT_LENGTH - 20 + len(" cinematic lighting --ar 16:9"),
        "limit": MAX_PROMPT_LENGTH,
    }


def test_length_limit_can_be_lowered() -> None:
    assert build_prompt("a cat", PromptParams(), max_length=5).render() == "a cat"
    error = build_refusal("a cat", PromptParams(tile=True), max_length=10)
    assert error.args == {"length": 12, "limit": 10}


# -- choices and autocomplete -------------------------------------------------------------------------


def test_aspect_choices_all_parse() -> None:
    for aspect in ASPECT_CHOICES:
        assert build_prompt("a cat", PromptParams(aspect=aspect)).params == (("ar", aspect),)


def test_version_choices_all_parse() -> None:
    for version in VERSION_CHOICES:
        assert build_prompt("a cat", PromptParams(version=version)).params


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("6", ["6.1", "6", "niji 6"]),
        ("niji", ["niji 7", "niji 6", "niji 5", "niji 4"]),
        ("NIJI6", ["niji 6"]),
        ("v5", ["5.2", "5.1", "5", "niji 5"]),
        ("--v 7", ["7", "niji 7"]),
        ("8", ["8.1", "8.2", "8"]),
        ("9", []),
    ],
)
def test_version_suggestions(typed: str, expected: list[str]) -> None:
    assert version_suggestions(typed) == expected


def test_version_suggestions_for_nothing_typed_are_every_choice() -> None:
    assert version_suggestions("") == list(VERSION_CHOICES)
    assert len(version_suggestions("")) <= 25


def test_layers_yield_to_everything_stronger() -> None:
    user = Layer("--s 300", PromptParams(aspect="16:9"), mode="FAST")
    channel = Layer("sunlit --ar 1:1 --s 50 --c 10 --relax", PromptParams(aspect="2:3", version="6"))
    built = build_prompt("a cat --c 5", PromptParams(weird=7), layers=[user, channel])
    assert built.render() == "a cat sunlit --c 5 --s 300 --weird 7 --ar 16:9 --v 6"
    assert (built.mode, built.mode_typed) == ("FAST", False), "the user's mode beats the channel suffix's"
    typed = build_prompt("a cat --turbo", PromptParams(), layers=[user, channel])
    assert (typed.mode, typed.mode_typed) == ("TURBO", True)
    from_suffix = build_prompt("a cat", PromptParams(), layers=[Layer(), channel])
    assert (from_suffix.mode, from_suffix.mode_typed) == ("RELAX", False)


def test_refusals_name_options_and_modes_as_the_user_sees_them() -> None:
    conflict = PromptError("prompt.option_conflict", flag="--ar", option="aspect")
    assert "**aspect**" in conflict.message("en-US")
    assert "**宽高比**" in conflict.message("zh-CN")
    assert "**慢速**" in PromptError("prompt.mode_twice", flag="--fast", mode="relax").message("zh-CN")


# -- what Midjourney accepts today: versions, near misses, unknown flags, version rules -----------------


@pytest.mark.parametrize(
    "prompt",
    [
        "a cat --v 8.1 --hd --ar 4:1",
        "a cat --niji 7 --exp 25",
        "a cat --exp 10",
        "a cat --oref https://x.test/o.png --ow 400",
        "a cat --oref https://x.test/o.png --v 7",
        "a cat --oref https://x.test/o.png --v 8.1",
        "a cat --cref https://x.test/c.png --cw 50 --v 6.1",
        "a cat --cref https://x.test/c.png --niji 6",
        "a cat --sref 123 --sv 7 --sw 200",
        "a cat --draft",
        "a cat --draft --v 7",
        "a cat --q 4 --v 7",
        "a cat --q 2 --v 6",
        "a cat --v 3 --s 10000",
        "a cat --weird 250 --niji 5",
        "a cat --tile --v 5",
        "a cat --video --motion high --loop --bs 2",
        "a cat --motion low --end https://x.test/e.png",
        "a cat --style 4b --v 4",
    ],
)
def test_current_midjourney_prompts_are_accepted(prompt: str) -> None:
    assert parse_prompt(prompt).render() == prompt


@pytest.mark.parametrize(
    ("prompt", "code", "args"),
    [
        (
            "a cat --cref https://x.test/c.png",
            "prompt.version_bound_default",
            {"flag": "--cref", "model": "--v 8.1", "needs": "--v 6 / 6.1, --niji 6"},
        ),
        (
            "a cat --cw 50 --v 7",
            "prompt.version_bound",
            {"flag": "--cw", "model": "--v 7", "needs": "--v 6 / 6.1, --niji 6"},
        ),
        (
            "a cat --oref https://x.test/o.png --v 6.1",
            "prompt.version_bound",
            {"flag": "--oref", "model": "--v 6.1", "needs": "--v 7+"},
        ),
        (
            "a cat --ow 100 --niji 7",
            "prompt.version_bound",
            {"flag": "--ow", "model": "--niji 7", "needs": "--v 7+"},
        ),
        (
            "a cat --exp 5 --v 6",
            "prompt.version_bound",
            {"flag": "--exp", "model": "--v 6", "needs": "--v 7+"},
        ),
        (
            "a cat --draft --v 6.1",
            "prompt.version_bound",
            {"flag": "--draft", "model": "--v 6.1", "needs": "--v 7+"},
        ),
        ("a cat --hd --v 7", "prompt.version_bound", {"flag": "--hd", "model": "--v 7", "needs": "--v 8+"}),
        ("a cat --sd --niji", "prompt.version_bound", {"flag": "--sd", "model": "--niji", "needs": "--v 8+"}),
        ("a cat --q 4 --v 6", "prompt.version_bound", {"flag": "--q 4", "model": "--v 6", "needs": "--v 7+"}),
        (
            "a cat --w 10 --v 4",
            "prompt.version_bound",
            {"flag": "--w", "model": "--v 4", "needs": "--v 5+, --niji 5+"},
        ),
        (
            "a cat --tile --v 4",
            "prompt.version_bound",
            {"flag": "--tile", "model": "--v 4", "needs": "--v 1–3, 5+"},
        ),
        (
            "a cat --v 3 --stylize 100",
            "prompt.out_of_range",
            {"flag": "--stylize", "value": "100", "min": 625, "max": 60000},
        ),
        ("a cat --ar 5:1 --hd", "prompt.hd_aspect", {"flag": "--ar", "value": "5:1", "limit": "4:1"}),
        ("a cat --hd --sd", "prompt.duplicate_flag", {"flag": "--hd", "first": "--hd", "second": "--sd"}),
    ],
)
def test_parameters_bound_to_a_model(prompt: str, code: str, args: dict[str, str | int]) -> None:
    error = refusal(prompt)
    assert (error.code, error.args) == (code, args)


def test_a_saved_version_counts_for_the_model_rules() -> None:
    built = build_prompt(
        "a cat --cref https://x.test/c.png", PromptParams(), defaults=PromptParams(version="6.1")
    )
    assert built.render() == "a cat --cref https://x.test/c.png --v 6.1"
    error = build_refusal("a cat --oref https://x.test/o.png", PromptParams(version="niji 6"))
    assert (error.code, error.args["flag"]) == ("prompt.version_bound", "--oref")


@pytest.mark.parametrize(
    ("prompt", "typed", "suggestion"),
    [
        ("a cat --ar16:9", "--ar16:9", "--ar 16:9"),
        ("a cat —v6.1", "--v6.1", "--v 6.1"),
        ("a cat --stop50", "--stop50", "--stop 50"),
        ("a cat --niji6", "--niji6", "--niji 6"),
        ("a cat --stylise 250", "--stylise", "--stylize"),
        ("a cat --asepct 2:3", "--asepct", "--aspect"),
        ("a cat --chaoss 10", "--chaoss", "--chaos"),
        ("a cat —Bar 2", "--Bar", "--ar"),
        ("a cat -ar 16:9", "-ar", "--ar"),
        ("a cat --s 50 -v 6", "-v", "--v"),
        ("a cat –ar 2:3", "–ar", "--ar"),
    ],
)
def test_near_misses_are_refused_with_a_suggestion(prompt: str, typed: str, suggestion: str) -> None:
    error = refusal(prompt)
    assert (error.code, error.args) == ("prompt.did_you_mean", {"typed": typed, "suggestion": suggestion})


def test_an_unknown_flag_far_from_any_known_one_is_sent_as_typed() -> None:
    parsed = parse_prompt("a cat --newthing 5 --ar 1:1 --Sparkle --moodboard a b")
    assert parsed.render() == "a cat --newthing 5 --ar 1:1 --Sparkle --moodboard a b"
    assert parsed.unchecked == ("--newthing", "--Sparkle", "--moodboard")
    assert parse_prompt("a cat --ar 1:1").unchecked == ()
    error = refusal("a cat --newthing 1 --NewThing 2")
    assert (error.code, error.args["second"]) == ("prompt.duplicate_flag", "--NewThing")


def test_zoom_stays_a_custom_zoom_parameter() -> None:
    assert refusal("a cat --zoom 2").code == "prompt.unknown_flag"
    assert parse_prompt("a cat --zoom 2", zoom=True).params == (("zoom", "2"),)


def test_an_operator_vocabulary_adds_versions_and_styles() -> None:
    extra = Vocabulary(versions=("9",), niji_versions=("8",), styles=("Vivid",), default_model="9")
    assert parse_prompt("a cat --v 9 --style vivid", vocabulary=extra).params == (
        ("v", "9"),
        ("style", "vivid"),
    )
    assert parse_prompt("a cat --niji 8", vocabulary=extra).params == (("niji", "8"),)
    assert parse_prompt("a cat --hd", vocabulary=extra).params == (("hd", None),)
    assert refusal("a cat --v 9").code == "prompt.bad_choice"
    assert version_suggestions("9", extra) == ["9"]
    assert (
        build_prompt("a cat", PromptParams(version="niji 8"), vocabulary=extra).render() == "a cat --niji 8"
    )


def test_the_default_model_comes_first_in_the_choices() -> None:
    assert VERSION_CHOICES[:4] == ("8.1", "8.2", "8", "7")
    assert VERSION_CHOICES.index("niji 7") < VERSION_CHOICES.index("niji 6")


def test_the_unchecked_note_names_the_flags() -> None:
    note = PromptError("prompt.unchecked_note", flags="--newthing").message("en-US")
    assert note == "`--newthing` not checked by this bot; sent as typed."


# -- permutations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a {red, green, yellow} bird", ["a red bird", "a green bird", "a yellow bird"]),
        (
            "a {red, green} bird in the {jungle, desert}",
            [
                "a red bird in the jungle",
                "a red bird in the desert",
                "a green bird in the jungle",
                "a green bird in the desert",
            ],
        ),
        (
            "A {sculpture, painting} of a {seagull {on a pier, on a beach}, poodle}.",
            [
                "A sculpture of a seagull on a pier.",
                "A sculpture of a seagull on a beach.",
                "A sculpture of a poodle.",
                "A painting of a seagull on a pier.",
                "A painting of a seagull on a beach.",
                "A painting of a poodle.",
            ],
        ),
        ("a {red, pastel \\, yellow} bird", ["a red bird", "a pastel, yellow bird"]),
        ("a bird --ar {3:2, 1:1}", ["a bird --ar 3:2", "a bird --ar 1:1"]),
        ("a bird --{v 5, niji}", ["a bird --v 5", "a bird --niji"]),
        ("a {lone bird", ["a {lone bird"]),
        ("no groups", ["no groups"]),
    ],
)
def test_permutations_expand_as_midjourney_does(prompt: str, expected: list[str]) -> None:
    assert expand_permutations(prompt) == expected
    assert count_permutations(prompt) == len(expected)


def test_a_permutation_prompt_is_sent_whole_and_counted_as_its_jobs() -> None:
    parsed = parse_prompt("a {red, blue} bird --ar {1:1, 16:9} —s 50")
    assert parsed.render() == "a {red, blue} bird --ar {1:1, 16:9} --s 50"
    assert parsed.jobs == 4
    assert parse_prompt("a cat --{v 6.1, niji 6}").jobs == 2
    assert parse_prompt("a cat").jobs == 1


def test_a_bad_expansion_is_refused_naming_it() -> None:
    error = refusal("a cat --ar {1:1, 1:0}")
    assert (error.code, error.args, error.expansion) == (
        "prompt.bad_aspect",
        {"flag": "--ar", "value": "1:0"},
        "a cat --ar 1:0",
    )
    assert error.message("en-US").startswith("In `a cat --ar 1:0`: `--ar 1:0` is not a valid aspect ratio")
    error = refusal("a cat --{v 6.1, v 7} --cref https://x.test/c.png")
    assert (error.code, error.expansion) == (
        "prompt.version_bound",
        "a cat --v 7 --cref https://x.test/c.png",
    )


def test_more_jobs_than_the_limit_are_refused() -> None:
    forty = "a {" + ", ".join(str(n) for n in range(8)) + "} {a, b, c, d, e} cat"
    assert parse_prompt(forty).jobs == MAX_PERMUTATIONS == 40
    error = refusal(forty.replace("{a,", "{z, a,"))
    assert (error.code, error.args) == ("prompt.too_many_jobs", {"jobs": 48, "limit": 40})
    with pytest.raises(PromptError):
        expand_permutations("{a, b} {c, d}", limit=3)


def test_permuted_parameters_still_clash_with_options_and_modes() -> None:
    error = build_refusal("a cat --{v 6.1, niji 6}", PromptParams(version="7"))
    assert (error.code, error.args) == (
        "prompt.option_conflict",
        {"flag": "--{v 6.1, niji 6}", "option": "version"},
    )
    assert refusal("a cat --{fast, relax}").code == "prompt.mode_conflict"
    built = build_prompt("a {red, blue} cat", PromptParams(aspect="2:3"), suffix="--s {50, 100}")
    assert (built.render(), built.jobs) == ("a {red, blue} cat --s {50, 100} --ar 2:3", 4)


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        ("a cat --{", "prompt.unknown_flag"),
        ("a cat --{v 6", "prompt.unknown_flag"),
        ("a cat --ar {1:1", "prompt.bad_aspect"),
    ],
)
def test_unbalanced_braces_are_not_permutations(prompt: str, code: str) -> None:
    assert refusal(prompt).code == code


# -- the corpus: real prompts from public guides, and prompts Midjourney refuses ------------------------

DATA = Path(__file__).parent / "data"
CORPUS = json.loads((DATA / "prompt_corpus.json").read_text(encoding="utf-8"))
REFUSALS = json.loads((DATA / "prompt_refusals.json").read_text(encoding="utf-8"))


def test_the_corpus_is_real_and_sourced() -> None:
    assert len(CORPUS) >= 100
    assert all(entry["prompt"].strip() and entry["source"].startswith("https://") for entry in CORPUS)
    assert all(entry["reason"] and entry["source"].startswith("https://") for entry in REFUSALS)


@pytest.mark.parametrize("entry", CORPUS, ids=lambda entry: entry["prompt"][:40])
def test_every_corpus_prompt_is_accepted(entry: dict[str, str]) -> None:
    parse_prompt(entry["prompt"])


@pytest.mark.parametrize("entry", REFUSALS, ids=lambda entry: entry["prompt"][:40])
def test_every_known_bad_prompt_is_refused(entry: dict[str, str]) -> None:
    with pytest.raises(PromptError):
        parse_prompt(entry["prompt"])
