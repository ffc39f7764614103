"""Split: a grid posted as its four images, cut here with Pillow (nothing is asked of the API but the
grid itself), privately to the clicker. MJ numbers them 1 top left, 2 top right, 3 bottom left,
4 bottom right, as U1–U4."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from PIL import Image

from bot.delivery.results import ResultImage
from bot.extras.buttons import is_grid
from bot.i18n import t
from bot.images import (
    DEFAULT_UPLOAD_LIMIT,
    MAX_PIXELS,
    SERVED_FORMATS,
    FittedImage,
    ImageDoesNotFit,
    fit_to_limit,
)
from bot.mj.errors import MJError
from bot.replies import tell

if TYPE_CHECKING:
    from bot.app import MJBot
    from bot.models import Job


def quarters(data: bytes, limit_each: int) -> list[FittedImage]:
    """The grid's four quarters in MJ's order, each a PNG (exact pixels) unless it must shrink to fit
    `limit_each` bytes. CPU-bound: call through a thread. Raises ImageDoesNotFit."""
    try:
        with Image.open(io.BytesIO(data), formats=SERVED_FORMATS) as grid:
            width, height = grid.size
            if width * height > MAX_PIXELS:
                raise ImageDoesNotFit(f"the grid is too large to cut ({width}×{height})", too_large=True)
            half_w, half_h = width // 2, height // 2
            boxes = [(0, 0, half_w, half_h), (half_w, 0, width, half_h)]
            boxes += [(0, half_h, half_w, height), (half_w, half_h, width, height)]
            parts: list[bytes] = []
            for box in boxes:
                buffer = io.BytesIO()
                grid.crop(box).save(buffer, "PNG")
                parts.append(buffer.getvalue())
    except (OSError, Image.DecompressionBombError, ValueError) as err:
        raise ImageDoesNotFit("the grid is not a readable image", too_large=False) from err
    return [fit_to_limit(part, limit_each, "image/png") for part in parts]


async def split(interaction: discord.Interaction[MJBot], job: Job) -> None:
    bot = interaction.client
    if job.task_id is None:
        raise ValueError("a delivered job has a task")
    if not is_grid(await bot.store.buttons_for_job(job.id)):
        await tell(interaction, "extras.not_grid")
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    limit = interaction.filesize_limit or DEFAULT_UPLOAD_LIMIT  # one message carries all four
    try:
        image = await ResultImage.download(bot.mj, job.task_id)
        parts = await asyncio.to_thread(quarters, image.data, limit // 4)
    except (MJError, ImageDoesNotFit):
        await tell(interaction, "extras.image_gone", job=job.id)
        return
    files = [
        discord.File(io.BytesIO(part.data), filename=f"{job.task_id}_{number}.{part.filename_ext}")
        for number, part in enumerate(parts, start=1)
    ]
    text = t(interaction.locale, "extras.split_done", job=job.id)
    await interaction.followup.send(text, files=files, ephemeral=True)
