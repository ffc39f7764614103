"""Every user-facing text, by key, in en-US and zh-CN; other locales read English.

`t(locale, key, **args)` formats a message; `L(key)` is a `locale_str` for command names, descriptions
and choices, which `Translator` turns into zh-CN when discord.py syncs the commands.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.i18n.en_US import MESSAGES as EN
from bot.i18n.zh_CN import MESSAGES as ZH

DEFAULT_LOCALE = "en-US"
CATALOGS: dict[str, dict[str, str]] = {"en-US": EN, "zh-CN": ZH}


def locale_of(value: object) -> str:
    """Our catalog for a Discord locale ("zh-CN" → zh-CN; anything else → en-US)."""
    text = str(value.value if isinstance(value, discord.Locale) else value or "")
    return text if text in CATALOGS else DEFAULT_LOCALE


def t(locale: str | discord.Locale | None, key: str, /, **args: Any) -> str:
    """The message `key` in `locale`, falling back to English; `args` fill its `{placeholders}`."""
    template = CATALOGS[locale_of(locale)].get(key) or EN[key]
    return template.format(**args) if args else template


def L(key: str) -> app_commands.locale_str:
    """A command-metadata string: English here, translated at sync by `Translator`."""
    return app_commands.locale_str(EN[key], key=key)


class Translator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if key is None or locale_of(locale) == DEFAULT_LOCALE:
            return None
        return CATALOGS[locale_of(locale)].get(key)
