"""The bot's own buttons under an image result: ❤️ (when MJ offers none), 🌱 Seed, ✉️, Split; and the
Previous/Next buttons of a /bookmarks page. Each is a DynamicItem over a job id (or a user and a page),
so it works after a restart; the extras cog registers them and handles their clicks (`bot.extras`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.components import IdFormat, JobButton, PageButton
from bot.mj.buttons import ButtonRoute, route_of
from bot.models import Job, StoredButton

if TYPE_CHECKING:
    from bot.app import MJBot

    Interaction = discord.Interaction[MJBot]

BOOKMARK = IdFormat("mj:fav:{job}")
SEED = IdFormat("mj:seed:{job}")
SEND_TO_ME = IdFormat("mj:send:{job}")
SPLIT = IdFormat("mj:split:{job}")
BOOKMARK_PAGE = IdFormat("mj:favs:{user}:{page}")

ROW_WIDTH = 5
NOT_IMAGES = frozenset({"DESCRIBE", "SHORTEN", "VIDEO", "VIDEO_EXTEND", "UPLOAD"})  # task actions
_GRID_UPSCALE = re.compile(r"MJ::JOB::upsample::(?P<n>[1-4])::")


class ExtrasHandler(Protocol):
    """What these buttons call; implemented by the extras cog."""

    async def bookmark(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...
    async def seed(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...
    async def send_to_me(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...
    async def split(self, interaction: discord.Interaction[MJBot], job_id: int) -> None: ...
    async def bookmark_page(
        self, interaction: discord.Interaction[MJBot], user_id: int, page: int
    ) -> None: ...


class BookmarkButton(JobButton, template=BOOKMARK.template):
    """❤️ where MJ's own is missing: saves the result to the clicker's /bookmarks, or removes it."""

    format, emoji = BOOKMARK, "❤️"

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.extras.bookmark(interaction, self.job_id)


class SeedButton(JobButton, template=SEED.template):
    format, label_key, emoji = SEED, "extras.seed_button", "🌱"

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.extras.seed(interaction, self.job_id)


class SendToMeButton(JobButton, template=SEND_TO_ME.template):
    format, emoji = SEND_TO_ME, "✉️"

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.extras.send_to_me(interaction, self.job_id)


class SplitButton(JobButton, template=SPLIT.template):
    format, label_key, emoji = SPLIT, "extras.split_button", "✂️"

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.extras.split(interaction, self.job_id)


class BookmarkPageButton(PageButton, template=BOOKMARK_PAGE.template):
    """Previous / Next on a /bookmarks page."""

    format = BOOKMARK_PAGE

    async def clicked(self, interaction: Interaction) -> None:  # type: ignore[override]
        await interaction.client.extras.bookmark_page(interaction, self.user_id, self.page)


EXTRA_BUTTONS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    BookmarkButton,
    SeedButton,
    SendToMeButton,
    SplitButton,
    BookmarkPageButton,
)


def shows_image(job: Job) -> bool:
    """A result whose message is an image (not a describe's prompts, a shortened prompt or a video)."""
    return (job.task_action or "").upper() not in NOT_IMAGES


def is_grid(buttons: Sequence[StoredButton]) -> bool:
    """A grid of four images: its buttons hold U1–U4 (imagine, variation, reroll, blend, pan, zoom)."""
    found = {match["n"] for b in buttons if (match := _GRID_UPSCALE.match(b.custom_id))}
    return found == {"1", "2", "3", "4"}


def extra_buttons(job: Job, buttons: Sequence[StoredButton]) -> list[JobButton]:
    """The free buttons for a delivered result, most wanted first."""
    if not shows_image(job):
        return []
    items: list[JobButton] = []
    if not any(route_of(b.custom_id) is ButtonRoute.BOOKMARK for b in buttons):
        items.append(BookmarkButton(job.id, job.locale))  # MJ's own ❤️ keeps its place when it has one
    items += [SeedButton(job.id, job.locale), SendToMeButton(job.id, job.locale)]
    if is_grid(buttons):
        items.append(SplitButton(job.id, job.locale))
    return items


def extra_rows(row_sizes: Sequence[int], count: int, max_rows: int) -> list[int]:
    """The row each of `count` extra buttons goes to: a row of their own below MJ's while one is free,
    else the free places of MJ's rows from the last one up. Those that find no place are left out."""
    if len(row_sizes) < max_rows:
        return [len(row_sizes)] * min(count, ROW_WIDTH)
    free = [(row, ROW_WIDTH - size) for row, size in enumerate(row_sizes[:max_rows])]
    places = [row for row, room in reversed(free) for _ in range(max(room, 0))]
    return places[:count]


def page_buttons_of(message: discord.Message | None) -> list[BookmarkPageButton]:
    """The Previous/Next buttons on a /bookmarks page, so a click that redraws its result keeps them."""
    kept: list[BookmarkPageButton] = []
    for row in message.components if message else []:
        for component in getattr(row, "children", []):
            match = BOOKMARK_PAGE.match(getattr(component, "custom_id", None) or "")
            if match is None:
                continue
            emoji = getattr(component, "emoji", None)
            kept.append(
                BookmarkPageButton(
                    int(match["user"]),
                    int(match["page"]),
                    label=getattr(component, "label", None) or "",
                    emoji=str(emoji) if emoji else "",
                    disabled=bool(getattr(component, "disabled", False)),
                )
            )
    return kept
