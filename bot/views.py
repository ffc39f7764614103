"""Discord components for job messages: DynamicItem buttons that point at database rows.

Each `custom_id` is short (`mj:b:<button row>`, `mj:check:<job>`, `mj:retry:<job>`), so it never passes
Discord's 100-character limit and a click works after a restart: everything else comes from the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import discord

from bot import render
from bot.models import Job, JobStatus, StoredButton

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mj:b:(?P<id>[0-9]{1,18})"):
    """One of MJ's buttons (U1, V3, 🔄, Zoom Out …) on a delivered result."""

    def __init__(
        self, button_id: int, *, label: str | None = None, emoji: str | None = None, used: bool = False
    ):
        style = discord.ButtonStyle.success if used else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(custom_id=f"mj:b:{button_id}", label=label, emoji=emoji, style=style)
        )
        self.button_id = button_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]))

    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.clicks.action(interaction, self.button_id)


class CheckAgainButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mj:check:(?P<job>[0-9]{1,18})"
):
    """Shown on a job that seems stuck: polls its task now."""

    def __init__(self, job_id: int) -> None:
        super().__init__(discord.ui.Button(custom_id=f"mj:check:{job_id}", label="Check again", emoji="🔎"))
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["job"]))

    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.clicks.check_again(interaction, self.job_id)


class RetryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mj:retry:(?P<job>[0-9]{1,18})"):
    """Shown when the bot cannot know whether a submit reached the API: the user decides to submit again."""

    def __init__(self, job_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                custom_id=f"mj:retry:{job_id}", label="Retry", emoji="🔁", style=discord.ButtonStyle.primary
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["job"]))

    async def callback(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.clicks.retry(interaction, self.job_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ActionButton, CheckAgainButton, RetryButton)


def result_view(job: Job, buttons: Sequence[StoredButton]) -> discord.ui.View | None:
    """MJ's buttons for a delivered result, in MJ's layout; used ones are green."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    rows = render.layout_rows([b.custom_id for b in buttons], job.task_action)
    for row_number, row in enumerate(rows):
        for index in row:
            button = buttons[index]
            face = render.button_face(button.label, button.emoji)
            item = ActionButton(button.id, label=face.label, emoji=face.emoji, used=button.used)
            item.item.row = row_number
            view.add_item(item)
    return view


def job_view(job: Job, buttons: Sequence[StoredButton]) -> discord.ui.View | None:
    """The components a job's message carries in its current state."""
    if job.status is JobStatus.DONE:
        return result_view(job, buttons)
    if job.status is JobStatus.STUCK:
        return discord.ui.View(timeout=None).add_item(CheckAgainButton(job.id))
    if job.status is JobStatus.UNCERTAIN:
        return discord.ui.View(timeout=None).add_item(RetryButton(job.id))
    return None
