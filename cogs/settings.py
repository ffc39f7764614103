"""/settings: an ephemeral panel of selects and buttons for a user's or a channel's defaults."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.components import BotItem, IdFormat
from bot.i18n import L, t
from bot.models import BotType, Defaults, Mode
from bot.prompt_params import ASPECT_CHOICES, VERSION_CHOICES, PromptError, parse_prompt
from bot.replies import answer_privately, tell
from bot.views import prompt_modal

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.storage.preferences import Scope

    Interaction = discord.Interaction[MJBot]

SELECT = IdFormat("mj:set:{scope:u|c}{id}:{field:mode|bot|aspect|version}")
BUTTON = IdFormat("mj:set:{scope:u|c}{id}:{action:suffix|dm|reset|switch}")
SUFFIX_WINDOW = IdFormat("mj:modal:suffix:{scope:u|c}{id}")
CLEAR = "-"
SELECTS: dict[str, list[str]] = {
    "mode": [m.value for m in Mode],
    "bot": [b.value for b in BotType],
    "aspect": list(ASPECT_CHOICES),
    "version": list(VERSION_CHOICES)[:24],
}


def _scope(code: str) -> Scope:
    return "user" if code == "u" else "channel"


def _value_label(lang: str, field: str, value: str) -> str:
    if field == "mode":
        return t(lang, f"choice.{value.lower()}")
    if field == "bot":
        return t(lang, "choice.niji" if value == BotType.NIJI_JOURNEY else "choice.midjourney")
    return value


def _current(defaults: Defaults, field: str) -> str | None:
    value = {"mode": defaults.mode, "bot": defaults.bot_type, "aspect": defaults.aspect}.get(field)
    return str(value) if value else (defaults.version if field == "version" else None)


def _with(defaults: Defaults, field: str, value: str | None) -> Defaults:
    match field:
        case "mode":
            return replace(defaults, mode=Mode(value) if value else None)
        case "bot":
            return replace(defaults, bot_type=BotType(value) if value else None)
        case "aspect":
            return replace(defaults, aspect=value)
        case _:
            return replace(defaults, version=value)


def _cog(interaction: Interaction) -> Settings:
    cog = interaction.client.get_cog("Settings")
    if not isinstance(cog, Settings):
        raise RuntimeError("the settings cog is not loaded")
    return cog


class SettingSelect(BotItem[discord.ui.Select[Any]], template=SELECT.template):
    def __init__(
        self, scope: str, scope_id: int, field: str, *, lang: str = "en-US", current: str | None = None
    ):
        options = [
            discord.SelectOption(label=t(lang, "settings.clear"), value=CLEAR, default=current is None)
        ]
        options += [
            discord.SelectOption(label=_value_label(lang, field, v), value=v, default=v == current)
            for v in SELECTS[field]
        ]
        placeholder = t(lang, f"settings.pick_{field}")
        custom_id = SELECT.build(scope=scope, id=scope_id, field=field)
        super().__init__(discord.ui.Select(custom_id=custom_id, placeholder=placeholder, options=options))
        self.scope, self.scope_id, self.field = scope, scope_id, field

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["scope"], int(match["id"]), match["field"])

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        data: dict[str, Any] = dict(interaction.data or {})
        values = [str(v) for v in data.get("values") or []]
        value = values[0] if values and values[0] != CLEAR else None
        await _cog(interaction).update(
            interaction, self.scope, self.scope_id, lambda d: _with(d, self.field, value)
        )


class SettingButton(BotItem[discord.ui.Button[Any]], template=BUTTON.template):
    def __init__(self, scope: str, scope_id: int, action: str, *, label: str = "", primary: bool = False):
        style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
        custom_id = BUTTON.build(scope=scope, id=scope_id, action=action)
        super().__init__(discord.ui.Button(custom_id=custom_id, label=label or action, style=style, row=4))
        self.scope, self.scope_id, self.action = scope, scope_id, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["scope"], int(match["id"]), match["action"])

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await _cog(interaction).button(interaction, self.scope, self.scope_id, self.action)


class Settings(commands.Cog):
    def __init__(self, bot: MJBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SettingSelect, SettingButton)
        self.bot.windows.add(SUFFIX_WINDOW, self.suffix_submitted)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SettingSelect, SettingButton)
        self.bot.windows.remove(SUFFIX_WINDOW)

    @app_commands.command(name=L("cmd.settings.name"), description=L("cmd.settings.desc"))
    @app_commands.guild_only()
    async def settings(self, interaction: Interaction) -> None:
        embed, view = await self.panel(interaction, "u", interaction.user.id)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    # -- the panel ----------------------------------------------------------------------------------

    def _may_manage_channel(self, interaction: Interaction) -> bool:
        return interaction.guild_id is not None and interaction.permissions.manage_channels

    async def panel(
        self, interaction: Interaction, scope: str, scope_id: int
    ) -> tuple[discord.Embed, discord.ui.View]:
        lang = str(interaction.locale)
        defaults = await self.bot.store.get_defaults(_scope(scope), scope_id)
        intro = t(lang, "settings.intro")
        if scope == "u":
            title = t(lang, "settings.title_user")
        else:  # a mention shows as a link in a description only, not in a title
            title = t(lang, "settings.title_channel")
            intro = f"<#{scope_id}>\n{intro}"
        unset = t(lang, "settings.unset")
        embed = discord.Embed(title=title, description=intro)
        for field, key in (("mode", "mode"), ("bot", "bot"), ("aspect", "aspect"), ("version", "version")):
            current = _current(defaults, field)
            embed.add_field(
                name=t(lang, f"settings.{key}"),
                value=_value_label(lang, field, current) if current else unset,
            )
        embed.add_field(
            name=t(lang, "settings.suffix"), value=f"`{defaults.suffix}`" if defaults.suffix else unset
        )
        where = unset if defaults.dm is None else t(lang, "settings.dm" if defaults.dm else "settings.public")
        embed.add_field(name=t(lang, "settings.delivery"), value=where)
        view = discord.ui.View(timeout=None)
        for field in SELECTS:
            view.add_item(SettingSelect(scope, scope_id, field, lang=lang, current=_current(defaults, field)))
        view.add_item(SettingButton(scope, scope_id, "suffix", label=t(lang, "settings.button_suffix")))
        view.add_item(
            SettingButton(scope, scope_id, "dm", label=t(lang, "settings.button_delivery", where=where))
        )
        view.add_item(SettingButton(scope, scope_id, "reset", label=t(lang, "settings.button_reset")))
        if scope == "c":
            user_id = interaction.user.id
            view.add_item(
                SettingButton("u", user_id, "switch", label=t(lang, "settings.button_user"), primary=True)
            )
        elif self._may_manage_channel(interaction) and interaction.channel_id is not None:
            label = t(lang, "settings.button_channel")
            view.add_item(SettingButton("c", interaction.channel_id, "switch", label=label, primary=True))
        return embed, view

    async def _allowed(self, interaction: Interaction, scope: str, scope_id: int) -> bool:
        if scope == "u" and scope_id != interaction.user.id:
            await tell(interaction, "settings.not_yours")
            return False
        if scope == "c" and (scope_id != interaction.channel_id or not self._may_manage_channel(interaction)):
            await tell(interaction, "settings.no_manage")
            return False
        return True

    async def update(self, interaction: Interaction, scope: str, scope_id: int, change: Any) -> None:
        if not await self._allowed(interaction, scope, scope_id):
            return
        await self.bot.store.update_defaults(_scope(scope), scope_id, change)
        embed, view = await self.panel(interaction, scope, scope_id)
        await interaction.response.edit_message(embed=embed, view=view)

    async def button(self, interaction: Interaction, scope: str, scope_id: int, action: str) -> None:
        if action == "switch":
            if not await self._allowed(interaction, scope, scope_id):
                return
            embed, view = await self.panel(interaction, scope, scope_id)
            await interaction.response.edit_message(embed=embed, view=view)
        elif action == "dm":
            # not set → by DM → in the channel → not set: "not set" follows the channel's choice
            cycle: dict[bool | None, bool | None] = {None: True, True: False, False: None}
            await self.update(interaction, scope, scope_id, lambda d: replace(d, dm=cycle[d.dm]))
        elif action == "reset":
            await self.update(interaction, scope, scope_id, lambda d: Defaults())
        elif await self._allowed(interaction, scope, scope_id):
            defaults = await self.bot.store.get_defaults(_scope(scope), scope_id)
            lang = interaction.locale
            modal = prompt_modal(
                SUFFIX_WINDOW.build(scope=scope, id=scope_id),
                title=t(lang, "settings.suffix"),
                label=t(lang, "settings.suffix_label"),
                value=defaults.suffix or "",
                max_length=500,
            )
            await interaction.response.send_modal(modal)

    async def suffix_submitted(self, interaction: Interaction, match: re.Match[str], text: str) -> None:
        suffix = text or None
        if suffix is not None:
            try:
                # Its parameters must be valid on their own.
                parse_prompt(f"x {suffix}", vocabulary=self.bot.settings.vocabulary)
            except PromptError as err:
                await answer_privately(interaction, err.message(interaction.locale))
                return
        await self.update(interaction, match["scope"], int(match["id"]), lambda d: replace(d, suffix=suffix))


async def setup(bot: MJBot) -> None:
    await bot.add_cog(Settings(bot))
