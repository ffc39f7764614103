"""Images a user gives the bot (image prompts, references, a blend's images): checked with Pillow and
made small enough to send, as data URLs. Pure and CPU-bound: call `prepare_image` through a thread."""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass

from PIL import Image

from bot.images import MAX_PIXELS

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")  # what Midjourney takes as an image prompt
KEPT_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}  # a GIF becomes a PNG
# Why these caps: a blend sends up to five images in one JSON body, base64 adds a third, and trueai's
# Kestrel refuses bodies over ~28.6 MiB unless its operator raised KESTREL_MAX_REQUEST_BODY_SIZE
# (trueai Program.cs); the images are also kept in SQLite until the job is pruned. Midjourney reads an
# image prompt at far less than 2048 px, so 2 MiB and 2048 px on the longest side lose nothing it uses.
MAX_SIDE = 2048
MAX_BYTES = 2 * 1024 * 1024
MAX_DOWNLOAD = 25 * 1024 * 1024  # an attachment larger than this is refused before it is read
_JPEG_QUALITIES = (90, 80, 70)
_MIN_SIDE = 256


class ImageRefused(Exception):
    """Not an image the bot can send: `code` is the message key (`images.<code>`), `args` fill it."""

    def __init__(self, code: str, **args: str | int) -> None:
        super().__init__(code)
        self.code = code
        self.values = args


@dataclass(frozen=True, slots=True)
class PreparedImage:
    data_url: str
    size: tuple[int, int]
    reencoded: bool


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def prepare_image(data: bytes) -> PreparedImage:
    """The image as a data URL: as it came when it is a PNG, JPEG or WebP within the caps; otherwise the
    first frame, downscaled to MAX_SIDE and re-encoded (PNG when it has transparency, else JPEG) until it
    fits MAX_BYTES. Raise ImageRefused for anything Pillow cannot read as one of ACCEPTED_FORMATS."""
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRefused("too_many_pixels", width=width, height=height)
            image.load()  # a truncated or corrupt file fails here, not upstream
            fmt = image.format or ""
            if fmt in KEPT_AS_IS and max(width, height) <= MAX_SIDE and len(data) <= MAX_BYTES:
                return PreparedImage(data_url(KEPT_AS_IS[fmt], data), (width, height), reencoded=False)
            frame = _first_frame(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise ImageRefused("not_an_image") from err
    return _shrink(frame, len(data))


def _first_frame(image: Image.Image) -> Image.Image:
    """The first frame, in RGBA when it has any transparency, else RGB."""
    image.seek(0)
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def _shrink(image: Image.Image, original_bytes: int) -> PreparedImage:
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    while True:
        encoded = _encode(image)
        if encoded is not None:
            mime, data = encoded
            log.info("Re-encoded a %d-byte image to %d bytes (%s)", original_bytes, len(data), image.size)
            return PreparedImage(data_url(mime, data), image.size, reencoded=True)
        width, height = image.size
        if min(width, height) <= _MIN_SIDE:
            raise ImageRefused("too_large_to_send", mib=MAX_BYTES // (1024 * 1024))
        image = image.resize((int(width * 0.75), int(height * 0.75)), Image.Resampling.LANCZOS)


def _encode(image: Image.Image) -> tuple[str, bytes] | None:
    """The image within MAX_BYTES: PNG keeps transparency, JPEG at falling qualities otherwise."""
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "PNG", optimize=True)
        return ("image/png", buffer.getvalue()) if buffer.tell() <= MAX_BYTES else None
    for quality in _JPEG_QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() <= MAX_BYTES:
            return "image/jpeg", buffer.getvalue()
    return None
