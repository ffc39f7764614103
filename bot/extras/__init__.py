"""The free buttons under a delivered image result (❤️, 🌱 Seed, ✉️, Split) and /bookmarks."""
