"""Discord components for job messages: DynamicItem buttons that point at database rows.

Each `custom_id` is short (`mj:b:<button row>`, `mj:check:<job>`, `mj:retry:<job>`), so it never passes
Discord's 100-character limit and a click works after a restart: everything else comes from the database.
The actions cog registers these buttons (JOB_BUTTONS) and handles their clicks (`bot.clicks`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import discord

from bot import render
from bot.components import BotItem, IdFormat, JobButton
from bot.extras.buttons import extra_buttons, extra_rows
from bot.models import Job, JobStatus, StoredButton

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]


RESULT_BUTTON = IdFormat("mj:b:{id}")
CHECK_AGAIN = IdFormat("mj:check:{job}")
RETRY = IdFormat("mj:retry:{job}")
EDIT_PROMPT = IdFormat("mj:prompt:{job}")


class ActionButton(BotItem[discord.ui.Button[Any]], template=RESULT_BUTTON.template):
    """One of MJ's buttons (U1, V3, 🔄, Zoom Out …) on a delivered result."""

    def __init__(
        self, button_id: int, *, label: str | None = None, emoji: str | None = None, used: bool = False
    ):
        style = discord.ButtonStyle.success if used else discord.ButtonStyle.secondary
        custom_id = RESULT_BUTTON.build(id=button_id)
        super().__init__(discord.ui.Button(custom_id=custom_id, label=label, emoji=emoji, style=style))
        self.button_id = button_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["id"]))

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.clicks.action(interaction, self.button_id)


class CheckAgainButton(JobButton, template=CHECK_AGAIN.template):
    """Shown on a job that seems stuck: polls its task now."""

    format, label_key, emoji = CHECK_AGAIN, "button.check_again", "🔎"

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.clicks.check_again(interaction, self.job_id)


class RetryButton(JobButton, template=RETRY.template):
    """Shown when the bot cannot know whether a submit reached the API: the user decides to submit again."""

    format, label_key, emoji, style = RETRY, "button.retry", "🔁", discord.ButtonStyle.primary

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.clicks.retry(interaction, self.job_id)


class EditPromptButton(JobButton, template=EDIT_PROMPT.template):
    """Opens a window with the job's prompt: for Remix / Custom Zoom, or to fix a rejected prompt."""

    format, label_key, emoji, style = EDIT_PROMPT, "button.edit_prompt", "✏️", discord.ButtonStyle.primary

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.clicks.edit_prompt(interaction, self.job_id)


JOB_BUTTONS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ActionButton,
    CheckAgainButton,
    RetryButton,
    EditPromptButton,
)


def result_view(
    job: Job, buttons: Sequence[StoredButton], *, page_row: Sequence[discord.ui.Item[Any]] = ()
) -> discord.ui.View | None:
    """MJ's buttons for a delivered result, in MJ's layout (used ones are green), then the bot's free
    ones (❤️ 🌱 ✉️ Split); `page_row` (a /bookmarks page's Previous/Next) takes the last row."""
    extras = extra_buttons(job, buttons)
    if not buttons and not extras and not page_row:
        return None
    view = discord.ui.View(timeout=None)
    max_rows = render.MAX_ROWS - (1 if page_row else 0)
    rows = render.layout_rows([b.custom_id for b in buttons], job.task_action)[:max_rows]
    for row_number, row in enumerate(rows):
        for index in row:
            button = buttons[index]
            face = render.button_face(button.label, button.emoji)
            item = ActionButton(button.id, label=face.label, emoji=face.emoji, used=button.used)
            item.item.row = row_number
            view.add_item(item)
    places = extra_rows([len(r) for r in rows], len(extras), max_rows)
    for extra, row_number in zip(extras, places, strict=False):  # extras with no place are left out
        extra.item.row = row_number
        view.add_item(extra)
    for page_item in page_row:
        page_item.row = render.MAX_ROWS - 1
        view.add_item(page_item)
    return view


def job_view(job: Job, buttons: Sequence[StoredButton]) -> discord.ui.View | None:
    """The components a job's message carries in its current state."""
    if job.status is JobStatus.DONE:
        return result_view(job, buttons)
    if job.status is JobStatus.STUCK:
        return discord.ui.View(timeout=None).add_item(CheckAgainButton(job.id, job.locale))
    if job.status is JobStatus.UNCERTAIN:
        return discord.ui.View(timeout=None).add_item(RetryButton(job.id, job.locale))
    if job.status is JobStatus.WAITING_INPUT or can_edit_rejected(job):
        return discord.ui.View(timeout=None).add_item(EditPromptButton(job.id, job.locale))
    return None


def can_edit_rejected(job: Job) -> bool:
    """A refused /imagine prompt (code 24, or a FAILURE naming a banned word) may be edited and resubmitted."""
    refused = job.status is JobStatus.REJECTED or (
        job.status is JobStatus.FAILED and job.banned_word is not None
    )
    return refused and not job.is_action


def prompt_modal(
    custom_id: str, *, title: str, label: str, value: str, max_length: int = 4000
) -> discord.ui.Modal:
    """A one-field window. It is stopped before it is sent, so discord.py keeps no copy of it in memory:
    its submission reaches the bot's window router by custom_id, and works after a restart too."""
    modal = discord.ui.Modal(title=title[:45], custom_id=custom_id, timeout=None)
    modal.add_item(
        discord.ui.TextInput(
            label=label[:45],
            custom_id="text",
            style=discord.TextStyle.paragraph,
            default=value[:max_length] or None,
            max_length=max_length,
            required=False,
        )
    )
    modal.stop()
    return modal


def modal_text(interaction: discord.Interaction[Any]) -> str:
    """The text of a submitted `prompt_modal`."""
    data: dict[str, Any] = dict(interaction.data or {})
    for row in data.get("components", []):
        for component in row.get("components", []):
            if component.get("custom_id") == "text":
                return str(component.get("value") or "").strip()
    return ""
