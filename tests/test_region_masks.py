"""Vary (Region) masks and editor tokens, pure: the mask is the image's size, white exactly on the region,
and a token is refused when forged, altered or expired."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from bot.region.links import LinkRefused, new_token, verified_nonce
from bot.region.masks import MaskError, Region, painted_mask, preset_mask, region_box


def decode(data_url: str) -> Image.Image:
    assert data_url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("L")


def png_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize("region", list(Region))
def test_each_preset_is_white_exactly_on_its_box(region: Region) -> None:
    size = (301, 199)  # odd sides: no pixel is lost or doubled at the middle
    mask = decode(preset_mask(size, region))
    left, top, right, bottom = region_box(size, region)
    assert mask.size == size and mask.getbbox() == (left, top, right, bottom)
    assert mask.histogram()[255] == (right - left) * (bottom - top)
    assert mask.histogram()[0] == size[0] * size[1] - (right - left) * (bottom - top)


def test_halves_and_quarters_tile_the_image() -> None:
    size = (301, 199)
    area = size[0] * size[1]
    halves = [Region.LEFT, Region.RIGHT]
    quarters = [Region.TOP_LEFT, Region.TOP_RIGHT, Region.BOTTOM_LEFT, Region.BOTTOM_RIGHT]
    for parts in (halves, [Region.TOP, Region.BOTTOM], quarters):
        assert sum(decode(preset_mask(size, part)).histogram()[255] for part in parts) == area


def test_a_painted_mask_is_made_black_and_white_at_the_real_size() -> None:
    painted = Image.new("L", (100, 60), 0)
    painted.paste(200, (0, 0, 50, 60))  # light grey counts as painted
    painted.paste(60, (50, 0, 100, 30))  # dark grey (an antialiased edge far out) does not
    mask = decode(painted_mask(png_url(painted), (200, 120)))
    assert mask.size == (200, 120) and mask.getbbox() == (0, 0, 100, 120)
    assert sum(mask.histogram()[1:255]) == 0


@pytest.mark.parametrize(
    ("posted", "key"),
    [
        (png_url(Image.new("L", (10, 10), 0)), "region.page.empty_mask"),
        ("data:image/png;base64,not-base64!", "region.page.bad_mask"),
        ("data:image/png;base64," + base64.b64encode(b"GIF89a....").decode(), "region.page.bad_mask"),
        ("https://example.invalid/mask.png", "region.page.bad_mask"),
        (None, "region.page.bad_mask"),
    ],
)
def test_an_unusable_painted_mask_is_refused_with_a_reason(posted: object, key: str) -> None:
    with pytest.raises(MaskError) as refused:
        painted_mask(posted, (10, 10))
    assert refused.value.key == key


def test_a_token_is_refused_when_forged_altered_or_expired() -> None:
    token, nonce, expires = new_token("secret", 60)
    assert verified_nonce("secret", token) == nonce
    with pytest.raises(LinkRefused, match="invalid"):
        verified_nonce("another secret", token)
    with pytest.raises(LinkRefused, match="invalid"):
        verified_nonce("secret", token.replace(f".{expires}.", f".{expires + 60}."))
    for malformed in ("", "a.b", "a.b.c", f"{nonce}.{expires}"):
        with pytest.raises(LinkRefused, match="invalid"):
            verified_nonce("secret", malformed)
    stale, _, _ = new_token("secret", -1)
    with pytest.raises(LinkRefused, match="expired"):
        verified_nonce("secret", stale)
