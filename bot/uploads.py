"""An image a user gives the bot (a /describe attachment) → a data URL the API takes (trueai reads
`data:<mime>;base64,…`, SubmitDescribeDTO.base64). Large images are re-encoded, so a submit body stays small."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from typing import Any

import discord
from PIL import Image

from bot.images import MAX_PIXELS, SERVED_FORMATS

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # read from Discord at most
MAX_SENT_BYTES = 4 * 1024 * 1024  # larger images are re-encoded as JPEG
MAX_SIDE = 2048  # and scaled down to this
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
_LINK = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)


class ImageRejected(Exception):
    """The user's image cannot be used; `key` and `args` are the message that says why."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.details = args


def is_web_link(text: str) -> bool:
    return bool(_LINK.match(text))


async def read_attachment(attachment: discord.Attachment) -> str:
    """The attachment as a data URL. Raises ImageRejected (too large, not an image, unreadable)."""
    if attachment.size > MAX_ATTACHMENT_BYTES:
        raise ImageRejected("describe.too_large", mib=MAX_ATTACHMENT_BYTES // 2**20)
    try:
        data = await attachment.read()
    except (discord.HTTPException, discord.NotFound) as err:
        raise ImageRejected("describe.unreadable") from err
    return await asyncio.to_thread(to_data_url, data)


def to_data_url(data: bytes) -> str:
    """A readable PNG, JPEG, WebP or GIF as a data URL; re-encoded as JPEG when very large."""
    try:
        with Image.open(io.BytesIO(data), formats=SERVED_FORMATS) as image:
            if image.size[0] * image.size[1] > MAX_PIXELS:
                raise ImageRejected("describe.too_large", mib=MAX_SENT_BYTES // 2**20)
            image.load()  # a truncated or corrupt file fails here, not at the API
            mime = _MIME[image.format or "PNG"]
            if len(data) <= MAX_SENT_BYTES and max(image.size) <= MAX_SIDE * 2:
                return _data_url(mime, data)
            smaller = image.convert("RGB")
    except (OSError, Image.DecompressionBombError, ValueError, KeyError) as err:
        raise ImageRejected("describe.not_image") from err
    smaller.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    smaller.save(buffer, "JPEG", quality=90, optimize=True)
    return _data_url("image/jpeg", buffer.getvalue())


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
