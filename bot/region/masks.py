"""Vary (Region) masks: a PNG data URL the size of the image, white where MJ redraws, black elsewhere.

trueai passes `maskBase64` on unchecked (SubmitController.Modal; TaskService.SubmitModal strips the
"data:image/png;base64," prefix for InpaintAsync), so the bot makes sure it is a clean PNG of the right
size. CPU-bound for large images: call these through a thread.
"""

from __future__ import annotations

import base64
import binascii
import io
from enum import StrEnum

from PIL import Image

from bot.images import MAX_PIXELS

DATA_URL_PREFIX = "data:image/png;base64,"
WHITE_FROM = 128  # a painted pixel's grey level from which it counts as part of the region


class Region(StrEnum):
    """The regions a Discord select offers (a modal cannot draw)."""

    LEFT = "left"
    RIGHT = "right"
    TOP = "top"
    BOTTOM = "bottom"
    CENTRE = "centre"
    TOP_LEFT = "topleft"
    TOP_RIGHT = "topright"
    BOTTOM_LEFT = "bottomleft"
    BOTTOM_RIGHT = "bottomright"


class MaskError(Exception):
    """A painted mask the bot cannot use; `key` is the i18n key that tells the user why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def region_box(size: tuple[int, int], region: Region) -> tuple[int, int, int, int]:
    """The region's box (left, top, right, bottom; right and bottom excluded) in an image of `size`."""
    width, height = size
    half_w, half_h = width // 2, height // 2
    boxes = {
        Region.LEFT: (0, 0, half_w, height),
        Region.RIGHT: (half_w, 0, width, height),
        Region.TOP: (0, 0, width, half_h),
        Region.BOTTOM: (0, half_h, width, height),
        Region.CENTRE: (width // 4, height // 4, width - width // 4, height - height // 4),
        Region.TOP_LEFT: (0, 0, half_w, half_h),
        Region.TOP_RIGHT: (half_w, 0, width, half_h),
        Region.BOTTOM_LEFT: (0, half_h, half_w, height),
        Region.BOTTOM_RIGHT: (half_w, half_h, width, height),
    }
    return boxes[region]


def _data_url(mask: Image.Image) -> str:
    buffer = io.BytesIO()
    mask.save(buffer, "PNG", optimize=True)
    return DATA_URL_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def preset_mask(size: tuple[int, int], region: Region) -> str:
    """A mask of `size` whose `region` is white."""
    mask = Image.new("L", size, 0)
    left, top, right, bottom = region_box(size, region)
    mask.paste(255, (left, top, right, bottom))
    return _data_url(mask)


def painted_mask(data_url: object, size: tuple[int, int]) -> str:
    """The mask the editor page posted, made exactly black and white and `size` big.

    The page paints at the image's natural size; a mismatch (a resized page, a different image) is
    stretched to the real size rather than refused. Raises MaskError when it is not a usable PNG or
    nothing is painted.
    """
    if not isinstance(data_url, str) or not data_url.startswith(DATA_URL_PREFIX):
        raise MaskError("region.page.bad_mask")
    try:
        raw = base64.b64decode(data_url.removeprefix(DATA_URL_PREFIX), validate=True)
        with Image.open(io.BytesIO(raw), formats=("PNG",)) as image:
            if image.size[0] * image.size[1] > MAX_PIXELS:
                raise MaskError("region.page.bad_mask")
            grey = image.convert("L")
    except (OSError, ValueError, binascii.Error, Image.DecompressionBombError) as err:
        raise MaskError("region.page.bad_mask") from err
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.NEAREST)
    mask = grey.point(lambda level: 255 if level >= WHITE_FROM else 0)
    if mask.getbbox() is None:
        raise MaskError("region.page.empty_mask")
    return _data_url(mask)


def image_size(data: bytes) -> tuple[int, int]:
    """The size of an image the API served (only its header is read)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size
