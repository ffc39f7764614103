"""A result's image: downloaded once, fitted to the upload limit of the place it goes to.

The writer and /show share this one sequence. The download is kept while a post is retried, so a
64 MB image is never fetched again and again; fitting it for a smaller place (a DM takes 10 MiB even
when the server is boosted) starts from the original.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field

import discord

from bot.images import DEFAULT_UPLOAD_LIMIT, FittedImage, fit_to_limit
from bot.mj.client import MJClient

MAX_IMAGE_BYTES = 64 * 1024 * 1024  # the largest download accepted from the API


@dataclass(slots=True)
class ResultImage:
    """A task's image as downloaded, and its fitted versions by upload limit."""

    task_id: str
    data: bytes
    content_type: str
    _fitted: dict[int, FittedImage] = field(default_factory=dict)

    @classmethod
    async def download(cls, mj: MJClient, task_id: str) -> ResultImage:
        """Raises MJError (MJImageGone, MJImageTooLarge, transient errors) when it cannot be had."""
        data, content_type = await mj.download_image(task_id, max_bytes=MAX_IMAGE_BYTES)
        return cls(task_id, data, content_type)

    async def fitted(self, limit: int | None) -> FittedImage:
        """The image within `limit` bytes (in a thread). Raises ImageDoesNotFit."""
        limit = limit or DEFAULT_UPLOAD_LIMIT
        if limit not in self._fitted:
            self._fitted[limit] = await asyncio.to_thread(fit_to_limit, self.data, limit, self.content_type)
        return self._fitted[limit]

    async def file(self, limit: int | None) -> discord.File:
        fitted = await self.fitted(limit)
        return discord.File(io.BytesIO(fitted.data), filename=f"{self.task_id}.{fitted.filename_ext}")
