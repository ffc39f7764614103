"""Images for the image-prompt and /blend tests, and reading what the bot answered privately."""

from __future__ import annotations

import base64
import io
import os

from PIL import Image

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.records import FakeInteraction

EPHEMERAL = 64


def picture(size: tuple[int, int] = (64, 48), fmt: str = "PNG", color: str = "teal") -> bytes:
    """A real image: a gradient, so a re-encoded copy is still an image worth its name."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste(Image.new("RGB", (size[0] // 4 or 1, size[1] // 4 or 1), color))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def noisy_png(side: int) -> bytes:
    """A PNG of random pixels: several MiB that no lossless encoder can shrink."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def decode_data_url(url: str) -> tuple[str, bytes]:
    """A data URL's mime type and bytes."""
    head, _, data = url.partition(",")
    assert head.startswith("data:") and head.endswith(";base64"), f"not a base64 data URL: {head[:40]}"
    return head[5:].removesuffix(";base64"), base64.b64decode(data, validate=True)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def private_text(discord: FakeDiscord, interaction: FakeInteraction) -> str | None:
    """What the user was told privately: the first answer, or (after a deferral) a private follow-up."""
    if interaction.callbacks and interaction.callbacks[0][0] == 4:
        _kind, body, _at = interaction.callbacks[0]
        return str(body["data"]["content"]) if int(body["data"].get("flags") or 0) & EPHEMERAL else None
    for message_id in reversed(interaction.followups):
        message = discord.messages[message_id]
        if message.flags & EPHEMERAL and not message.deleted:
            return message.content
    return None
