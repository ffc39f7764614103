"""English texts of /describe and /shorten (merged into en_US.MESSAGES)."""

TEXT = {
    "cmd.describe.name": "describe",
    "cmd.describe.desc": "Four prompts that could have made an image",
    "opt.image.name": "image",
    "opt.image.desc": "The image to describe (PNG, JPEG, WebP or GIF)",
    "opt.link.name": "link",
    "opt.link.desc": "Or a link to the image (http:// or https://)",
    "cmd.shorten.name": "shorten",
    "cmd.shorten.desc": "Shorter versions of a prompt, and which of its words count",
    "opt.shorten_prompt.desc": "The prompt to shorten",
    "text.title_describe": "🖼️ **Describe** {prompt} — <@{user}>",
    "text.title_shorten": "✂️ **Shorten** *{prompt}* — <@{user}>",
    "text.tokens": "**Important tokens**",
    "text.candidates": "**Shortened prompts**",
    "describe.both": "Give an image or a link, not both.",
    "describe.neither": "Attach an image or give a link to describe.",
    "describe.bad_link": "The link must be a web address starting with http:// or https://.",
    "shorten.empty": "The prompt is empty: give the prompt to shorten.",
    "text.line_gone": "The text of this result is no longer kept, so this button cannot run.",
    "reason.empty_result": "The API returned no text for this job.",
}
