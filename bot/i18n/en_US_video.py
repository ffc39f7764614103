"""English (en-US): Animate and Extend (video). Merged into MESSAGES by en_US.py."""

VIDEO: dict[str, str] = {
    "video.no_start_frame": "The image to animate could not be fetched from the API. Nothing was submitted; "
    "please try again in a moment.",
    "video.too_large_link": "🎞️ The video is larger than the {mib} MiB upload limit here, so it is not "
    "attached. Watch or download it here: {link}",
    "video.too_large": "🎞️ The video is larger than the {mib} MiB upload limit here, and the API gave no "
    "link to it.",
    "reason.video_unavailable": "The video could not be fetched after {tries} tries.",
    "reason.video_off": "The API cannot make videos right now ({description}). Its operator has to turn "
    "video on (and, for a Discord account, Remix). Nothing was charged.",
}
