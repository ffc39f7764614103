"""The one refusal type of the prompt checks."""

from __future__ import annotations

import discord

from bot.i18n import t

MAX_ARG_CHARS = 100  # user text quoted in an error is clipped so the message stays short


def clip(text: str) -> str:
    """`text` shortened to MAX_ARG_CHARS, with an ellipsis when cut."""
    return text if len(text) <= MAX_ARG_CHARS else text[: MAX_ARG_CHARS - 1] + "…"


class PromptError(Exception):
    """A prompt the bot refuses before anything is paid for.

    `expansion` names the permutation of the prompt that failed, when it was one of several.
    """

    def __init__(self, code: str, **args: str | int) -> None:
        super().__init__(code)
        self.code = code
        self._args = args
        self.expansion: str | None = None

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
        text = t(lang, self.code, **args)
        if self.expansion is not None:
            return t(lang, "prompt.in_expansion", expansion=clip(self.expansion), reason=text)
        return text
