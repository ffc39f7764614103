"""Make a finished image fit Discord's upload limit. CPU-bound: call `fit_to_limit` through a thread."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image

log = logging.getLogger(__name__)

DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
SERVED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")  # what the API serves; Pillow parses nothing else
MAX_PIXELS = 120_000_000  # refuses decompression bombs; MJ's largest upscales are far below this
_JPEG_QUALITIES = (92, 85, 75)
_MIN_SIDE = 512


class ImageDoesNotFit(Exception):
    """Even re-encoded and downscaled, the image stays over the limit (`too_large`), or is not an image."""

    def __init__(self, message: str, *, too_large: bool) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True, slots=True)
class FittedImage:
    data: bytes
    filename_ext: str
    reencoded: bool
    size: tuple[int, int]


def fit_to_limit(data: bytes, limit: int, content_type: str = "image/png") -> FittedImage:
    """Return the image as is when it fits; otherwise re-encode as JPEG, then downscale, until it fits."""
    ext = "jpg" if "jpeg" in content_type else "webp" if "webp" in content_type else "png"
    try:
        with Image.open(io.BytesIO(data), formats=SERVED_FORMATS) as probe:
            size = probe.size
            if size[0] * size[1] > MAX_PIXELS:
                raise ImageDoesNotFit(
                    f"the image is too large to process ({size[0]}×{size[1]})", too_large=True
                )
            if len(data) <= limit:
                return FittedImage(data, ext, reencoded=False, size=size)
            image = probe.convert("RGB")
    except (OSError, Image.DecompressionBombError, ValueError) as err:
        raise ImageDoesNotFit("the API sent something that is not a readable image", too_large=False) from err

    while True:
        for quality in _JPEG_QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
            if buffer.tell() <= limit:
                log.info(
                    "Re-encoded a %d-byte image to %d bytes (%s, q%d)",
                    len(data),
                    buffer.tell(),
                    image.size,
                    quality,
                )
                return FittedImage(buffer.getvalue(), "jpg", reencoded=True, size=image.size)
        width, height = image.size
        if min(width, height) <= _MIN_SIDE:
            raise ImageDoesNotFit(
                f"the image stays over the {limit // (1024 * 1024)} MiB upload limit", too_large=True
            )
        image = image.resize((int(width * 0.75), int(height * 0.75)), Image.Resampling.LANCZOS)
