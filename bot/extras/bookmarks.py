"""❤️ and /bookmarks: a user's saved results, paged one result at a time with its live buttons.

Kept by the bot (the relay refuses MJ::BOOKMARK, see bot/mj/buttons.py). A saved job outlives
RETENTION_DAYS until its last bookmark is removed (storage/jobs.py prune_finished).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.delivery.results import ResultImage
from bot.extras.buttons import BookmarkPageButton
from bot.i18n import t
from bot.images import ImageDoesNotFit
from bot.mj.errors import MJError
from bot.replies import tell
from bot.views import result_view

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job

    Interaction = discord.Interaction[MJBot]


async def toggle(interaction: Interaction, job: Job) -> None:
    """Save the result to the clicker's bookmarks, or remove it; answered privately."""
    saved = await interaction.client.store.toggle_bookmark(interaction.user.id, job.id)
    await tell(interaction, "extras.bookmarked" if saved else "extras.unbookmarked", job=job.id)


@dataclass(slots=True)
class BookmarkPage:
    """One saved result as a message: its text, its image (None when the API lost it), its buttons."""

    content: str
    file: discord.File | None
    view: discord.ui.View | None


async def page(interaction: Interaction, page_number: int) -> BookmarkPage | None:
    """The user's bookmark `page_number` (clamped), or None when they have none. Downloads the image."""
    bot, lang, user_id = interaction.client, str(interaction.locale), interaction.user.id
    total = await bot.store.count_bookmarks(user_id)
    if total == 0:
        return None
    page_number = min(max(page_number, 0), total - 1)
    found = await bot.store.bookmarked_jobs(user_id, limit=1, offset=page_number)
    if not found:  # removed meanwhile (another ❤️ click)
        return None
    job = found[0]
    header = t(lang, "bookmarks.page", page=page_number + 1, pages=total, job=job.id)
    file: discord.File | None = None
    if job.task_id is not None:
        try:
            image = await ResultImage.download(bot.mj, job.task_id)
            file = await image.file(interaction.filesize_limit)
        except (MJError, ImageDoesNotFit):
            file = None
    if file is None:
        header += "\n" + t(lang, "bookmarks.image_gone")
    content = render.job_content(job, render.CONTENT_LIMIT - len(header) - 1)
    nav = [
        BookmarkPageButton(
            user_id, max(page_number - 1, 0), label=t(lang, "button.previous"), emoji="◀️",
            disabled=page_number == 0,
        ),
        BookmarkPageButton(
            user_id, page_number + 1, label=t(lang, "button.next"), emoji="▶️",
            disabled=page_number >= total - 1,
        ),
    ]  # fmt: skip
    buttons = await bot.store.buttons_for_job(job.id)
    return BookmarkPage(f"{header}\n{content}", file, result_view(job, buttons, page_row=nav))
