"""Which word a refusal names as banned: only one it really names, never a word of the sentence around it."""

from __future__ import annotations

import pytest

from bot.mj.banned_words import banned_word_in


@pytest.mark.parametrize(
    ("reason", "word"),
    [
        ("Banned prompt detected: gore", "gore"),
        ("banned word: gore", "gore"),
        ("Banned words: gore, blood", "gore"),
        ("敏感词：gore", "gore"),
        ("可能包含敏感词: gore", "gore"),
        ("The word `gore` is banned", "gore"),
        (
            "[Banned prompt] The word `gore` is banned. Circumventing this filter to violate our rules"
            " may result in your access being revoked.",
            "gore",
        ),
        ('Banned prompt detected: "gore"', "gore"),
        ("The word 'gore' is banned", "gore"),
        ("提示词包含违禁词「血腥」", "血腥"),
        ("Banned prompt detected: “gore”", "gore"),
    ],
)
def test_a_named_word_is_found(reason: str, word: str) -> None:
    assert banned_word_in(reason) == word


@pytest.mark.parametrize(
    "reason",
    [
        "Banned prompt detected",
        "[Banned prompt detected] Sorry! Our AI moderator thinks this prompt is probably against our"
        " community standards.",
        "可能包含敏感词",
        "提示词包含敏感内容",
        "Request cancelled due to output filters",
        "[Invalid parameter] Unrecognized parameter(s): `--foo`",
        "Sorry! We can't process this, it's banned",
        "",
    ],
)
def test_no_word_when_none_is_named(reason: str) -> None:
    assert banned_word_in(reason) is None
