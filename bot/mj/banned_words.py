"""The banned word a refusal names, read from the API's free text (a FAILURE reason, a code-24 description).

Only a text about a ban can name one, and only in quotes or after a separator; anything else names none.
"""

from __future__ import annotations

import re

# The words that say a prompt was refused for its content; only such a text can name a banned word.
BANNED_TOPIC = re.compile(r"\bbanned\b|敏感|违禁", re.IGNORECASE)
# A word in quotes: "The word `gore` is banned", 'gore', 「gore」. Apostrophes only at word edges.
BANNED_QUOTED = re.compile(
    r"`(?P<tick>[^`\n]{1,40})`|\"(?P<double>[^\"\n]{1,40})\"|“(?P<curly>[^”\n]{1,40})”"
    r"|(?<!\w)'(?P<single>[^'\n]{1,40})'(?!\w)|‘(?P<curly_single>[^’\n]{1,40})’"
    r"|「(?P<corner>[^」\n]{1,40})」|『(?P<white_corner>[^』\n]{1,40})』"
)
# A word after a separator: "Banned prompt detected: gore", "banned word: gore", "敏感词：gore".
BANNED_LISTED = re.compile(
    r"(?:banned (?:prompt|word)s?(?: detected)?|(?:敏感|违禁)词)\s*[:：]\s*(?P<word>[^\s\"'`“”‘’「」『』,.;:!?，。；：！？、]+)",
    re.IGNORECASE,
)


def banned_word_in(reason: str) -> str | None:
    """The word a refusal names as banned ("Banned prompt detected: gore", "The word `gore` is banned").

    None when the text names no word, as in "[Banned prompt detected] Sorry! Our AI moderator thinks…".
    """
    if not BANNED_TOPIC.search(reason):
        return None
    quoted = BANNED_QUOTED.search(reason)
    if quoted:
        word = next(group for group in quoted.groups() if group is not None).strip()
        return word or None
    listed = BANNED_LISTED.search(reason)
    return listed["word"] if listed else None
