"""Buttons, selects and windows (modals), handled the way slash commands are.

- Each custom_id format is written once (`IdFormat`): it builds the ids and is the DynamicItem's template.
- Windows are routed by one router; cogs add their formats on load and remove them on unload.
- One error handler: a bug in a click or a window shows the user a short apology, not Discord's
  "This interaction failed".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Self, TypeVar

import discord

from bot.i18n import t

log = logging.getLogger(__name__)

_FIELD = re.compile(r"\{(?P<name>[a-z_]+)(?::(?P<choices>[a-z|]+))?\}")
DIGITS = "[0-9]{1,20}"

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])
WindowHandler = Callable[[discord.Interaction[Any], re.Match[str], str], Awaitable[None]]


class IdFormat:
    """A custom_id format: "mj:b:{id}" (digits), "mj:perm:{id}:{go:go|no}" (one of the words)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        parts: list[str] = []
        position = 0
        for field in _FIELD.finditer(pattern):
            parts.append(re.escape(pattern[position : field.start()]))
            parts.append(f"(?P<{field['name']}>{field['choices'] or DIGITS})")
            position = field.end()
        parts.append(re.escape(pattern[position:]))
        self.template = "".join(parts)
        self.regex = re.compile(self.template)

    def build(self, **values: object) -> str:
        custom_id = _FIELD.sub(lambda field: str(values[field["name"]]), self.pattern)
        if not self.regex.fullmatch(custom_id) or len(custom_id) > 100:
            raise ValueError(f"{custom_id!r} is not a valid {self.pattern!r}")
        return custom_id

    def match(self, custom_id: str) -> re.Match[str] | None:
        return self.regex.fullmatch(custom_id)


async def apologize(interaction: discord.Interaction[Any], error: BaseException, what: str) -> None:
    """Log a failed click or window, and tell the user briefly (privately)."""
    log.error("%s %r failed", what, dict(interaction.data or {}).get("custom_id"), exc_info=error)
    message = t(interaction.locale, "error.generic")
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not tell the user that their %s failed", what)


ABSTRACT = r"(?!)"  # the template of a base class: it matches no custom_id


class BotItem(discord.ui.DynamicItem[ItemT], Generic[ItemT], template=ABSTRACT):
    """A DynamicItem whose errors reach the one error handler; subclasses implement `clicked`."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.clicked(interaction)
        except Exception as err:
            await apologize(interaction, err, type(self).__name__)

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class JobButton(BotItem[discord.ui.Button[Any]], template=ABSTRACT):
    """A button about one job; subclasses give the id format, the face and what a click does."""

    format: IdFormat
    label_key = ""
    emoji = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, job_id: int, locale: str | None = None) -> None:
        label = t(locale, self.label_key) if self.label_key else None
        custom_id = self.format.build(job=job_id)
        super().__init__(
            discord.ui.Button(custom_id=custom_id, label=label, emoji=self.emoji, style=self.style)
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["job"]))


class PageButton(BotItem[discord.ui.Button[Any]], template=ABSTRACT):
    """Previous / Next on one user's paged panel; subclasses give the id format and what a click shows."""

    format: IdFormat

    def __init__(self, user_id: int, page: int, *, label: str = "", emoji: str = "", disabled: bool = False):
        custom_id = self.format.build(user=user_id, page=page)
        button: discord.ui.Button[Any] = discord.ui.Button(
            custom_id=custom_id, label=label or None, emoji=emoji or None, disabled=disabled
        )
        super().__init__(button)
        self.user_id, self.page = user_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["user"]), int(match["page"]))


class WindowRouter:
    """Submitted windows (modals) by custom_id format; a cog adds its formats on load, removes them on unload."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[IdFormat, WindowHandler]] = {}

    def add(self, format_: IdFormat, handler: WindowHandler) -> None:
        self._handlers[format_.pattern] = (format_, handler)

    def remove(self, format_: IdFormat) -> None:
        self._handlers.pop(format_.pattern, None)

    async def route(self, interaction: discord.Interaction[Any], text: str) -> bool:
        """Hand a submitted window to its handler; False when no format matches it."""
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        for format_, handler in self._handlers.values():
            if (match := format_.match(custom_id)) is not None:
                try:
                    await handler(interaction, match, text)
                except Exception as err:
                    await apologize(interaction, err, "window")
                return True
        return False
