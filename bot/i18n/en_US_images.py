"""English (en-US): image prompts and references on /imagine, and /blend. Merged into MESSAGES by en_US.py."""

IMAGES: dict[str, str] = {
    "cmd.blend.name": "blend",
    "cmd.blend.desc": "Blend 2–5 images into one grid",
    "opt.image1.name": "image1",
    "opt.image2.name": "image2",
    "opt.image3.name": "image3",
    "opt.image4.name": "image4",
    "opt.image5.name": "image5",
    "opt.image_prompt.desc": "An image prompt (PNG, JPEG, WebP or GIF) that guides the content",
    "opt.blend_image.desc": "An image to blend (PNG, JPEG, WebP or GIF)",
    "opt.style_ref.name": "style_ref",
    "opt.style_ref.desc": "An image whose style to follow (--sref)",
    "opt.omni_ref.name": "omni_ref",
    "opt.omni_ref.desc": "An image whose subject to put in (--oref, V7 and later)",
    "opt.dimensions.name": "dimensions",
    "opt.dimensions.desc": "The shape: portrait (2:3), square (1:1) or landscape (3:2); square when omitted",
    "choice.portrait": "portrait",
    "choice.square": "square",
    "choice.landscape": "landscape",
    "prompt.image_alone": (
        "One image prompt needs text with it: describe what to draw, or add a second image "
        "(Midjourney's rule for image prompts)."
    ),
    "images.too_big": "**{name}** is larger than {mib} MiB: attach a smaller image.",
    "images.unreadable": "**{name}** could not be read from Discord: attach it again.",
    "images.not_an_image": "**{name}** is not an image the bot can use: attach a PNG, JPEG, WebP or GIF.",
    "images.too_many_pixels": "**{name}** is too large to process ({width}×{height} pixels).",
    "images.too_large_to_send": "**{name}** stays over {mib} MiB even made smaller: attach a smaller image.",
    "images.upload_failed": (
        "The reference image could not be uploaded to Midjourney{said}. Nothing was started; try again later."
    ),
}
