"""Images users give the bot: what Pillow accepts, what is kept as it came, and what is made smaller."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.input_images import MAX_BYTES, MAX_SIDE, ImageRefused, prepare_image
from bot.prompt_params import PromptError, PromptParams, build_prompt
from tests.images_helpers import decode_data_url, noisy_png, opened, picture


def test_small_png_jpeg_and_webp_are_sent_as_they_came() -> None:
    for fmt, mime in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        data = picture((120, 80), fmt)
        prepared = prepare_image(data)
        assert decode_data_url(prepared.data_url) == (mime, data) and not prepared.reencoded


def test_a_gif_sends_its_first_frame_keeping_transparency() -> None:
    frames = [Image.new("RGBA", (40, 30), (255, 0, 0, 0)), Image.new("RGBA", (40, 30), (0, 0, 255, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], transparency=0, disposal=2)
    mime, data = decode_data_url(prepare_image(buffer.getvalue()).data_url)
    image = opened(data)
    assert mime == "image/png" and image.size == (40, 30) and image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0, "the first (transparent) frame, not the second"


def test_large_images_are_downscaled_and_reencoded_within_the_caps() -> None:
    for data in (picture((4000, 1000), "PNG"), noisy_png(1400)):
        prepared = prepare_image(data)
        mime, sent = decode_data_url(prepared.data_url)
        assert prepared.reencoded and mime == "image/jpeg"
        assert max(opened(sent).size) <= MAX_SIDE and len(sent) <= MAX_BYTES
    assert prepare_image(picture((4000, 1000))).size == (MAX_SIDE, MAX_SIDE // 4)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7 not an image", "not_an_image"),
        (picture((100, 100))[:60], "not_an_image"),  # truncated
        (picture((64, 64), "BMP"), "not_an_image"),  # an image, not a format MJ takes
    ],
)
def test_what_is_not_an_accepted_image_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        prepare_image(data)
    assert refused.value.code == code


def test_one_image_prompt_needs_text_two_may_go_without() -> None:
    with pytest.raises(PromptError) as alone:
        build_prompt("--ar 16:9", PromptParams(), image_prompts=1)
    assert alone.value.code == "prompt.image_alone"
    with pytest.raises(PromptError) as empty:
        build_prompt("--ar 16:9", PromptParams())
    assert empty.value.code == "prompt.empty"
    assert build_prompt("--ar 16:9", PromptParams(), image_prompts=2).render() == "--ar 16:9"
    assert build_prompt("a cat", PromptParams(), image_prompts=1).render() == "a cat"
    with pytest.raises(PromptError) as bare:
        build_prompt("--fast", PromptParams(), image_prompts=2)  # nothing left for the API's prompt
    assert bare.value.code == "prompt.empty"


def test_reference_options_follow_the_prompt_rules() -> None:
    url = "https://cdn.example/upload_1_0.png"
    assert build_prompt("a cat --v 7", PromptParams(omni_ref=url, style_ref=url)).render() == (
        f"a cat --v 7 --sref {url} --oref {url}"
    )
    with pytest.raises(PromptError) as old:
        build_prompt("a cat --v 6.1", PromptParams(omni_ref=url))
    assert old.value.code == "prompt.version_bound" and old.value.args["needs"] == "--v 7+"
    with pytest.raises(PromptError) as twice:
        build_prompt(f"a cat --sref {url}", PromptParams(style_ref=url))
    assert twice.value.code == "prompt.option_conflict"
