"""English (en-US): /help, a field per group of commands and buttons (an embed field holds 1,024 characters)."""

HELP: dict[str, str] = {
    "help.title": "How to use the bot",
    "help.create": "Create",
    "help.create_body": (
        "`/imagine` — four images from a prompt. Options add parameters (`--ar`, `--v`, `--s` …); "
        "you can also type them in the prompt. Attach up to three images as image prompts, or give "
        "`style_ref` (`--sref`) or `omni_ref` (`--oref`). `a {{red, blue}} car` starts one job per choice: "
        "the bot lists them and asks first.\n"
        "`/describe` — four prompts for an image (attached, or a link); a button imagines each.\n"
        "`/blend` — one grid from 2–5 images, portrait, square or landscape.\n"
        "`/shorten` — shorter versions of a prompt and which words count; a button imagines each."
    ),
    "help.jobs": "Your jobs and settings",
    "help.jobs_body": (
        "`/history` — your recent jobs. `/show` — post a past result again with live buttons.\n"
        "`/bookmarks` — the results you saved with ❤️, with their buttons.\n"
        "`/info` — running jobs, today's usage, quota and limits, your defaults. "
        "`/cancel` — drop a job still waiting.\n"
        "`/settings` — your defaults (mode, bot, aspect, version, a prompt suffix, public or DM); "
        "with Manage Channels, the channel's too.\n"
        "`/admin` — for server managers: modes, quotas, limits, channels, alerts, statistics, the balance."
    ),
    "help.grid": "Buttons under a grid",
    "help.grid_body": (
        "**U1–U4** upscale one image of the grid (1 top left, 2 top right, 3 bottom left, 4 bottom right).\n"
        "**V1–V4** make four variations of one image. **🔄** runs the prompt again. With Remix on, a "
        "variation asks for its prompt.\n"
        "Every click starts a new paid job; a used button turns green, and pressing it again links to its result."
    ),
    "help.upscale": "Buttons under an upscale",
    "help.upscale_body": (
        "**Upscale** (Subtle, Creative, 2x, 4x), **Vary** (Subtle, Strong), **Zoom Out**, **Pan** ⬅️➡️⬆️⬇️ "
        "and **Custom Zoom** (asks for a prompt).\n"
        "**Vary (Region)** redraws part of the image: pick a region (a half, a quarter, the centre), or "
        "paint it in the editor when the bot offers one, then say what goes there.\n"
        "**Animate** (High or Low motion) turns the image into four short videos; under them, **Extend 1–4** "
        "makes one of the videos longer."
    ),
    "help.more": "More buttons",
    "help.more_body": (
        "**❤️** saves a result to `/bookmarks`. **🌱 Seed** shows the result's seed, for `--seed`. "
        "**✉️** sends you the result and its buttons by direct message. **Split** sends you a grid as "
        "four images, privately. These four are free.\n"
        "**Check again** asks the API about a job that seems stuck; **Retry** resubmits a job the bot lost "
        "track of (it may be charged twice); **Edit prompt** fixes a rejected prompt, or answers a Remix "
        "or Custom Zoom that waits for one."
    ),
    "help.limits": "Limits",
    "help.limits_body": (
        "Each job is paid for. Up to {concurrency} of your jobs run at once; more wait in the queue. "
        "A server may also set a daily quota and a cooldown (see `/info`). "
        "Failed and rejected jobs do not count towards a quota. "
        "`/show` reposts at most a few results a minute."
    ),
}
