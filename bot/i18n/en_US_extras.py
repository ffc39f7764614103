"""English (en-US): the free buttons under a result (❤️, 🌱 Seed, ✉️, Split) and /bookmarks."""

EXTRAS: dict[str, str] = {
    "cmd.bookmarks.name": "bookmarks",
    "cmd.bookmarks.desc": "The results you saved with ❤️, one at a time, with their buttons",
    "extras.seed_button": "Seed",
    "extras.split_button": "Split",
    "extras.not_done": "Job #{job} has no finished result. Nothing was done.",
    "extras.too_fast": "That's a lot of images at once; try again {when}.",
    "extras.bookmarked": "❤️ Saved #{job} to your `/bookmarks`. Press ❤️ again to remove it.",
    "extras.unbookmarked": "Removed #{job} from your `/bookmarks`.",
    "extras.seed": "🌱 The seed of #{job} is **{seed}**. Add `--seed {seed}` to a prompt to start from it.",
    "extras.seed_unavailable": (
        "The API cannot give the seed of #{job} right now (its seed service is closed to this bot). "
        "Nothing was charged."
    ),
    "extras.seed_unknown": "The API no longer knows the task of #{job}, so it cannot give its seed.",
    "extras.seed_refused": "The API did not give the seed of #{job}: {said}",
    "extras.image_gone": "The image of #{job} can no longer be fetched from the API, or is too large to send.",
    "extras.dm_closed": (
        "I can't send you direct messages. Allow direct messages from this server's members "
        "(Privacy Settings), then press ✉️ again."
    ),
    "extras.sent": "✉️ Sent #{job} to your direct messages: {link}",
    "extras.not_grid": "Only a grid of four images can be split.",
    "extras.split_done": (
        "✂️ #{job} as four images: 1 top left, 2 top right, 3 bottom left, 4 bottom right (as U1–U4)."
    ),
    "bookmarks.empty": "You have no bookmarks. Press ❤️ under a result to save it here.",
    "bookmarks.page": "❤️ Bookmark {page} of {pages} · #{job}",
    "bookmarks.image_gone": "(Its image can no longer be fetched from the API.)",
    "bookmarks.not_yours": "These are someone else's bookmarks; `/bookmarks` shows yours.",
}
